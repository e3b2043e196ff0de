"""Line roles → articles: an answer that agrees with the layout segmenter rebuilds its articles exactly.

For every seed page (and the development pages under ../shared/dev_pages when present) the answer a model
agreeing with the layout would give is derived from the layout's own articles; it must pass
:func:`check_roles` and :func:`build_articles` must return the layout's articles, field for field (titles,
zone headers, subtitles, authors, captions, continuation marks, body text and offsets). This pins the model
path to the layout's header, body and author code rather than a second implementation of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kaifaqu_llm.core.document import Page
from kaifaqu_llm.pages.layout import BYLINE, FROM, HEAD, SUB, TO, ZONE, md_heading
from kaifaqu_llm.pages.reader import read_page
from kaifaqu_llm.pages.roles import PageSegmentation, build_articles, check_roles, page_lines
from kaifaqu_llm.pages.segment import segment
from tests.conftest import REPO

DEV_PAGES = REPO.parent / "shared" / "dev_pages"
PAGES = sorted((REPO / "seeds").glob("*.txt")) + (sorted(DEV_PAGES.glob("*.txt")) if DEV_PAGES.is_dir() else [])
_HEADER = (HEAD, ZONE, SUB, BYLINE)


def agreeing_answer(page: Page) -> PageSegmentation:
    """Return the spans and roles of the layout's articles, as a model agreeing with it would answer."""
    lines, kinds, captions = page_lines(page)
    spans = []
    for article in segment(page):
        idx = [i for i, ln in enumerate(lines) if ln.start >= article.start and ln.end <= article.end]
        title_at = next((i for i in idx if article.title and kinds[i] in _HEADER
                         and article.title in md_heading(lines[i].text)[1]), None)
        block: set[int] = set()
        if title_at is not None:
            lo = hi = title_at
            while lo - 1 in idx and kinds[lo - 1] in _HEADER:
                lo -= 1
            while hi + 1 in idx and kinds[hi + 1] in _HEADER:
                hi += 1
            block = set(range(lo, hi + 1))
        roles = {}
        for i in idx:
            kind = kinds[i]
            if kind in (FROM, TO):
                roles[i] = "continuation"
            elif i in block:
                roles[i] = {BYLINE: "byline", SUB: "subtitle"}.get(kind) or (
                    "zone" if kind == ZONE and article.zone_header == lines[i].text else
                    "title" if i == title_at else "kicker" if kind == HEAD else "zone")
            elif kind == BYLINE:
                roles[i] = "byline"
            elif i in captions:
                roles[i] = "caption"
        spans.append({"first": idx[0] + 1, "last": idx[-1] + 1,
                      "roles": [{"line": i + 1, "role": r} for i, r in sorted(roles.items())]})
    return PageSegmentation.model_validate({"articles": spans})


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_an_answer_agreeing_with_the_layout_rebuilds_its_articles(path: Path) -> None:
    page = read_page(path)
    lines, kinds, captions = page_lines(page)
    answer = agreeing_answer(page)
    assert check_roles(lines, kinds, answer) is None
    articles, problem = build_articles(page, lines, kinds, captions, answer)
    assert problem is None
    assert [a.to_json() for a in articles] == [a.to_json() for a in segment(page)]
    assert any(r.role == "title" for s in answer.articles for r in s.roles)  # not vacuous: headers were rebuilt
