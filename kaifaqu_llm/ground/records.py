"""Profile records: one JSON object per article, the ``OUT/profiles.jsonl`` contract.

::

    {"source", "article_index", "title", "zone_header",
     "zones": [{"mention", "canonical", "type", "level", "province", "city", "primary", ...}],
     "industries": [...], "indicators": [{"subject", "name", "value", "unit", "period", "change", ...}],
     "projects": [...], "organizations": [...], "people": [...], "events": [...],
     "summary", "backend", "model", "prompt_version", "usage", "error", "article_start", "article_end"}

Every fact also carries ``evidence``, ``grounded`` and the ``start``/``end`` of
its evidence in the original page text (null when not found). This module
turns a validated :class:`ArticleProfile` into that record by grounding each fact,
and builds every record through :class:`~kaifaqu_llm.core.record.ProfileRecord`
(the typed model ``schemas/profile_record.json`` is generated from); the record
handed on is its JSON-mode dump, a plain dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.document import Article, Page
from ..core.facts import FactKind, fact_kinds
from ..core.record import ProfileRecord
from ..core.schema import ArticleProfile
from .sentences import citation_ids
from .evidence import EvidenceLocator

__all__ = ["build_record", "error_record"]


class _ArticleLocators:
    """Locators over every page region an article was cut (or stitched) from."""

    def __init__(self, article: Article, pages: Mapping[str, Page]) -> None:
        parts = article.parts or ((article.source, article.start, article.end),)
        self._regions = [
            (source, EvidenceLocator(pages[source].text, start, end))
            for source, start, end in parts
            if source in pages
        ]

    def locate(self, quote: str) -> tuple[str | None, Any]:
        for source, locator in self._regions:
            span = locator.locate(quote)
            if span is not None:
                return source, span
        return None, None


def _ground_fact(fact: dict, kind: FactKind, locators: _ArticleLocators, home: str) -> dict:
    source, span = locators.locate(fact.get("evidence") or "")
    grounded = span is not None
    reason = None if grounded else _not_found(fact.get("evidence"))
    if grounded and kind.check is not None and (problem := kind.check(fact)):
        grounded, reason = False, problem
    fact["grounded"] = grounded
    fact["start"] = span.start if span else None
    fact["end"] = span.end if span else None
    if span is not None and span.match != "exact":
        fact["match"] = span.match
    if source is not None and source != home:
        fact["evidence_source"] = source
    if reason:
        fact["ungrounded_reason"] = reason
    return fact


def _not_found(evidence: str | None) -> str:
    """Return why evidence was not found: a sentence citation the article has no sentence for, or not there."""
    cited = citation_ids(evidence)
    if cited:
        return f"cites sentence {','.join(cited)}, which the article does not have (evidence=sentence)"
    return "evidence not found in the article"


def build_record(
    article: Article,
    profile: ArticleProfile,
    pages: Mapping[str, Page],
    *,
    backend: str,
    strict: bool = False,
    model: str | None = None,
    prompt_version: str | None = None,
    usage: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict:
    """Return the profile record of one article with every fact grounded in ``pages``.

    Under ``strict`` ungrounded facts are dropped and counted in ``dropped_ungrounded``;
    otherwise they are kept with ``grounded: false``.
    """
    locators = _ArticleLocators(article, pages)
    data = profile.model_dump(mode="json")
    record = _base(article, backend, model, prompt_version, usage)
    dropped = 0
    for kind in fact_kinds():
        facts = [_ground_fact(fact, kind, locators, article.source) for fact in data.get(kind.name, [])]
        if strict:
            kept = [f for f in facts if f["grounded"]]
            dropped += len(facts) - len(kept)
            facts = kept
        record[kind.name] = facts
    record["summary"] = data.get("summary")
    record["error"] = None
    if strict:
        record["dropped_ungrounded"] = dropped
    if extra:
        record.update(extra)
    return _typed(record)


def error_record(
    article: Article,
    error: str,
    *,
    backend: str,
    model: str | None = None,
    prompt_version: str | None = None,
    usage: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict:
    """Return the record of an article that could not be extracted: empty facts and ``error`` set."""
    record = _base(article, backend, model, prompt_version, usage)
    record.update({kind.name: [] for kind in fact_kinds()})
    record["summary"] = None
    record["error"] = error
    if extra:
        record.update(extra)
    return _typed(record)


def _typed(record: dict) -> dict:
    """Return ``record`` validated through :class:`ProfileRecord`, as the JSON-ready dict the engines pass on."""
    return ProfileRecord.model_validate(record).model_dump(mode="json")


def _base(article: Article, backend: str, model: str | None, prompt_version: str | None,
          usage: Mapping[str, Any] | None) -> dict:
    return {
        "source": article.source,
        "article_index": article.index,
        "title": article.title,
        "zone_header": article.zone_header,
        "subtitle": article.subtitle,
        "authors": list(article.authors),
        "continued_from": article.continued_from,
        "continues_to": article.continues_to,
        "backend": backend,
        "model": model,
        "prompt_version": prompt_version,
        "usage": dict(usage) if usage else {
            "prompt_tokens": 0, "completion_tokens": 0, "requests": 0, "retries": 0, "cache_hit": False,
        },
        "article_start": article.start,
        "article_end": article.end,
        "parts": [list(p) for p in article.parts] if len(article.parts) > 1 else None,
    }
