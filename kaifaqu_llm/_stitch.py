"""Joining an article that jumps to another page with the fragment that holds its rest.

An article ending with (下转D5版) has ``continues_to="D5版"``; a headline-less fragment opening
with (上接D1版) has ``continued_from="D1版"``. :func:`stitch` pairs them across the pages given:

* A page's edition is known when the caller passes it (``editions={source: "D5"}``) or when the
  file name holds one as a separate token (``2024-05-10_D5.txt``, ``D5版.txt``). A known edition
  must agree with the marker pointing at it (the fragment's page must be the ``continues_to``
  edition, the head's page the ``continued_from`` one); unknown editions do not veto a pair.
* Among the admissible fragments on other pages, the one with most editions confirmed wins; then
  a fragment on a page given after the head's page; then the nearest page in the order given.
* Each fragment joins one article; chains (a fragment that itself says 下转) are followed.

The stitched article keeps the head's headline fields, offsets and index; its ``text`` is the
head's body, a newline and the fragment's; ``authors`` joins both lists; ``continues_to`` is the
last part's (None once the story is complete); ``parts`` lists every ``(source, start, end)``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace

from ._document import Article

__all__ = ["stitch", "page_edition"]

_EDITION_IN_NAME = re.compile(r"(?<![A-Za-z0-9])([A-Z])0*(\d{1,2})(?:版)?(?![A-Za-z0-9])")


def _norm(value: str | None) -> str | None:
    if not value:
        return None
    value = unicodedata.normalize("NFKC", value)  # a copy used for matching only
    value = re.sub(r"[\s第版页面]", "", value).upper()
    m = re.fullmatch(r"([A-Z]?)0*(\d+)", value)
    return f"{m.group(1)}{m.group(2)}" if m else value


def page_edition(source: str) -> str | None:
    """Return the edition a page file name states as a separate token (``..._D5.txt`` → ``"D5"``), or None."""
    stem = source.rsplit(".", 1)[0]
    matches = _EDITION_IN_NAME.findall(stem)
    return f"{matches[-1][0]}{matches[-1][1]}" if matches else None


def _merge(head: Article, tail: Article) -> Article:
    return replace(
        head,
        text=f"{head.text}\n{tail.text}" if head.text and tail.text else head.text or tail.text,
        authors=tuple(dict.fromkeys(head.authors + tail.authors)),
        continues_to=tail.continues_to,
        parts=(head.parts or ((head.source, head.start, head.end),))
        + (tail.parts or ((tail.source, tail.start, tail.end),)),
    )


def stitch(articles_by_page: Mapping[str, Sequence[Article]],
           editions: Mapping[str, str] | None = None) -> list[Article]:
    """Return all articles of the pages (in the order given) with every (下转) article joined to its
    (上接) fragment from another page; joined fragments no longer appear on their own."""
    sources = list(articles_by_page)
    order = {s: n for n, s in enumerate(sources)}
    known = {s: _norm((editions or {}).get(s) or page_edition(s)) for s in sources}
    flat = [(s, k) for s in sources for k in range(len(articles_by_page[s]))]
    article = {key: articles_by_page[key[0]][key[1]] for key in flat}
    fragments = [key for key in flat if article[key].continued_from]
    link: dict[tuple[str, int], tuple[str, int]] = {}
    used: set[tuple[str, int]] = set()
    for key in flat:
        head = article[key]
        if not head.continues_to:
            continue
        best, best_score = None, None
        for frag_key in fragments:
            if frag_key in used or frag_key[0] == key[0]:
                continue
            want_here, want_there = _norm(head.continues_to), _norm(article[frag_key].continued_from)
            there, here = known[frag_key[0]], known[key[0]]
            if (there and there != want_here) or (here and here != want_there):
                continue
            distance = order[frag_key[0]] - order[key[0]]
            score = ((there is not None) + (here is not None), distance > 0, -abs(distance), -frag_key[1])
            if best_score is None or score > best_score:
                best, best_score = frag_key, score
        if best is not None:
            link[key] = best
            used.add(best)
    out: list[Article] = []
    for key in flat:
        if key in used:
            continue
        merged, seen, nxt = article[key], {key}, link.get(key)
        while nxt is not None and nxt not in seen:
            merged = _merge(merged, article[nxt])
            seen.add(nxt)
            nxt = link.get(nxt)
        out.append(merged)
    return out
