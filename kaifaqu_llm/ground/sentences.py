"""The sentence evidence form (``evidence="sentence"``): the model cites numbered sentences, not quotes.

In this form the prompt shows the article body one sentence a line, each behind
its number (``[S1] …``), and the model answers a fact's ``evidence`` with the
number(s) of the sentence(s) that prove it (``"S3"``, ``"S3,S4"``). Answers are
shorter (no copied text) and cannot paraphrase. Once the answer is in,
:func:`cite_sentences` replaces each cited number by the sentence text itself,
taken from the article, so grounding (:mod:`.records`) finds it like any
quote and every later stage is unchanged. Adjacent sentences are cited as one
stretch of text; sentences apart are joined with ``……``, which grounding reads as
"these pieces in this order". A number not in the article is left as the model wrote
it: the fact stays ungrounded, and the record says which sentence was missing.
Evidence that is not a citation (the model quoted anyway) passes through untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.schema import ArticleProfile

__all__ = ["EVIDENCE_FORMS", "Sentence", "split_sentences", "numbered_text", "parse_citation",
           "cite_sentences", "citation_ids"]

EVIDENCE_FORMS = ("quote", "sentence")
_END = "。！？；!?;"
_CLOSERS = "”’」』）)\"'"
# A sentence: up to and including its end mark (and any closing quotes or brackets after it), or up to a line end.
_SENTENCE = re.compile(rf"[^{_END}\n]*(?:[{_END}]+[{_CLOSERS}]*|(?=\n)|$)")
_ID = r"\[?[Ss]?(\d+)\]?"
_CITATION = re.compile(rf"^\s*{_ID}(?:\s*[-–~至]\s*{_ID})?(?:\s*[,，、;；和及\s]\s*{_ID}(?:\s*[-–~至]\s*{_ID})?)*\s*$")
_PART = re.compile(rf"{_ID}(?:\s*[-–~至]\s*{_ID})?")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a text: its number (1-based) and ``start``/``end`` offsets into that text."""

    number: int
    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Sentence]:
    """Return the sentences of ``text`` in order, numbered from 1, with offsets into ``text``.

    A sentence ends after 。！？；!?; (closing quotes and brackets stay with it) or at a line
    break; surrounding whitespace is not part of it and blank stretches are no sentence.
    """
    sentences: list[Sentence] = []
    for match in _SENTENCE.finditer(text):
        piece = match.group()
        stripped = piece.strip()
        if not stripped:
            continue
        start = match.start() + (len(piece) - len(piece.lstrip()))
        sentences.append(Sentence(len(sentences) + 1, start, start + len(stripped), stripped))
    return sentences


def numbered_text(text: str) -> str:
    """Return ``text`` as the prompt shows it in the sentence form: one ``[S<n>] sentence`` a line."""
    return "\n".join(f"[S{s.number}] {s.text}" for s in split_sentences(text))


def parse_citation(evidence: str) -> list[int] | None:
    """Return the sentence numbers ``evidence`` cites (``S3``, ``S3,S4``, ``[S3]、[S5]``, ``S3-S5``), sorted and
    unique, or None when it is not a citation (a quote)."""
    if not evidence or not _CITATION.match(evidence):
        return None
    numbers: set[int] = set()
    for part in _PART.finditer(evidence):
        first = int(part.group(1))
        last = int(part.group(2)) if part.group(2) else first
        if last < first or last - first > 50:  # a reversed or absurd range: cite its ends only
            numbers.update((first, last))
        else:
            numbers.update(range(first, last + 1))
    return sorted(numbers)


def citation_ids(evidence: str | None) -> list[str] | None:
    """Return ``evidence``'s cited sentence ids (``["S3", "S9"]``) when it reads as a citation written with ``S``
    (``S9``, ``[S9]``), else None (a bare number could be a quote)."""
    numbers = parse_citation(evidence or "") if re.search(r"[Ss]\d", evidence or "") else None
    return None if numbers is None else [f"S{n}" for n in numbers]


def _evidence_text(text: str, cited: list[Sentence]) -> str:
    """Return the article text of ``cited``: adjacent sentences as one stretch, gaps marked with ``……``."""
    runs: list[list[Sentence]] = []
    for sentence in cited:
        if runs and runs[-1][-1].number + 1 == sentence.number:
            runs[-1].append(sentence)
        else:
            runs.append([sentence])
    return "……".join(text[run[0].start: run[-1].end] for run in runs)


def cite_sentences(profile: ArticleProfile, text: str) -> ArticleProfile:
    """Return ``profile`` with every citation of a sentence of ``text`` replaced by that sentence's text.

    A citation naming any number ``text`` does not have is left as written (grounding
    reports it); evidence that is not a citation is left as it is.
    """
    sentences = {s.number: s for s in split_sentences(text)}
    data = profile.model_dump(mode="json")
    changed = False
    for name, facts in data.items():
        if not isinstance(facts, list):
            continue
        for fact in facts:
            numbers = parse_citation(fact.get("evidence") or "")
            if numbers and all(n in sentences for n in numbers):
                fact["evidence"] = _evidence_text(text, [sentences[n] for n in numbers])
                changed = True
    return ArticleProfile.model_validate(data) if changed else profile
