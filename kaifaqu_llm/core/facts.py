"""The fact-kind registry: every fact category, and everything that varies by category, declared once.

A :class:`FactKind` names a category (the key of its list in a profile and a
record: ``zones``, ``indicators``...) and holds its Pydantic model, its identity
(what makes two facts one: chunk merge, zone registry, gold pooling), how it is
labelled and coloured in the review page, how ``kaifaqu eval`` matches it, and
whether the rules backend produces it. Export columns and their SQL types come
from the model itself.

Every consumer iterates :func:`fact_kinds`: the profile and record models, chunk
merging, grounding, the zone registry, the CSV / SQLite exports, the review page,
``kaifaqu eval`` and the hybrid cross-check. A kind registered at run time with
:func:`register` flows through all of them.
"""

from __future__ import annotations

import functools
import types
import typing
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import TypeAdapter

from ..ground.evidence import value_in_evidence
from . import matching
from .fact_types import Event, Fact, Indicator, Industry, Organization, Person, Project, Zone

__all__ = [
    "EvalRow",
    "FactKind",
    "register",
    "unregister",
    "fact_kinds",
    "fact_kind",
    "fact_names",
    "zone_fact_kinds",
    "eval_rows",
    "fold",
]

Pick = str | tuple[str, ...]
"""A field name, or alternatives: the first one present (not None / empty) in the fact is used."""


def fold(value: object) -> object:
    """Return ``value`` folded for comparing: text NFKC-folded with all whitespace removed; other values as given."""
    if isinstance(value, str):
        return "".join(unicodedata.normalize("NFKC", value).split())
    return value


def _pick(fact: dict, field_name: Pick) -> object:
    if isinstance(field_name, str):
        return fact.get(field_name)
    return next((fact.get(f) for f in field_name if fact.get(f) not in (None, "")), None)


@dataclass(frozen=True)
class EvalRow:
    """One row of the ``kaifaqu eval`` table: how gold and predicted facts of a kind are matched.

    ``matches`` is the lenient rule; pairs that also agree on every ``exact``
    field are matched first. ``prepare`` (optional) returns a fact with anything
    worth computing once before matching (e.g. a parsed number).
    """

    name: str
    short: str
    matches: Callable[[dict, dict], bool]
    exact: tuple[str, ...]
    prepare: Callable[[dict], dict] | None = None


@dataclass(frozen=True)
class FactKind:
    """One fact category and everything about it that varies by category.

    ``name`` is the key of its list in a profile, a record, a zone, a gold article
    and its export table; ``model`` the Pydantic model of one fact; ``description``
    what the LLM is asked for. ``identity`` are the fields that make two facts one
    (chunk merge, zone registry); ``eval_identity`` overrides them when pooling a
    page's facts for scoring. ``label`` / ``colour`` / ``label_fields`` are how the
    review page shows a fact (the label fields also name a cross-check miss).
    ``eval_rows`` are its rows in ``kaifaqu eval``. ``rules`` says the rules backend
    produces it (the hybrid cross-check compares it); ``attributed`` that the zone
    registry attributes its facts to zones (False only for the zones themselves).
    ``check`` returns why a fact whose evidence was found is still not grounded (an
    indicator's number missing from its evidence); ``absorb`` folds a duplicate into
    the kept fact when chunks are merged.
    """

    name: str
    model: type[Fact]
    description: str
    identity: tuple[Pick, ...]
    label: str
    colour: str
    label_fields: tuple[Pick, ...]
    eval_rows: tuple[EvalRow, ...]
    rules: bool = True
    attributed: bool = True
    check: Callable[[dict], str | None] | None = None
    absorb: Callable[[dict, dict], None] | None = None
    eval_identity: tuple[Pick, ...] | None = None

    def key(self, fact: dict) -> tuple:
        """Return the identity of a fact (a dict): its ``identity`` fields, folded."""
        return tuple(fold(_pick(fact, f)) for f in self.identity)

    def eval_key(self, fact: dict) -> tuple:
        """Return what makes two facts on one page one for scoring: ``eval_identity`` (default ``identity``), folded."""
        return tuple(fold(_pick(fact, f)) for f in self.eval_identity or self.identity)

    def describe(self, fact: dict) -> str:
        """Return the one-line label of a fact: its ``label_fields`` that are set, space-separated."""
        parts = (_pick(fact, f) for f in self.label_fields)
        return " ".join(str(p) for p in parts if p not in (None, ""))

    @property
    def columns(self) -> list[str]:
        """Return the export columns: the model's serialised fields (computed ones included) but ``evidence``."""
        return [name for name in _serialised_types(self.model) if name != "evidence"]

    @property
    def column_types(self) -> dict[str, type]:
        """Return each export column's Python type (``float``, ``int``, ``bool``, ``str``, ``list``...)."""
        return {name: kind for name, kind in _serialised_types(self.model).items() if name != "evidence"}

    @property
    def adapter(self) -> TypeAdapter:
        """Return a validator of a list of this kind's facts."""
        return _list_adapter(self.model)


