"""The zone profile: what one article says about development zones.

:class:`ArticleProfile` is both the response model the LLM fills (its JSON
Schema is what the model sees, exported to ``schemas/``) and the shape the rules
backend fills. It holds one list per registered fact kind
(:mod:`kaifaqu_llm.core.facts`) and a summary. Grounding (``grounded``,
``start``, ``end``) is added to each fact when records are built
(:class:`~kaifaqu_llm.core.record.ProfileRecord`); it is not part of what a model
is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from .fact_types import ZONE_TYPES, Event, Fact, Indicator, Industry, Organization, Person, Project, Zone, ZoneType
from .facts import fact_kinds, fact_names
from .record import ProfileRecord

__all__ = [
    "ZONE_TYPES",
    "ZoneType",
    "Fact",
    "Zone",
    "Industry",
    "Indicator",
    "Project",
    "Organization",
    "Person",
    "Event",
    "ArticleProfile",
    "FACT_LISTS",
    "export_json_schemas",
]


class _FactLists(Sequence):
    """The names of the registered fact kinds, read from the registry each time (so kinds added later count)."""

    def __getitem__(self, index):  # type: ignore[override]
        return fact_names()[index]

    def __len__(self) -> int:
        return len(fact_names())

    def __repr__(self) -> str:
        return repr(fact_names())


FACT_LISTS: Sequence[str] = _FactLists()
"""The fact lists of a profile and a record, in order: a live view of :func:`~kaifaqu_llm.core.facts.fact_names`."""


def _no_additional_properties(schema: dict[str, Any]) -> None:
    # Extra keys are only kept for kinds registered at run time; the model is not told it may add any.
    schema.pop("additionalProperties", None)


class _ProfileBase(BaseModel):
    """The behaviour of :class:`ArticleProfile`; its fields come from the registry."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_no_additional_properties)

    @model_validator(mode="before")
    @classmethod
    def _nulls_to_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            names = fact_names()
            data = {k: ([] if v is None and k in names else v) for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _kinds_registered_later(self) -> "_ProfileBase":
        """Validate the lists of kinds registered after this class was built; drop any other extra key."""
        extra = self.__pydantic_extra__
        if extra is None:
            return self
        later = {kind.name: kind.adapter.validate_python(extra.get(kind.name) or [])
                 for kind in fact_kinds() if kind.name not in type(self).model_fields}
        extra.clear()
        extra.update(later)
        return self


ArticleProfile = create_model(
    "ArticleProfile",
    __base__=_ProfileBase,
    __module__=__name__,
    __doc__="Everything one article says about development zones.",
    **{kind.name: (list[kind.model], Field(default_factory=list, description=kind.description))
       for kind in fact_kinds()},
    summary=(str | None, Field(default=None, description="一句话摘要")),
)


def export_json_schemas() -> dict[str, dict]:
    """Return the JSON Schemas kept in ``schemas/``, keyed by file name.

    ``article_profile.json`` is what a model is asked to fill (validation mode);
    ``profile_record.json`` is one line of ``OUT/profiles.jsonl``, generated from
    :class:`~kaifaqu_llm.core.record.ProfileRecord` (serialisation mode: computed
    fields included, grounding on every fact, the record envelope).
    """
    asked = ArticleProfile.model_json_schema(mode="validation")
    record = ProfileRecord.model_json_schema(mode="serialization")
    from ..extract.registry import record_backends  # the registry sits above core: imported when asked

    record["properties"]["backend"] = {
        "enum": list(record_backends()),
        "description": "the backend that made the record: a registered backend (the built-in ones when the "
                       "schema was exported), or 'custom' for an unnamed backend object"}
    return {"article_profile.json": asked, "profile_record.json": record}
