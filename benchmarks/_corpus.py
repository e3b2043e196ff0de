"""Benchmark inputs made from the seed pages: varied copies, so that no two cache keys collide."""

from __future__ import annotations

import re
from pathlib import Path

from kaifaqu_llm.core.document import Article, Page
from kaifaqu_llm.pages.segment import segment

__all__ = ["SEEDS", "seed_pages", "variant_page", "pages_for_articles", "articles_of", "write_batch", "first_pages"]

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
_NUMBER = re.compile(r"\d+")


def seed_pages() -> list[Page]:
    """Return the seed pages, sorted by name."""
    from kaifaqu_llm.pages.reader import read_page

    return [read_page(path) for path in sorted(SEEDS.glob("*.txt"))]


def variant_page(page: Page, k: int) -> Page:
    """Return copy ``k`` of ``page`` with every Arabic number raised by ``k`` (layout and length kept alike).

    Copy 0 is the page itself. Numbers change, so article texts, and so cache
    keys, differ between copies while the text stays newspaper-like.
    """
    if k == 0:
        return page
    text = _NUMBER.sub(lambda m: str(int(m.group(0)) + k), page.text)
    stem = page.source.rsplit(".", 1)[0]
    return Page(f"{stem}_v{k:04d}.txt", text, page.encoding)


def pages_for_articles(n: int) -> list[Page]:
    """Return the fewest seed copies whose articles (segmented page by page) number at least ``n``."""
    seeds = seed_pages()
    pages: list[Page] = []
    count, k = 0, 0
    while count < n:
        for page in seeds:
            variant = variant_page(page, k)
            pages.append(variant)
            count += len(segment(variant))
            if count >= n:
                break
        k += 1
    return pages


def articles_of(pages: list[Page]) -> list[Article]:
    """Return the articles of ``pages`` segmented page by page (no stitching), in order."""
    return [article for page in pages for article in segment(page)]


def write_batch(directory: Path, megabytes: float) -> tuple[int, int]:
    """Write seed copies into ``directory`` until they hold ``megabytes`` of UTF-8; returns (files, bytes)."""
    directory.mkdir(parents=True, exist_ok=True)
    seeds = seed_pages()
    files = written = 0
    k = 0
    while written < megabytes * 1e6:
        for page in seeds:
            variant = variant_page(page, k)
            data = variant.text.encode("utf-8")
            (directory / variant.source).write_bytes(data)
            files += 1
            written += len(data)
            if written >= megabytes * 1e6:
                break
        k += 1
    return files, written


def first_pages(batch: Path, target: Path, megabytes: float) -> tuple[int, int]:
    """Link the first pages of ``batch`` holding ``megabytes`` into ``target``; return (files, bytes)."""
    target.mkdir()
    files = size = 0
    for page in sorted(batch.iterdir()):
        if size >= megabytes * 1e6:
            break
        (target / page.name).symlink_to(page)
        files, size = files + 1, size + page.stat().st_size
    return files, size