@functools.cache
def _list_adapter(model: type[Fact]) -> TypeAdapter:
    return TypeAdapter(list[model])


def _plain_type(annotation: object) -> type:
    """Reduce an annotation to the one Python type a table column holds (``float | None`` → ``float``)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _plain_type(args[0]) if len(args) == 1 else str
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return str
    plain = origin or annotation
    return plain if isinstance(plain, type) else str


def _serialised_types(model: type[Fact]) -> dict[str, type]:
    out = {name: _plain_type(f.annotation) for name, f in model.model_fields.items()}
    out.update({name: _plain_type(c.return_type) for name, c in model.model_computed_fields.items()})
    return out


_KINDS: dict[str, FactKind] = {}


def register(kind: FactKind) -> FactKind:
    """Add ``kind`` to the registry (after those already there) and return it; a taken name raises ValueError."""
    if kind.name in _KINDS:
        raise ValueError(f"fact kind {kind.name!r} is already registered")
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove the kind called ``name`` from the registry (a kind registered at run time, e.g. by a test)."""
    del _KINDS[name]


def fact_kinds() -> tuple[FactKind, ...]:
    """Return every registered kind, in registration order (zones first)."""
    return tuple(_KINDS.values())


def fact_kind(name: str) -> FactKind:
    """Return the kind called ``name``; KeyError when there is none."""
    return _KINDS[name]


def fact_names() -> tuple[str, ...]:
    """Return the names of every registered kind (the fact lists of a profile and a record), in order."""
    return tuple(_KINDS)


def zone_fact_kinds() -> tuple[FactKind, ...]:
    """Return the kinds whose facts the zone registry attributes to zones (every kind but the zones)."""
    return tuple(k for k in _KINDS.values() if k.attributed)


def eval_rows() -> tuple[EvalRow, ...]:
    """Return every row of the ``kaifaqu eval`` table, kind by kind."""
    return tuple(row for kind in _KINDS.values() for row in kind.eval_rows)


# --- the built-in kinds --------------------------------------------------------------------------------------


def _value_written(fact: dict) -> str | None:
    if value_in_evidence(fact["value"], fact.get("value_text"), fact["evidence"]):
        return None
    return "value not in its evidence"


def _primary_if_any(kept: dict, duplicate: dict) -> None:
    if duplicate.get("primary"):
        kept["primary"] = True


register(FactKind(
    "zones", Zone, "涉及的开发区", identity=(("canonical", "mention"),), label="开发区", colour="#9cc3ff",
    label_fields=("mention", "canonical"), attributed=False, absorb=_primary_if_any,
    eval_rows=(EvalRow("zones", "zones", matching.zones_match, ("mention",)),),
))
register(FactKind(
    "industries", Industry, "主要开发区的主导/重点产业", identity=("name",), label="产业", colour="#8fe0d0",
    label_fields=("name",), eval_rows=(EvalRow("industries", "indus", matching.names_match, ("name",)),),
))
register(FactKind(
    "indicators", Indicator, "数量指标（含增速、排名；不收尺寸、日期、电话）", identity=("name", "value", "unit", "period"), label="指标",
    colour="#ffc46b", label_fields=("subject", "name", ("value_text", "value"), "unit", "period", "change"),
    check=_value_written, eval_identity=("name", "value", "unit", "evidence"),
    eval_rows=(
        EvalRow("indicators", "ind", matching.indicators_match, ("value", "unit"), matching.with_indicator_key),
        EvalRow("indicators_named", "ind+nm", matching.named_indicators_match, ("value", "unit", "name"),
                matching.with_indicator_key),
    ),
))
register(FactKind(
    "projects", Project, "投资/建设项目，其数字记在项目里", identity=("name",), label="项目", colour="#d3b3ff",
    label_fields=("name", "company", "investment", "status", "capacity"),
    eval_rows=(EvalRow("projects", "proj", matching.names_match, ("name",)),),
))
register(FactKind(
    "organizations", Organization, "机构（不含政府机构）", identity=("name",), label="机构",
    colour="#a9e69a", label_fields=("name", "kind"),
    eval_rows=(EvalRow("organizations", "org", matching.names_match, ("name",)),),
))
register(FactKind(
    "people", Person, "有职务的人（不含记者署名）", identity=("name",), label="人物", colour="#ffb3cf",
    label_fields=("name", "title"), eval_rows=(EvalRow("people", "people", matching.same_name, ("name",)),),
))
register(FactKind(
    "events", Event, "有日期的事件", identity=("date", "what"), label="事件", colour="#fff07a",
    label_fields=("date", "what"), eval_identity=("date", "what", "evidence"), eval_rows=(EvalRow("events", "events", matching.events_match, ("date", "what")),),
))
