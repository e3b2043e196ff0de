"""Value objects passed between pipeline stages: a decoded page and its articles.

``Page.text`` is the decoded original, untouched (line ends included); every
offset anywhere in kaifaqu-llm is a character offset into it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = ["Page", "Article"]


@dataclass(frozen=True)
class Page:
    """One decoded page.

    ``source`` is the file name (no directory), ``path`` the path it was read
    from (None for pages built in memory), ``encoding`` the codec that decoded it
    (``utf-8``, ``utf-8-sig``, ``utf-16``, ``gb18030``...).
    """

    source: str
    text: str
    encoding: str = "utf-8"
    path: str | None = None


@dataclass(frozen=True)
class Article:
    """One article cut from a page.

    ``text`` is the cleaned body: broken lines joined, in-body heads kept as
    their own paragraphs (separated by ``\\n``), duplicated paragraphs dropped
    once, byline and continuation markers removed. ``start``/``end`` are the
    character offsets of the whole article (headers included) in ``Page.text``;
    ``body_start``/``body_end`` those of the body alone.
    ``parts`` lists ``(source, start, end)`` of every page region the article was
    stitched from (one entry for an unstitched article).
    ``captions`` lists the photo captions found in the body (图为…, …摄): they stay in ``text``
    (annotators count them as body) but are not the article's sentences; photographers are not authors.
    """

    source: str
    index: int
    title: str | None
    text: str
    start: int
    end: int
    zone_header: str | None = None
    subtitle: str | None = None
    authors: tuple[str, ...] = ()
    continued_from: str | None = None
    continues_to: str | None = None
    body_start: int | None = None
    body_end: int | None = None
    parts: tuple[tuple[str, int, int], ...] = field(default=())
    captions: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """Return the article as the JSON object of the ``kaifaqu segment --json`` contract."""
        return {
            "index": self.index,
            "zone_header": self.zone_header,
            "title": self.title,
            "subtitle": self.subtitle,
            "authors": list(self.authors),
            "continued_from": self.continued_from,
            "continues_to": self.continues_to,
            "text": self.text,
            "start": self.start,
            "end": self.end,
        } | ({"captions": list(self.captions)} if self.captions else {})

    def as_dict(self) -> dict:
        """Return every field as a plain dict (for pickling across processes)."""
        return asdict(self)
