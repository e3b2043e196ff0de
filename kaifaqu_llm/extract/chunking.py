"""Long articles: estimate their size in tokens, split them, merge the chunk profiles.

Token estimate: one token per CJK character or full-width punctuation mark (a
fair, slightly pessimistic figure for the BPE vocabularies of Qwen, DeepSeek,
GPT-4o and Llama 3 on Chinese news; the curly quotes, dashes and ellipsis of
Chinese typesetting count as wide too), plus one token per three other non-space
characters (digits, Latin letters, ASCII punctuation). No tokenizer is loaded:
the estimate only has to decide when to split.

Chunks are exact substrings of the article text, so evidence quoted from a chunk
is verbatim article text. Splits fall between paragraphs (``\\n``), preferably
just before an in-body head; a paragraph larger than the budget alone is cut at
sentence ends, and only as a last resort mid-sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from ..core.facts import fact_kinds
from ..core.schema import ArticleProfile

__all__ = ["estimate_tokens", "split_text", "merge_chunk_profiles"]

_WIDE = re.compile(r"[\u2014-\u2026\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0002fa1f]")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
_TERMINAL = "。！？；!?;：:…”」）)"


def estimate_tokens(text: str) -> int:
    """Return the estimated token count of ``text`` (see the module docstring)."""
    wide = len(_WIDE.findall(text)) - text.count("\u3000")  # the ideographic space is whitespace
    other = sum(1 for ch in text if not ch.isspace()) - wide
    return wide + math.ceil(other / 3)


def _is_head(paragraph: str) -> bool:
    """An in-body head: a short line that does not end like a sentence."""
    line = paragraph.strip()
    return 0 < len(line) <= 30 and line[-1] not in _TERMINAL


def _pieces(text: str, budget: int) -> list[tuple[int, int]]:
    """Cut ``text`` into (start, end) spans of paragraphs, each within ``budget`` where possible."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in re.finditer(r"\n", text + "\n"):
        end = min(match.end(), len(text))
        if end > start:
            spans.extend(_split_paragraph(text, start, end, budget))
        start = end
    return spans


def _split_paragraph(text: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
    if estimate_tokens(text[start:end]) <= budget:
        return [(start, end)]
    out: list[tuple[int, int]] = []
    cursor = start
    for piece in _SENTENCE_END.split(text[start:end]):
        if not piece:
            continue
        piece_end = cursor + len(piece)
        while estimate_tokens(text[cursor:piece_end]) > budget:
            # A single sentence over budget: cut it by characters (rare: OCR run-ons).
            step = max(budget, 1)
            out.append((cursor, cursor + step))
            cursor += step
        if cursor < piece_end:
            out.append((cursor, piece_end))
        cursor = piece_end
    return out


def split_text(text: str, budget: int) -> list[str]:
    """Return ``text`` as consecutive chunks of at most ~``budget`` estimated tokens each.

    The chunks concatenate back to ``text`` exactly. Text within the budget comes
    back as a one-element list.
    """
    if estimate_tokens(text) <= budget:
        return [text]
    chunks: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for start, end in _pieces(text, budget):
        if current is None:
            current = (start, end)
            continue
        size = estimate_tokens(text[current[0] : end])
        # Start a new chunk when this piece would overflow, or at a head once the chunk is half full.
        head_break = _is_head(text[start:end]) and estimate_tokens(text[current[0] : current[1]]) >= budget // 2
        if size > budget or head_break:
            chunks.append(current)
            current = (start, end)
        else:
            current = (current[0], end)
    if current is not None:
        chunks.append(current)
    return [text[s:e] for s, e in chunks]


def merge_chunk_profiles(profiles: Sequence[ArticleProfile]) -> ArticleProfile:
    """Return one profile holding every fact of ``profiles``, duplicates dropped (first one kept).

    Facts are the same when their kind's identity (:meth:`FactKind.key`) is; a
    duplicate is folded into the kept fact by the kind's ``absorb`` (a zone that
    is primary in any chunk stays primary). The summary is the first chunk's
    that has one.
    """
    merged: dict[str, list[dict]] = {}
    for kind in fact_kinds():
        seen: dict[tuple, dict] = {}
        merged[kind.name] = []
        for profile in profiles:
            for fact in getattr(profile, kind.name, None) or []:
                data = fact.model_dump()
                key = kind.key(data)
                if key in seen:
                    if kind.absorb is not None:
                        kind.absorb(seen[key], data)
                    continue
                seen[key] = data
                merged[kind.name].append(data)
    summary = next((p.summary for p in profiles if p.summary), None)
    return ArticleProfile.model_validate({**merged, "summary": summary})
