"""What the aggregates count: the grounded facts of each record, unless ungrounded ones are asked for.

``profiles.jsonl`` keeps every fact an extractor returned, ungrounded ones with
``grounded: false`` (``--strict`` drops them there too). The aggregates built
from it — the zone registry (``zones.jsonl``), the CSV / SQLite exports and the
report's totals — count only grounded facts unless ``keep_ungrounded`` is set:
a figure whose evidence is not in the article is not a figure of the zone. A
zone mention is a fact like any other, so a zone named only by ungrounded
mentions is not a zone of the registry either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..core.facts import fact_kinds

__all__ = ["is_counted", "counted_record", "counted_records"]


def is_counted(fact: dict, keep_ungrounded: bool = False) -> bool:
    """Return True when the aggregates count ``fact``: it is grounded, or ungrounded facts are kept.

    Only an explicit ``grounded: false`` leaves a fact out (a hand-made record without the key is taken at its word).
    """
    return keep_ungrounded or not isinstance(fact, dict) or fact.get("grounded") is not False


def counted_record(record: dict, keep_ungrounded: bool = False) -> dict:
    """Return ``record`` with only the facts the aggregates count (``record`` itself when nothing is left out)."""
    if keep_ungrounded:
        return record
    trimmed = {}
    for kind in fact_kinds():
        facts = record.get(kind.name)
        if isinstance(facts, list) and not all(is_counted(f) for f in facts):
            trimmed[kind.name] = [f for f in facts if is_counted(f)]
    return {**record, **trimmed} if trimmed else record


class _Counted:
    """A re-iterable view of re-iterable records, each with only its counted facts."""

    def __init__(self, records: Iterable[dict], keep_ungrounded: bool) -> None:
        self.records, self.keep = records, keep_ungrounded

    def __iter__(self) -> Iterator[dict]:
        return (counted_record(r, self.keep) for r in self.records)


def counted_records(records: Iterable[dict], keep_ungrounded: bool = False) -> Iterable[dict]:
    """Return ``records`` with only the facts the aggregates count, as lazily as they came.

    A one-shot iterator gives a one-shot iterator; a re-iterable (a list, a file
    read on each pass) gives a re-iterable view, so two-pass readers still work.
    """
    if keep_ungrounded:
        return records
    if iter(records) is records:
        return (counted_record(r) for r in records)
    return _Counted(records, keep_ungrounded)
