"""The profile record: one line of ``OUT/profiles.jsonl``, typed.

:class:`ProfileRecord` is the article's envelope (source, offsets, backend,
usage, error) plus one list of grounded facts per registered fact kind. A
grounded fact (:func:`grounded_model`) is the fact's serialised fields (computed
ones included) followed by ``grounded``, ``start``, ``end`` and, only when they
apply, ``match``, ``evidence_source`` and ``ungrounded_reason``; later stages
may add keys of their own (zone linking adds ``catalog_code``...), which are
kept. ``schemas/profile_record.json`` is generated from this model, and
``model_dump(mode="json")`` of a record is exactly its JSON line.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model, model_serializer, model_validator

from .fact_types import Fact
from .facts import fact_kinds

__all__ = ["Grounding", "GroundedFact", "grounded_model", "RecordUsage", "ProfileRecord"]


class _Sparse(BaseModel):
    """A model whose ``OMITTED_UNLESS_SET`` fields are left out of its dumps unless they were given."""

    OMITTED_UNLESS_SET: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler):  # noqa: ANN001, ANN202 - the fields' schema stays the serialisation schema
        data = handler(self)
        for name in self.OMITTED_UNLESS_SET - self.model_fields_set:
            data.pop(name, None)
        return data


class Grounding(BaseModel):
    """Where a fact's evidence was found in the page: the fields every grounded fact ends with."""

    grounded: bool = Field(description="evidence found in the page (and, for indicators, the value in it)")
    start: int | None = Field(description="evidence start offset in the page text")
    end: int | None = Field(description="evidence end offset in the page text")
    match: str | None = Field(default=None, description="how the evidence was found when not verbatim "
                                                        "(folded, ellipsis, punctuation); absent when exact")
    evidence_source: str | None = Field(default=None, description="the page holding the evidence, when not the "
                                                                  "record's source (stitched articles)")
    ungrounded_reason: str | None = Field(default=None, description="why an ungrounded fact is not grounded")


class GroundedFact(_Sparse):
    """Base of every grounded fact model (see :func:`grounded_model`); keys added by later stages are kept."""

    model_config = ConfigDict(extra="allow")
    OMITTED_UNLESS_SET = frozenset({"match", "evidence_source", "ungrounded_reason"})


@functools.cache
def grounded_model(model: type[Fact]) -> type[GroundedFact]:
    """Return the grounded form of a fact model: its serialised fields, then the :class:`Grounding` fields."""
    fields: dict[str, Any] = {
        name: (info.annotation, Field(default=info.default, default_factory=info.default_factory,
                                      description=info.description))
        if not info.is_required() else (info.annotation, Field(description=info.description))
        for name, info in model.model_fields.items()
    }
    fields.update({name: (c.return_type, Field(default=None, description=c.description))
                   for name, c in model.model_computed_fields.items()})
    fields.update({name: (info.annotation, info) for name, info in Grounding.model_fields.items()})
    return create_model(f"Grounded{model.__name__}", __base__=GroundedFact, __module__=__name__,
                        __doc__=f"{(model.__doc__ or '').strip()} Grounded in the page.", **fields)


class RecordUsage(_Sparse):
    """Tokens and requests the article cost (all zero for the rules backend)."""

    model_config = ConfigDict(extra="allow")
    OMITTED_UNLESS_SET = frozenset({"prompt_tokens", "completion_tokens", "requests", "retries", "cache_hit",
                                    "cached_prompt_tokens", "reasks", "rejected"})

    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    retries: int = 0
    cache_hit: bool = False
    cached_prompt_tokens: int = Field(default=0, description="the part of prompt_tokens the provider served "
                                                             "from its prompt cache; absent for the rules")
    reasks: int = Field(default=0, description="requests that asked the model again about an invalid answer")
    rejected: int = Field(default=0, description="invalid facts dropped from the model's answers")


class RejectedFact(BaseModel):
    """A fact the model gave that failed validation: which list it was in, the item as given, and why."""

    model_config = ConfigDict(extra="allow")

    list: str
    item: Any = None
    reason: str


class _RecordBase(_Sparse):
    """The behaviour of :class:`ProfileRecord`; its fact lists come from the registry."""

    model_config = ConfigDict(extra="allow")
    OMITTED_UNLESS_SET = frozenset({"dropped_ungrounded", "cache_key", "rejected", "crosscheck"})

    source: str = Field(description="page file the article comes from")
    article_index: int = Field(description="the article's position on its page")
    title: str | None
    zone_header: str | None
    subtitle: str | None = None
    authors: list[str] = Field(default_factory=list)
    continued_from: str | None = None
    continues_to: str | None = None
    backend: str = Field(description="rules, llm, hybrid, or the name of a custom backend")
    model: str | None = None
    prompt_version: str | None = None
    usage: RecordUsage
    article_start: int
    article_end: int
    parts: list[tuple[str, int, int]] | None = Field(
        default=None, description="(source, start, end) of each page region of an article stitched across pages")

    @model_validator(mode="after")
    def _kinds_registered_later(self) -> "_RecordBase":
        """Validate the fact lists of kinds registered after this class was built (other extra keys are kept)."""
        extra = self.__pydantic_extra__
        for kind in fact_kinds():
            if extra is not None and kind.name not in type(self).model_fields:
                adapter = _grounded_list_adapter(kind.model)
                extra[kind.name] = adapter.validate_python(extra.get(kind.name) or [])
        return self


@functools.cache
def _grounded_list_adapter(model: type[Fact]) -> TypeAdapter:
    return TypeAdapter(list[grounded_model(model)])


ProfileRecord = create_model(
    "ProfileRecord",
    __base__=_RecordBase,
    __module__=__name__,
    __doc__="One line of OUT/profiles.jsonl: an article's grounded zone profile.",
    **{kind.name: (list[grounded_model(kind.model)], Field(description=kind.description)) for kind in fact_kinds()},
    summary=(str | None, Field(default=None, description="一句话摘要")),
    error=(str | None, Field(description="why the article has no profile; null when it has one")),
    dropped_ungrounded=(int | None, Field(default=None, description="ungrounded facts dropped (--strict only)")),
    cache_key=(str | None, Field(default=None, description="the response cache entry of an LLM extraction")),
    rejected=(list[RejectedFact] | None, Field(default=None, description="invalid facts dropped from the model's "
                                                                         "answer, each with the reason")),
    crosscheck=(dict[str, Any] | None, Field(default=None, description="hybrid backend: rule facts the model "
                                                                       "lacks, model numbers not in the text")),
)
