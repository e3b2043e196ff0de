"""Does a header block open a new article, or is it a section head inside the current one?

When nothing closes the article before it (no byline, no (完), no (下转)), a run of headline-like
lines followed by body text is ambiguous: a new article's headline, or an in-body section head.
The answer is ONE scored decision: every cue below that holds adds its weight, and the block opens
a new article when the sum reaches :data:`THRESHOLD`. The cues are typography and context only:
how the page marks the line, how it is spaced, how the line before ends, how the text after
begins, and the headline's length; never the words of a particular page.

A block right after a closed article, or at the top of the page, always opens an article; the
segmenter does not ask this module then.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.text import squash
from .layout import BYLINE, HEAD, ZONE, Line, ends_sentence, is_dateline, md_heading, split_zone_prefix

__all__ = ["WEIGHTS", "THRESHOLD", "block_cues", "opens_article", "usual_gap"]

# (cue, weight, why). A cue of weight ≥ THRESHOLD decides on its own; the weaker ones must agree.
WEIGHTS: dict[str, tuple[float, str]] = {
    "markdown": (4.0, "a # / ## line: the page itself marks a headline"),
    "zone_line": (4.0, "a zone-name line beside the headline: how these pages open an article"),
    "zone_prefix": (4.0, "the headline line starts with a zone name and a space"),
    "author_line": (4.0, "an author line under the headline: only articles carry bylines"),
    "dateline": (4.0, "the body opens with a news dateline (…讯, …电): only an article's lead does"),
    "lead_restates": (1.5, "half the headline's character pairs recur in the next paragraph: a lead retells its "
                            "headline, a section head names a theme"),
    "news_lead": (1.5, "the body opens like a news lead: a date (6月9日,) or 近日 / 日前 / 记者…"),
    "blank_run": (2.0, "more blank lines before the block than the page puts between paragraphs"),
    "after_sentence": (1.0, "the line before ends a sentence, so nothing runs on into the block"),
    "mid_sentence": (-4.0, "the line before stops mid-sentence: the 'headline' is a line the OCR broke"),
    "long_title": (1.0, "16+ characters: article headlines state a news item, section heads a theme"),
    "short_title": (-1.0, "8 characters or fewer: the size of a section head (提升硬实力)"),
    "repeats_title": (-6.0, "the same words as the current article's headline: a repeat in the body"),
}
THRESHOLD = 3.0

_LEAD = re.compile(r"^(?:\d{2,4}年)?(?:\d{1,2}月)?\d{1,2}日|^(?:近日|日前|近期|连日来|昨天|昨日|今天|今日|记者)")


@dataclass(frozen=True)
class Context:
    """What the decision may look at besides the block: the page's usual gap between paragraphs
    and the headline of the article the block would interrupt."""

    usual_gap: int
    current_title: str | None


def usual_gap(lines: Sequence[Line]) -> int:
    """Return the page's most common number of blank lines between two non-blank lines."""
    counts: dict[int, int] = {}
    for ln in lines[1:]:
        counts[ln.gap] = counts.get(ln.gap, 0) + 1
    return max(sorted(counts), key=lambda g: counts[g]) if counts else 0


_NOT_WORD = re.compile(r"[^\u4e00-\u9fff0-9A-Za-z]")


def _overlap(title: str, paragraph: str) -> float:
    """Return the share of the title's character pairs (Chinese, digits, letters) found in the
    paragraph's first 200 characters."""
    t = _NOT_WORD.sub("", title)
    pairs = {t[k:k + 2] for k in range(len(t) - 1)}
    if len(pairs) < 4:
        return 0.0
    p = _NOT_WORD.sub("", paragraph[:200])
    return len(pairs & {p[k:k + 2] for k in range(len(p) - 1)}) / len(pairs)


def block_cues(lines: Sequence[Line], kinds: Sequence[str], i: int, j: int, ctx: Context) -> list[str]:
    """Return the names of the cues (keys of :data:`WEIGHTS`) that hold for the header block
    ``lines[i:j]`` followed by the body line ``lines[j]``."""
    cues: list[str] = []
    heads = [x for x in range(i, j) if kinds[x] == HEAD]
    for x in heads:
        level, rest = md_heading(lines[x].text)
        if 1 <= level <= 2:
            cues.append("markdown")
        if split_zone_prefix(rest):
            cues.append("zone_prefix")
    if heads and any(kinds[x] == ZONE for x in range(i, j)):
        cues.append("zone_line")
    if any(kinds[x] == BYLINE for x in range(i, j)):
        cues.append("author_line")
    body = lines[j].text
    if is_dateline(body):
        cues.append("dateline")
    elif _LEAD.match(body):
        cues.append("news_lead")
    if lines[i].gap > ctx.usual_gap:
        cues.append("blank_run")
    if i > 0:
        cues.append("after_sentence" if ends_sentence(lines[i - 1].text) or kinds[i - 1] != "body"
                    else "mid_sentence")
    if heads:
        title = md_heading(lines[heads[-1]].text)[1]
        size = len(squash(title) or "")
        if size >= 16:
            cues.append("long_title")
        elif size <= 8:
            cues.append("short_title")
        if _overlap(title, body) >= 0.5:
            cues.append("lead_restates")
        if ctx.current_title and squash(title) == squash(ctx.current_title):
            cues.append("repeats_title")
    return list(dict.fromkeys(cues))


def opens_article(lines: Sequence[Line], kinds: Sequence[str], i: int, j: int, ctx: Context) -> bool:
    """Return True when the header block ``lines[i:j]`` opens a new article (score ≥ THRESHOLD)."""
    return sum(WEIGHTS[c][0] for c in block_cues(lines, kinds, i, j, ctx)) >= THRESHOLD
