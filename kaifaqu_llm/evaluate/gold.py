"""Reading human annotations in the gold format (see tests/gold/README.md).

A gold directory holds one ``<page-stem>.json`` per page:
``{"source": "<page file>", "articles": [{"index", "zone_header", "title", "subtitle", "body_start",
"body_end", "authors", "continued_from", "continues_to"}]}`` and, in each article, one list per fact
kind (``zones``, ``industries``, ``indicators``...; see :mod:`kaifaqu_llm.core.facts`).
Verbatim fields in gold have all whitespace removed; :func:`squash` does the same to our text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import GoldFormatError, input_error
from ..core.facts import fact_names
from ..core.text import squash

__all__ = ["GoldPage", "load_gold", "load_gold_page", "squash"]

_WHITESPACE = re.compile(r"\s+")
_ARTICLE_KEYS = ("index", "title", "body_start", "body_end", "authors")


@dataclass(frozen=True)
class GoldPage:
    """One annotated page: its ``source`` file name and its ``articles`` as annotated dicts."""

    source: str
    path: str
    articles: tuple[dict, ...]


def load_gold_page(path: str | Path) -> GoldPage:
    """Return the :class:`GoldPage` in one annotation file, or raise :class:`GoldFormatError`."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise input_error(path, f"cannot read gold file ({exc.__class__.__name__})", GoldFormatError) from None
    except json.JSONDecodeError as exc:
        raise input_error(path, f"not JSON (line {exc.lineno}: {exc.msg})", GoldFormatError) from None
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        raise input_error(path, 'expected an object with an "articles" list', GoldFormatError)
    source = data.get("source") or path.with_suffix(".txt").name
    for i, article in enumerate(data["articles"]):
        if not isinstance(article, dict):
            raise input_error(path, f"article {i} is not an object", GoldFormatError)
        missing = [k for k in _ARTICLE_KEYS if k not in article]
        if missing:
            raise input_error(path, f"article {i} lacks {', '.join(missing)}", GoldFormatError)
        for key in fact_names():
            if not isinstance(article.get(key, []), list):
                raise input_error(path, f"article {i}: {key} must be a list", GoldFormatError)
    return GoldPage(source=str(source), path=str(path), articles=tuple(data["articles"]))


def load_gold(directory: str | Path) -> dict[str, GoldPage]:
    """Return every annotated page in ``directory``, keyed by page source file name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise input_error(directory, "gold directory does not exist", GoldFormatError)
    pages = [load_gold_page(p) for p in sorted(directory.glob("*.json"))]
    if not pages:
        raise input_error(directory, "no *.json annotation files", GoldFormatError)
    return {page.source: page for page in pages}
