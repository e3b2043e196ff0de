"""Joining an article that jumps to another page with the fragment that holds its rest.

An article ending with (下转D5版) has ``continues_to="D5版"``; a headline-less fragment opening
with (上接D1版) has ``continued_from="D1版"``. :func:`stitch` pairs them across the pages given:

* A page's edition is known when the caller passes it (``editions={source: "D5"}``) or when the
  file name holds one as a separate token (``2024-05-10_D5.txt``, ``D5版.txt``). A known edition
  must agree with the marker pointing at it (the fragment's page must be the ``continues_to``
  edition, the head's page the ``continued_from`` one); unknown editions do not veto a pair.
* Among the admissible pairs, the one with most editions confirmed wins; then the pair whose texts
  share the most distinctive wording (TF-IDF cosine over CJK character bigrams, IDF over all the
  articles given: a continuation keeps naming the same companies and projects); then a fragment on a
  page given after the head's page; then the nearest page in the order given. Pairs are taken best
  first over the whole batch, so a head never takes a fragment that fits another head better.
* Each fragment joins one article; chains (a fragment that itself says 下转) are followed.

The stitched article keeps the head's headline fields, offsets and index; its ``text`` is the
head's body, a newline and the fragment's; ``authors`` joins both lists; ``continues_to`` is the
last part's (None once the story is complete); ``parts`` lists every ``(source, start, end)``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..core.document import Article

__all__ = ["stitch", "page_edition"]

_NOT_CJK = re.compile(r"[^\u4e00-\u9fff]")
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


def _bigrams(text: str) -> Counter:
    cjk = _NOT_CJK.sub("", text)
    return Counter(cjk[i:i + 2] for i in range(len(cjk) - 1))


def _similarity(articles: Sequence[Article]):
    """Return a function giving the TF-IDF cosine of two of ``articles`` (character bigrams)."""
    counts = {id(a): _bigrams(a.text) for a in articles}
    df: Counter = Counter()
    for grams in counts.values():
        df.update(grams.keys())
    n = len(articles)
    vectors = {}
    for key, grams in counts.items():
        vector = {g: (1 + math.log(c)) * math.log(n / df[g]) for g, c in grams.items()}
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        vectors[key] = {g: w / norm for g, w in vector.items() if w}

    def cosine(a: Article, b: Article) -> float:
        u, v = vectors[id(a)], vectors[id(b)]
        if len(u) > len(v):
            u, v = v, u
        return sum(w * v.get(g, 0.0) for g, w in u.items())

    return cosine


def _merge(head: Article, tail: Article) -> Article:
    return replace(
        head,
        text=f"{head.text}\n{tail.text}" if head.text and tail.text else head.text or tail.text,
        authors=tuple(dict.fromkeys(head.authors + tail.authors)),
        continues_to=tail.continues_to,
        captions=head.captions + tail.captions,
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
    similarity = _similarity([article[key] for key in flat])
    candidates = []
    for key in flat:
        head = article[key]
        if not head.continues_to:
            continue
        for frag_key in fragments:
            if frag_key[0] == key[0]:
                continue
            want_here, want_there = _norm(head.continues_to), _norm(article[frag_key].continued_from)
            there, here = known[frag_key[0]], known[key[0]]
            if (there and there != want_here) or (here and here != want_there):
                continue
            distance = order[frag_key[0]] - order[key[0]]
            score = ((there is not None) + (here is not None), round(similarity(head, article[frag_key]), 3),
                     distance > 0, -abs(distance), -frag_key[1], -order[key[0]], -key[1])
            candidates.append((score, key, frag_key))
    link: dict[tuple[str, int], tuple[str, int]] = {}
    used: set[tuple[str, int]] = set()
    for _, key, frag_key in sorted(candidates, key=lambda c: c[0], reverse=True):
        if key not in link and frag_key not in used:
            link[key] = frag_key
            used.add(frag_key)
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
