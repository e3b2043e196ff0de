"""Grounding: find each fact's evidence quote in the original page.

A quote counts as found when it occurs in the article's page region after both
sides are folded for matching: whitespace removed (OCR line and column breaks),
full-width ASCII forms and curly quotes folded to their plain forms. The folding
happens on a copy that keeps, for every folded character, its offset in the
original text, so a match maps back to exact ``start``/``end`` offsets in
``Page.text``. The original is never normalised (NFKC would turn ㎡ into m2 and
shift every offset after it).

Quotes that a model shortened with an ellipsis (``甲……乙``) are found when every
piece occurs in order; quotes that differ only in punctuation are found on a
second pass that ignores punctuation. Each located span says which pass found it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Span", "EvidenceLocator", "fold_for_matching", "locate", "value_in_evidence"]

_FOLD = {0x3000: None, 0x201C: '"', 0x201D: '"', 0x2018: "'", 0x2019: "'", 0x300C: '"', 0x300D: '"',
         0xFF5E: "~", 0x2014: "-", 0x2013: "-", 0x2212: "-", 0x3001: ","}
_FOLD.update({cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F) if cp not in _FOLD})
_ELLIPSIS = re.compile(r"(?:…+|\.{3,}|。{3,})")
_MAX_ELLIPSIS_GAP = 300  # folded characters a "……" may stand for


def _fold_char(ch: str) -> str | None:
    """Return the matching form of one character, or None when it is dropped (whitespace)."""
    if ch.isspace():
        return None
    folded = _FOLD.get(ord(ch), ch)
    return folded


def fold_for_matching(text: str) -> str:
    """Return ``text`` folded for matching: no whitespace, full-width ASCII and curly quotes made plain."""
    return "".join(c for c in (_fold_char(ch) for ch in text) if c)


def _is_punct(ch: str) -> bool:
    return ch != "%" and (unicodedata.category(ch).startswith("P") or ch in "~-")


@dataclass(frozen=True)
class Span:
    """A located quote: ``start``/``end`` offsets in the original text and the pass that found it."""

    start: int
    end: int
    match: str  # "exact" | "folded" | "ellipsis" | "loose"


class EvidenceLocator:
    """Finds quotes in one region of a text; folds the region once for many look-ups."""

    def __init__(self, text: str, start: int = 0, end: int | None = None) -> None:
        end = len(text) if end is None else end
        self._text = text
        self._start, self._end = start, end
        chars: list[str] = []
        offsets: list[int] = []
        for i in range(start, end):
            folded = _fold_char(text[i])
            if folded:
                chars.append(folded)
                offsets.append(i)
        self._folded = "".join(chars)
        self._offsets = offsets
        self._loose: tuple[str, list[int]] | None = None

    def _span(self, i: int, j: int, match: str, offsets: list[int] | None = None) -> Span:
        offsets = self._offsets if offsets is None else offsets
        return Span(offsets[i], offsets[j - 1] + 1, match)

    def _loose_view(self) -> tuple[str, list[int]]:
        if self._loose is None:
            keep = [k for k, ch in enumerate(self._folded) if not _is_punct(ch)]
            self._loose = ("".join(self._folded[k] for k in keep), [self._offsets[k] for k in keep])
        return self._loose

    def locate(self, quote: str | None) -> Span | None:
        """Return the :class:`Span` of ``quote`` in the region, or None when it is not there."""
        if not quote or not quote.strip():
            return None
        raw = quote.strip()
        exact = self._text.find(raw, self._start, self._end)
        if exact >= 0:
            return Span(exact, exact + len(raw), "exact")
        folded = fold_for_matching(raw)
        if not folded:
            return None
        i = self._folded.find(folded)
        if i >= 0:
            return self._span(i, i + len(folded), "folded")
        pieces = [fold_for_matching(p) for p in _ELLIPSIS.split(raw)]
        pieces = [p for p in pieces if p]
        if len(pieces) > 1:
            pos, first = 0, None
            for piece in pieces:
                k = self._folded.find(piece, pos)
                if k < 0 or (first is not None and k - pos > _MAX_ELLIPSIS_GAP):
                    break
                first = k if first is None else first
                pos = k + len(piece)
            else:
                return self._span(first, pos, "ellipsis")
        loose_quote = "".join(ch for ch in folded if not _is_punct(ch))
        if len(loose_quote) >= 2:
            loose_text, loose_offsets = self._loose_view()
            k = loose_text.find(loose_quote)
            if k >= 0:
                return self._span(k, k + len(loose_quote), "loose", loose_offsets)
        return None


def locate(quote: str, text: str, start: int = 0, end: int | None = None) -> Span | None:
    """Return the :class:`Span` of ``quote`` in ``text[start:end]`` (offsets into ``text``), or None."""
    return EvidenceLocator(text, start, end).locate(quote)


_CN_DIGITS = "〇零一二两三四五六七八九十百千万亿"


def value_in_evidence(value: float, value_text: str | None, evidence: str) -> bool:
    """Return True when the indicator's number, as written or as a plain number, occurs in ``evidence``."""
    haystack = fold_for_matching(evidence).replace(",", "")
    candidates = set()
    if value_text:
        text = fold_for_matching(value_text).replace(",", "")
        candidates.add(text)
        digits = re.sub(r"[^0-9.%s]" % _CN_DIGITS, "", text)
        if digits:
            candidates.add(digits)
    if value == int(value):
        candidates.add(str(int(value)))
    candidates.add(repr(float(value)))
    candidates.add(f"{value:g}")
    for candidate in candidates:
        if not candidate:
            continue
        for match in re.finditer(re.escape(candidate), haystack):
            before = haystack[match.start() - 1] if match.start() else ""
            after = haystack[match.end()] if match.end() < len(haystack) else ""
            # "5" must not ground inside "15" or "5.6"; Chinese numerals are taken as they come
            if candidate[0].isdigit() and (before.isdigit() or before == "."):
                continue
            if candidate[-1].isdigit() and (after.isdigit() or (after == "." and haystack[match.end() + 1: match.end() + 2].isdigit())):
                continue
            return True
    return False
