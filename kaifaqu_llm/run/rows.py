"""Pages to article rows: reading inputs page by page, segmenting, and the plain rows every engine moves.

An **article row** holds only plain strings and ints, so it pickles and fits an
Arrow column::

    {"doc_id": "<source>#<article_index>", "source": str, "article_index": int,
     "article_json": JSON of the Article's fields,
     "regions_json": JSON [[source, offset, page_text[offset:end]], ...]}

Grounding needs the page text, but a row carries only the slices of the page
regions the article was cut (or stitched) from, with their offsets, so
evidence offsets stay page-absolute while a row stays small.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..core.document import Article, Page
from ..core.errors import InputError

__all__ = ["PageSource", "doc_id_of", "article_row", "article_rows", "row_article", "segment_pages",
           "model_cuts", "page_problem"]


class PageSource:
    """The pages named by some inputs (files, directories, :class:`Page` objects), read one at a time.

    Iterating yields each readable page once (a later page with an already seen
    file name is an error); unreadable inputs become one line each in ``errors``.
    Iterating again reads the files again, so a caller need not hold the pages.
    """

    def __init__(self, inputs: Iterable[str | os.PathLike[str] | Page] | str | os.PathLike[str] | Page) -> None:
        from ..pages.reader import iter_page_paths

        if isinstance(inputs, (str, os.PathLike, Page)):
            inputs = [inputs]  # one input, not the characters of a path
        self.errors: list[str] = []
        self._items: list[Any] = []
        paths: list[Any] = []
        for item in inputs:
            if isinstance(item, Page):
                self._items.append(item)
                continue
            try:
                paths.extend(iter_page_paths([item]))
            except InputError as exc:
                self.errors.append(str(exc))
        self._items.extend(paths)  # Page objects first, then files, as given
        self._first_pass = True

    def __iter__(self) -> Iterator[Page]:
        return (page for _, page in self.numbered())

    def read(self, position: int) -> Page:
        """Return the page of input ``position`` (as numbered by :meth:`numbered`), read again."""
        from ..pages.reader import read_page

        item = self._items[position]
        return item if isinstance(item, Page) else read_page(item)

    def numbered(self) -> Iterator[tuple[int, Page]]:
        """Yield ``(position, page)`` for every readable page with a file name not seen before."""
        from ..pages.reader import read_page

        seen: set[str] = set()
        first, self._first_pass = self._first_pass, False
        for position, item in enumerate(self._items):
            if isinstance(item, Page):
                page = item
            else:
                try:
                    page = read_page(item)
                except InputError as exc:
                    if first:
                        self.errors.append(str(exc))
                    continue
            if page.source in seen:
                if first:
                    self.errors.append(f"{page.path or page.source}: another input has the same file name; "
                                       "names must be unique")
                continue
            seen.add(page.source)
            yield position, page


def segment_pages(pages: Sequence[Page], stitch: bool, cuts: Mapping[str, list[Article]] | None = None
                  ) -> list[Article]:
    """Return the articles of ``pages`` in page order, stitched across pages when asked; a page found in
    ``cuts`` (``{source: articles}``, e.g. the model segmenter's) keeps those articles, others are cut by layout."""
    from ..pages.segment import segment

    cuts = cuts or {}
    by_page = {page.source: cuts[page.source] if page.source in cuts else segment(page) for page in pages}
    if stitch and len(pages) > 1:
        from ..pages.stitch import stitch as stitch_articles

        return stitch_articles(by_page)
    return [article for page in pages for article in by_page[page.source]]


def model_cuts(source: PageSource, config: Any, options: Any) -> tuple[dict[str, list[Article]] | None, list]:
    """Return ``({source: articles}, [PageSegments])`` of every page of ``source`` cut by the model segmenter,
    or ``(None, [])`` when ``config`` (a :class:`~.batch.BatchConfig`) segments by layout.

    The pages are asked for all at once (``options.budget`` in flight) before the shards are planned, so
    every engine gets the same articles; the cuts are kept for the run (a page read again is not re-asked).
    """
    if config.segmenter() != "model":
        return None, []
    from ..extract.llm.segmenter import segment_with
    from .engine import run_blocking

    model = config.model_config(config.base_urls[0] if config.base_urls else config.model.base_url)
    results = run_blocking(segment_with(list(source), "model", model, cache_dir=options.cache_dir,
                                        use_cache=options.use_cache, refresh=options.refresh,
                                        concurrency=options.budget))
    return {r.page.source: r.articles for r in results}, results


def page_problem(page: Page) -> str:
    """Return the line for a page that yields no article (blank, or no text the segmenter keeps)."""
    problem = "blank page (no text)" if not page.text.strip() else (
        f"no article found in {len(page.text)} characters of text")
    return f"{page.path or page.source}: {problem}"


def doc_id_of(article: Article) -> str:
    """Return the document id of an article: ``<source>#<article_index>``."""
    return f"{article.source}#{article.index}"


def article_row(article: Article, pages: dict[str, Page]) -> dict:
    """Return the article row of ``article`` (its page regions sliced out of ``pages``)."""
    parts = article.parts or ((article.source, article.start, article.end),)
    regions = [[source, start, pages[source].text[start:end]] for source, start, end in parts if source in pages]
    return {
        "doc_id": doc_id_of(article),
        "source": article.source,
        "article_index": article.index,
        "article_json": json.dumps(article.as_dict(), ensure_ascii=False),
        "regions_json": json.dumps(regions, ensure_ascii=False),
    }


def article_rows(pages: Sequence[Page], *, stitch: bool = False) -> list[dict]:
    """Return the article rows of ``pages``, segmented (and stitched) as every engine does."""
    by_source = {page.source: page for page in pages}
    return [article_row(a, by_source) for a in segment_pages(list(pages), stitch)]


def row_article(row: dict) -> tuple[Article, dict[str, Page]]:
    """Return the :class:`Article` of an article row and page views for grounding it (offsets page-absolute)."""
    data = json.loads(str(row["article_json"]))
    data["authors"] = tuple(data.get("authors") or ())
    data["parts"] = tuple(tuple(part) for part in data.get("parts") or ())
    article = Article(**data)
    by_source: dict[str, list[tuple[int, str]]] = {}
    for source, start, text in json.loads(str(row["regions_json"])):
        by_source.setdefault(source, []).append((int(start), text))
    pages = {}
    for source, regions in by_source.items():
        # Blanks before and between regions: grounding only searches inside a region, so they are never read.
        text = ""
        for start, piece in sorted(regions):
            text = text.ljust(start)[:start] + piece + text[start + len(piece):]
        pages[source] = Page(source, text)
    return article, pages
