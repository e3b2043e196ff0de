"""Articles from line roles: the page segmentation a model answers, checked against the layout's hard facts.

A model (``extract/llm/segmenter.py``) reads a page's numbered lines (the lines the layout segmenter
keeps: OCR duplicates dropped) and answers a :class:`PageSegmentation`: article spans ``first``–``last``
(1-based line numbers) and, inside each, the role of every line that is not body text.

:func:`check_roles` rejects an answer that does not partition the page (spans out of order or
overlapping, a line with Chinese text left outside every article, an article without body text)
or that contradicts what the layout knows for certain (:data:`HARD_FACTS`: a ``#``/``##`` headline,
a bracketed or multi-name byline, a (上接/下转) mark). :func:`build_articles` turns an accepted answer
into the same :class:`Article` objects ``segment.py`` builds, with its header, body, author and
offset code, so titles, zone headers, subtitles, captions and continuation marks read the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from ..core.document import Article, Page
from .layout import (
    BODY, BYLINE, CAPTION, FROM, HEAD, SUB, TO, ZONE, Line, has_cjk, marker_from, marker_to, md_heading,
    parse_byline, split_lines,
)
from .segment import _apply_header, _drop_duplicates, _Draft, _kinds, _to_article, add_line

__all__ = [
    "Role", "LineRole", "ArticleSpan", "PageSegmentation", "HARD_FACTS", "page_lines", "numbered_text",
    "check_roles", "build_articles",
]

Role = Literal["kicker", "title", "subtitle", "zone", "byline", "caption", "continuation", "body"]

# The kind each header role stands for in segment._apply_header (a kicker is neither title nor body).
_HEADER_KIND: dict[str, str] = {"kicker": "kicker", "title": HEAD, "subtitle": SUB, "zone": ZONE}
_SKIPPABLE_CHARS = 20   # a line without Chinese this short (page number, date, rule) may stay outside articles


class LineRole(BaseModel):
    """The role of one line that is not plain body text."""

    line: int = Field(ge=1, description="行号")
    role: Role = Field(description="kicker 引题 / title 主标题 / subtitle 副题 / zone 开发区名称行 / byline 署名行 / "
                                   "caption 图片说明 / continuation 转版标记行（上接、下转）/ body 正文")


class ArticleSpan(BaseModel):
    """One article: its first and last line, and the roles of its lines that are not body text."""

    first: int = Field(ge=1, description="文章第一行的行号")
    last: int = Field(ge=1, description="文章最后一行的行号")
    roles: list[LineRole] = Field(default_factory=list, description="本文中非正文行的角色；未列出的行是正文")

    @model_validator(mode="after")
    def _inside(self) -> ArticleSpan:
        if self.last < self.first:
            raise ValueError(f"last ({self.last}) is before first ({self.first})")
        outside = [r.line for r in self.roles if not self.first <= r.line <= self.last]
        if outside:
            raise ValueError(f"role given for line {outside[0]}, outside the article's lines {self.first}-{self.last}")
        return self


class PageSegmentation(BaseModel):
    """A page cut into articles, in reading order."""

    articles: list[ArticleSpan] = Field(description="版面上的文章，按行号顺序")


def page_lines(page: Page) -> tuple[list[Line], list[str], set[int]]:
    """Return the lines the layout segmenter reads (OCR duplicates dropped), their layout kinds and the
    indices of photo captions (whose kind is body)."""
    all_lines = split_lines(page.text)
    dropped = _drop_duplicates(all_lines)
    lines = [ln for ln in all_lines if ln.index not in dropped]
    kinds, captions = _kinds(lines)
    return lines, kinds, captions


# A long line is shown by its head and tail: every role is decided there (a dateline or (上接) at the start,
# a run-on byline, (完) or (下转) at the end; headlines are short), and body text is most of a page's tokens.
ELIDE_HEAD, ELIDE_TAIL, ELISION = 40, 20, "[…]"


def numbered_text(lines: list[Line]) -> str:
    """Return the lines as the model reads them: ``<number>| <text>``, one per line, numbered from 1, the middle
    of a line longer than ``ELIDE_HEAD + ELIDE_TAIL + 10`` characters replaced by ``[…]``."""
    def shown(text: str) -> str:
        if len(text) <= ELIDE_HEAD + ELIDE_TAIL + 10:
            return text
        return f"{text[:ELIDE_HEAD]}{ELISION}{text[-ELIDE_TAIL:]}"

    return "\n".join(f"{n}| {shown(ln.text)}" for n, ln in enumerate(lines, start=1))


def _firm_byline(ln: Line, kind: str) -> bool:
    names = parse_byline(ln.text) if kind == BYLINE else None
    # a lone unbracketed name may be a short section head (金融篇): the layout is not sure of it either
    return names is not None and (len(names) != 1 or ln.text[0] in "（(")


# (what the layout knows about a line, test on (line, kind), the roles a model may give such a line)
HARD_FACTS: tuple[tuple[str, Callable[[Line, str], bool], frozenset[str]], ...] = (
    ("a markdown headline", lambda ln, k: k == HEAD and 1 <= md_heading(ln.text)[0] <= 2,
     frozenset({"kicker", "title", "subtitle", "zone"})),
    ("a byline", _firm_byline, frozenset({"byline"})),
    ("a continuation mark", lambda ln, k: k in (FROM, TO), frozenset({"continuation"})),
)
# (role, test the line must pass, what it must be)
_ROLE_NEEDS: tuple[tuple[str, Callable[[Line, str], bool], str], ...] = (
    ("continuation", lambda ln, k: k in (FROM, TO), "a (上接X版) / (下转X版) mark"),
    ("byline", lambda ln, k: parse_byline(ln.text) is not None, "a line of reporters' names"),
)


def _roles_of(span: ArticleSpan) -> dict[int, str]:
    return {r.line - 1: r.role for r in span.roles}


def check_roles(lines: list[Line], kinds: list[str], answer: PageSegmentation) -> str | None:
    """Return why ``answer`` cannot be used for these lines (one line of text), or None when it can."""
    n, covered, prev_last = len(lines), set(), 0
    for span in answer.articles:
        where = f"article at lines {span.first}-{span.last}"
        if span.last > n:
            return f"{where}: the page has {n} lines"
        if span.first <= prev_last:
            return f"{where} overlaps or precedes the article ending at line {prev_last}"
        prev_last = span.last
        covered.update(range(span.first - 1, span.last))
    for i, ln in enumerate(lines):
        if i not in covered and (has_cjk(ln.text) or len(ln.text) > _SKIPPABLE_CHARS):
            return f"line {i + 1} belongs to no article"
    for span in answer.articles:
        problem = _check_article(lines, kinds, span)
        if problem:
            return f"article at lines {span.first}-{span.last}: {problem}"
    return None


def _check_article(lines: list[Line], kinds: list[str], span: ArticleSpan) -> str | None:
    roles = _roles_of(span)
    for i in range(span.first - 1, span.last):
        role = roles.get(i, "body")
        for fact, test, allowed in HARD_FACTS:
            if role not in allowed and test(lines[i], kinds[i]):
                return f"line {i + 1} is {fact}, not {role}"
        for needed_role, test, what in _ROLE_NEEDS:
            if role == needed_role and not test(lines[i], kinds[i]):
                return f"line {i + 1} is not {what}, so not {role}"
        if kinds[i] == FROM and i != span.first - 1:
            return f"line {i + 1} (上接) starts a fragment: it must be its article's first line"
    header = sorted(i for i, r in roles.items() if r in _HEADER_KIND)
    if header and any(roles.get(x, "body") not in (*_HEADER_KIND, "byline") for x in range(header[0], header[-1])):
        return "its headline lines are not one block"
    if header and not any(roles[x] in ("title", "zone") for x in header):
        return "a headline block without a title"
    text = [i for i in range(span.first - 1, span.last) if roles.get(i, "body") in ("body", "caption")
            or kinds[i] == FROM]
    if not any(marker_from(lines[i].text) is None or marker_from(lines[i].text)[1] < len(lines[i].text)
               for i in text):
        return "no body text"
    return None


def build_articles(page: Page, lines: list[Line], kinds: list[str], captions: set[int],
                   answer: PageSegmentation) -> tuple[list[Article], str | None]:
    """Return ``(articles, problem)``: the articles of an answer that passed :func:`check_roles`, or
    ``([], why)`` when building one shows the answer contradicts the page (body after its closing mark)."""
    articles = []
    for index, span in enumerate(answer.articles):
        draft, problem = _build(lines, kinds, captions, span)
        if problem:
            return [], f"article at lines {span.first}-{span.last}: {problem}"
        articles.append(_to_article(page, index, draft))
    return articles, None


def _role_kinds(roles: dict[int, str], n: int) -> list[str]:
    """Return the layout kinds ``_apply_header`` reads, as the model's roles say."""
    kinds = [BODY] * n
    for i, role in roles.items():
        kinds[i] = BYLINE if role == "byline" else _HEADER_KIND.get(role, BODY)
    return kinds


