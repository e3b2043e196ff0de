"""Text plumbing shared by the rule extractors: sentences, clauses and name boundaries.

Everything works on the article text as given and returns offsets into it, so
that every evidence quote the rules produce is a verbatim slice.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "Sentences",
    "CJK",
    "NAME_CHARS",
    "clause_start",
    "clause_end",
    "trim_leading",
    "trim_trailing",
]

CJK = "\u4e00-\u9fff"
# characters a proper name may be spelled with: CJK, Latin, digits and the brackets of 鑫石(朔州)
NAME_CHARS = f"{CJK}A-Za-z0-9()（）"

_SENTENCE_END = re.compile(r"[。！？；!?;\n]+")
_MAX_SENTENCE = 400  # longer "sentences" are cut so that per-sentence work stays linear overall
_MAX_CLAUSE = 300  # OCR runs without punctuation must not make the scans quadratic
_CLAUSE_DELIMS = set("，,：:。！？；!?;\n“”\"「」")
_DELIM_RE = re.compile(f"[{re.escape(''.join(sorted(_CLAUSE_DELIMS)))}]")


@dataclass(frozen=True)
class Sentences:
    """The sentence spans of a text, for looking up the sentence around an offset."""

    text: str
    spans: tuple[tuple[int, int], ...]
    starts: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> "Sentences":
        """Return the sentences of ``text`` (split at 。！？；, line ends; end punctuation kept)."""
        return _sentences_of(text)

    def around(self, pos: int) -> tuple[int, int]:
        """Return the ``(start, end)`` of the sentence holding offset ``pos``."""
        i = bisect.bisect_right(self.starts, pos) - 1
        if i < 0:
            return self.spans[0] if self.spans else (0, len(self.text))
        return self.spans[i]

    def index(self, pos: int) -> int:
        """Return the number of the sentence holding offset ``pos``."""
        return max(0, bisect.bisect_right(self.starts, pos) - 1)


@lru_cache(maxsize=16)  # every extractor of one article asks for the same text
def _sentences_of(text: str) -> Sentences:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end() if text[m.start()] != "\n" else m.start()
        _add_span(text, spans, start, end)
        start = m.end()
    _add_span(text, spans, start, len(text))
    return Sentences(text, tuple(spans), tuple(s for s, _ in spans))


def _add_span(text: str, spans: list, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > _MAX_SENTENCE:  # an OCR run with no full stop: cut at a comma, else hard
        cut = max(text.rfind(c, start, start + _MAX_SENTENCE) for c in "，,")
        cut = cut + 1 if cut > start else start + _MAX_SENTENCE
        spans.append((start, cut))
        start = cut
    if end > start:
        spans.append((start, end))


@lru_cache(maxsize=16)
def _delimiter_positions(text: str, chars: str) -> tuple[int, ...]:
    pattern = _DELIM_RE if not chars else re.compile(f"[{re.escape(''.join(_CLAUSE_DELIMS) + chars)}]")
    return tuple(m.start() for m in pattern.finditer(text))


def clause_start(text: str, pos: int, floor: int = 0, extra: str = "") -> int:
    """Return the offset just after the last clause delimiter before ``pos`` (not below ``floor``)."""
    floor = max(floor, pos - _MAX_CLAUSE)
    delims = _delimiter_positions(text, extra)
    i = bisect.bisect_left(delims, pos) - 1
    return max(floor, delims[i] + 1) if i >= 0 else floor


def clause_end(text: str, pos: int, ceiling: int | None = None, extra: str = "") -> int:
    """Return the offset of the first clause delimiter at or after ``pos`` (not above ``ceiling``)."""
    ceiling = min(len(text) if ceiling is None else ceiling, pos + _MAX_CLAUSE)
    delims = _delimiter_positions(text, extra)
    i = bisect.bisect_left(delims, pos)
    return min(ceiling, delims[i]) if i < len(delims) else ceiling


def trim_leading(phrase: str, words: tuple[str, ...], max_rounds: int = 6) -> tuple[str, int]:
    """Strip any of ``words`` from the start of ``phrase`` repeatedly; return the rest and how much was cut."""
    cut = 0
    for _ in range(max_rounds):
        for word in words:
            if phrase.startswith(word) and len(phrase) > len(word):
                phrase, cut = phrase[len(word):], cut + len(word)
                break
        else:
            break
    return phrase, cut


def trim_trailing(phrase: str, words: tuple[str, ...] | list[str], keep: int = 1) -> str:
    """Return ``phrase`` with any of ``words`` stripped from its end, pass after pass, leaving at least ``keep``
    characters."""
    changed = True
    while changed:
        changed = False
        for word in words:
            if phrase.endswith(word) and len(phrase) - len(word) >= keep:
                phrase, changed = phrase[: -len(word)], True
    return phrase
