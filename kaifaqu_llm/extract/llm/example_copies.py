"""Facts copied from the prompt's worked example: recognised and dropped, not grounded against the article.

A small model sometimes answers with the worked example of ``prompts/<version>/example.json``
(its zone, its people, its figures) instead of, or beside, the article's facts.
Such a fact is no fact of the article: it is dropped like an invalid item and
recorded in ``rejected`` with the reason :data:`COPIED`. What counts as the
example is read from the loaded example, never written here: a fact is a copy
when its evidence is a passage of the example's text or its identity (the fact
kind's ``identity`` fields, e.g. a person's name and title) is one of the
example's facts — and, either way, its evidence does not occur in the article
(an article that really says what the example says keeps its fact).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...core.facts import fact_kind
from ...core.schema import FACT_LISTS, ArticleProfile

__all__ = ["COPIED", "ExampleMarks", "example_marks", "drop_example_copies"]

COPIED = "copied from the prompt's example"
_MIN_PASSAGE = 4  # shorter evidence (开工, 6.2%) is too common to say where it came from
_SPACE = re.compile(r"\s+")


def _squash(text: object) -> str:
    return _SPACE.sub("", str(text or ""))


@dataclass(frozen=True)
class ExampleMarks:
    """What identifies the worked example: its input text (spaces removed) and its facts' identities per list."""

    text: str
    keys: dict[str, frozenset[tuple]]


def example_marks(example: dict) -> ExampleMarks:
    """Return the marks of a loaded ``example.json`` (``{"input": {...}, "output": {...}}``)."""
    given = example.get("input") or {}
    text = "\n".join(_squash(given.get(k)) for k in ("zone_header", "title", "subtitle", "text"))
    output = example.get("output") or {}
    keys = {}
    for name in FACT_LISTS:
        items = [i for i in output.get(name) or [] if isinstance(i, dict)]
        keys[name] = frozenset(k for k in (fact_kind(name).key(i) for i in items) if any(v for v in k))
    return ExampleMarks(text, keys)


def _is_copy(name: str, fact: dict, marks: ExampleMarks, article: str) -> bool:
    evidence = _squash(fact.get("evidence"))
    if evidence and evidence in article:
        return False
    passage = len(evidence) >= _MIN_PASSAGE and evidence in marks.text
    return passage or fact_kind(name).key(fact) in marks.keys.get(name, ())


def drop_example_copies(profile: ArticleProfile, article: str,
                        marks: ExampleMarks) -> tuple[ArticleProfile, list[dict]]:
    """Return ``(profile without the facts copied from the example, the dropped items)``.

    ``article`` is the text the model was given (header, title and body); each
    dropped item is ``{"list", "item", "reason": COPIED}`` like salvage's rejected items.
    """
    text = _squash(article)
    kept: dict[str, list] = {}
    dropped: list[dict] = []
    for name in FACT_LISTS:
        facts = getattr(profile, name)
        keep = []
        for fact in facts:
            item = fact.model_dump(mode="json", exclude_none=True)
            if _is_copy(name, fact.model_dump(mode="json"), marks, text):
                dropped.append({"list": name, "item": item, "reason": COPIED})
            else:
                keep.append(fact)
        if len(keep) != len(facts):
            kept[name] = keep
    return (profile.model_copy(update=kept) if kept else profile), dropped
