"""Text comparison helpers shared by the segmenter and the scorers."""

from __future__ import annotations

import re

__all__ = ["squash"]

_WHITESPACE = re.compile(r"\s+")


def squash(text: str | None) -> str | None:
    """Return ``text`` with all whitespace (full-width spaces included) removed; None stays None."""
    if text is None:
        return None
    return _WHITESPACE.sub("", text.replace("\u3000", ""))
