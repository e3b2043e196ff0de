"""Well-known firms named by the short form news uses (中联重科, 伊利, 一汽丰田), from a lexicon.

Big groups are written without any suffix the other organization rules could see. The
lexicon ``known_firms`` lists them; a name counts only where it stands as words of its
own: jieba's segmentation of the text around it must start a word where the name starts
and end one where it ends (集中建设 holds 中建, 三星级 holds 三星: neither is a firm). A name used
for the firm's product or channel (抖音直播, 通过抖音、微信宣传) is not the firm (``known_firm_as_channel``).
Without jieba, the characters either side must not be Chinese, or be a list mark or a
function character.
"""

from __future__ import annotations

import re

from .registry import lexicon, rule
from .segmenter import words

__all__ = ["known_firm_mentions"]

_RULE = rule("org.known-firm")
_NAMES = tuple(sorted(set(lexicon("known_firms")), key=len, reverse=True))
_NAME_RE = re.compile("|".join(map(re.escape, _NAMES)))
_CHANNEL = lexicon("known_firm_as_channel")
_CHANNEL_AFTER = tuple(w[1:] for w in _CHANNEL if w.startswith(">"))
_CHANNEL_BEFORE = tuple(w[1:] for w in _CHANNEL if w.startswith("<"))
_WINDOW = 8
_OPEN = set("、，,。；;：:（(“\"和与及在由对向将把从为是了的等")


def _stands_alone(text: str, start: int, end: int) -> bool:
    lo, hi = max(0, start - _WINDOW), min(len(text), end + _WINDOW)
    tokens = words(text[lo:hi])
    if tokens is None:  # no jieba: only punctuation or a function character may touch the name
        before, after = text[start - 1:start], text[end:end + 1]
        return (not before or before in _OPEN or not before.isalnum()) and (not after or not after.isalnum()
                                                                             or after in _OPEN)
    cuts, pos = {0}, 0
    for word, _tag in tokens:
        pos += len(word)
        cuts.add(pos)
    return start - lo in cuts and end - lo in cuts


def known_firm_mentions(text: str) -> list[tuple[str, int, int]]:
    """Return ``(name, start, end)`` for each lexicon firm written in ``text`` as words of its own."""
    if not _RULE.on:
        return []
    return [(m.group(), m.start(), m.end()) for m in _NAME_RE.finditer(text)
            if _stands_alone(text, m.start(), m.end()) and not _as_channel(text, m.start(), m.end())]


def _as_channel(text: str, start: int, end: int) -> bool:
    """True when the name stands for the firm's product or channel (抖音直播, 通过抖音、微信…)."""
    return text.startswith(_CHANNEL_AFTER, end) or text.endswith(_CHANNEL_BEFORE, 0, start)
