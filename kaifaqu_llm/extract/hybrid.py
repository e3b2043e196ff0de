"""Hybrid cross-check: what the rules found that the model did not, and model numbers not in the text.

Both are hints for a reviewer, not verdicts: a rule fact the model lacks is a
*possible* miss; a model number that appears nowhere in the article (in any
writing: 114.0, 1,200, 两, 1.3万) was probably invented or miscomputed.
"""

from __future__ import annotations

import re

from ..core.facts import fact_kinds
from ..core.numbers import parse_number
from ..core.schema import ArticleProfile, Indicator
from ..core.document import Article
from .backend import Backend, BackendResult, RulesBackend

__all__ = ["cross_check", "numbers_in_text", "HybridBackend"]

_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?(?:[万亿](?![元吨]))?|[〇零一二两三四五六七八九十百千万亿]+")


def numbers_in_text(text: str) -> set[float]:
    """Return every number written in ``text`` (Arabic or Chinese; ``1.3万`` gives both 1.3 and 13000)."""
    found: set[float] = set()
    for m in _NUMBER.finditer(text):
        for candidate in {m.group(), m.group().rstrip("万亿")}:
            if not candidate.strip("万亿"):
                continue
            quantity = parse_number(candidate)
            if quantity is not None:
                found.add(round(quantity.value, 6))
    return found


def _number_written(indicator: Indicator, numbers: set[float], squashed: str) -> bool:
    if indicator.value_text and re.sub(r"\s+", "", indicator.value_text) in squashed:
        return True
    return round(indicator.value, 6) in numbers


def cross_check(model: ArticleProfile, rules: ArticleProfile, article_text: str) -> dict:
    """Compare a model profile with the rules profile of the same article.

    Returns ``{"possible_misses": {category: [labels of rule facts no model fact matches]},
    "numbers_not_in_text": [{"name", "value", "unit"} of model indicators whose number is not in the text]}``.
    Every kind the rules produce is compared; facts match by the kind's first ``kaifaqu eval`` matcher
    (names by containment, indicators by value + unit).
    """
    misses: dict[str, list[str]] = {}
    for kind in (k for k in fact_kinds() if k.rules):
        matches = kind.eval_rows[0].matches
        model_facts = [f.model_dump() for f in getattr(model, kind.name, None) or []]
        missed = []
        for fact in getattr(rules, kind.name, None) or []:
            rule_fact = fact.model_dump()
            if not any(matches(rule_fact, m) for m in model_facts):
                label = kind.describe(rule_fact)
                if label and label not in missed:
                    missed.append(label)
        if missed:
            misses[kind.name] = missed
    numbers = numbers_in_text(article_text)
    squashed = re.sub(r"\s+", "", article_text)
    invented = [
        {"name": ind.name, "value": ind.value, "unit": ind.unit}
        for ind in model.indicators
        if not _number_written(ind, numbers, squashed)
    ]
    return {"possible_misses": misses, "numbers_not_in_text": invented}


class HybridBackend:
    """A model backend composed with the rules: each profile gets a ``crosscheck`` against the rules' profile."""

    name = "hybrid"

    def __init__(self, inner: Backend, *, rules_off: tuple[str, ...] = ()) -> None:
        self.inner = inner
        self.rules = RulesBackend(rules_off)

    @property
    def model(self) -> str | None:
        """The inner backend's model."""
        return getattr(self.inner, "model", None)

    @property
    def prompt_version(self) -> str | None:
        """The inner backend's prompt version."""
        return getattr(self.inner, "prompt_version", None)

    async def extract(self, article: Article) -> BackendResult:
        """Return the inner backend's result with ``extra["crosscheck"]`` set when it has a profile."""
        result = await self.inner.extract(article)
        if result.profile is not None:
            try:
                check = cross_check(result.profile, self.rules.extract_sync(article), article.text)
            except Exception as exc:  # noqa: BLE001 - the record's error, not the batch's
                return BackendResult(None, result.usage, error=f"could not build the record: "
                                     f"{exc.__class__.__name__}: {exc}", cache_key=result.cache_key)
            result.extra = {**(result.extra or {}), "crosscheck": check}
        return result

    async def aclose(self) -> None:
        """Close the inner backend."""
        await self.inner.aclose()