def _build(lines: list[Line], kinds: list[str], captions: set[int], span: ArticleSpan) -> tuple[_Draft, str | None]:
    roles = _roles_of(span)
    first, last = span.first - 1, span.last - 1
    draft = _Draft(lines[first], lines[first])
    header = sorted(i for i, r in roles.items() if r in _HEADER_KIND)
    body_lines = [i for i in range(first, last + 1) if roles.get(i, "body") in ("body", "caption")]
    closed_at: int | None = None
    i = first
    while i <= last:
        ln, role = lines[i], roles.get(i, "body")
        if closed_at is not None and (role in ("body", "caption") or i in header):
            return draft, f"line {i + 1} follows the article's end at line {closed_at + 1}"
        if header and i == header[0]:
            j = header[-1] + 1
            while j <= last and roles.get(j) == "byline":
                j += 1      # an author line right under the headline belongs to the header
            _apply_header(draft, lines, _role_kinds(roles, len(lines)), i, j)
            i = j
            continue
        if kinds[i] == FROM:
            value, cut = marker_from(ln.text)
            draft.fragment, draft.continued_from = True, value
            draft.add_body(ln, cut, len(ln.text), BODY)
        elif kinds[i] == TO:
            draft.continues_to, draft.last = marker_to(ln.text)[0], ln
            closed_at = i
        elif role == "byline":
            draft.authors.extend(parse_byline(ln.text) or ())
            draft.last = ln
            closed_at = i if any(b < i for b in body_lines) else closed_at
        elif role in ("body", "caption"):
            caption = role == "caption" or i in captions or kinds[i] == CAPTION
            if add_line(draft, ln, kinds[i], caption, lambda: i == body_lines[-1]):
                closed_at = i
        # a kicker outside the headline block is rejected by check_roles; nothing else is left
        i += 1
    return draft, None
