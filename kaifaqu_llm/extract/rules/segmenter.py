"""Word segmentation and part-of-speech tags from jieba, loaded lazily and used on short windows only.

jieba tags a whole article at about 0.2 MB/s, far below the rules' speed target (≥ 1 MB/s), so the
rules ask it only about a few characters at a time (the words right after a role: is this a
personal name?). Its first use builds jieba's prefix dictionary (about 1 s) and caches it in the
system temp directory (jieba's default, ``tempfile.gettempdir()``); nothing else is written.
Without jieba installed, :func:`words` returns None and the rules fall back to their lexicons.
"""

from __future__ import annotations

import logging
from functools import lru_cache

__all__ = ["words", "available"]


@lru_cache(maxsize=1)
def _posseg():
    try:
        import jieba
        import jieba.posseg as posseg
    except ImportError:
        return None
    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict…" lines on stderr
    return posseg


def available() -> bool:
    """Return True when jieba can be imported."""
    return _posseg() is not None


@lru_cache(maxsize=4096)
def words(window: str) -> tuple[tuple[str, str], ...] | None:
    """Return ``(word, tag)`` pairs jieba finds in ``window`` (tags: nr person, ns place, nt body, v verb…),
    or None without jieba."""
    posseg = _posseg()
    if posseg is None:
        return None
    return tuple((p.word, p.flag) for p in posseg.cut(window))
