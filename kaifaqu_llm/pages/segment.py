"""Cutting a page into articles.

The page is read as a sequence of non-blank lines, each with a kind from ``_layout.classify``
(headline-like, zone name, dash subtitle, byline, continuation marker, body). Then one pass:

* An article **ends** at a byline (own line, run on after the last sentence, or bracketed),
  at 佚名, at (完) or at a (下转X版) marker. A lone unbracketed name on its own line or glued to the
  last sentence is ambiguous (a short section head like 金融篇, a word broken by the OCR); it ends
  the article only when what follows is not more body, or a headline follows within a lead's length.
* A **header block** is a run of headline-like / zone / subtitle lines (plus an author line
  under them) followed by body text. After an ending, or at the top of the page, a header block
  starts a new article. Without an ending before it, one scored decision (``boundary.py``: markdown
  headline, zone line, author line, dateline, blank run, news lead, a lead retelling the headline,
  how the line before ends, headline length, a repeat of the current headline) says whether it
  starts a new article; otherwise it is an in-body section head and stays in the body.
* Photo captions (图为…, …本报记者 甲 摄) stay in the body, are listed in ``captions``, never end
  or start an article, and are not read for the lead's reporters; photographers are not authors.
* A (上接X版) marker starts a continuation fragment; a fragment has no headline of its own (its
  headline is on the other page), so heads inside it are section heads.
* Up to three lines of untitled text after an ending, followed by a header block, are that
  article's lead (a lead or caption printed above the headline). A page's own opening text is
  not: it is kept as an untitled article (a continuation whose marker the OCR lost).
* Lines without any Chinese character (page numbers, dates, rules) between articles are skipped.
* OCR sometimes reads a run of paragraphs twice; when a run of lines (anchored on a line of at
  least 30 characters) occurs twice, the earlier copy is dropped and the later one kept (a single
  headline-shaped line repeated is a headline quoted in its body: both stay).

In a header block the headline is the markdown line (if any), else the last headline-like line;
headline-like lines above it are kickers; zone lines give ``zone_header``; dash lines under the
headline give ``subtitle``. Authors come from the author line, the reporters of a dateline lead
(``记者王波 通讯员张伦``) and the closing byline.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..core.document import Article, Page
from ..core.text import squash
from .reader import read_pages
from .stitch import stitch as stitch_articles
from .boundary import Context, opens_article, usual_gap
from .layout import (
    BODY, BYLINE, CAPTION, FROM, HEAD, SUB, TO, ZONE, Line, classify, end_mark, ends_sentence,
    first_clause_len, has_cjk, lead_authors, marker_from, marker_to, md_heading, parse_byline, runon_byline, split_inline_subtitle, split_lines, split_zone_prefix,
)

__all__ = ["segment", "segment_text", "segment_paths"]

_DUP_MIN_CHARS = 30     # a line this long occurring twice on a page is an OCR duplicate
_MAX_BLOCK_LINES = 7    # header blocks are short: kicker, zone, title, subtitles, author
_MAX_LEAD_LINES = 3     # lines of lead text allowed above a headline


@dataclass
class _Draft:
    first: Line
    last: Line
    after_end: bool = False
    fragment: bool = False
    title: str | None = None
    zone: str | None = None
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    continued_from: str | None = None
    continues_to: str | None = None
    body: list[tuple[Line, int, int, str]] = field(default_factory=list)
    check_lead: bool = True
    captions: list[str] = field(default_factory=list)

    def add_body(self, line: Line, a: int, b: int, kind: str, caption: bool = False) -> None:
        piece = line.text[a:b]
        a += len(piece) - len(piece.lstrip())
        b -= len(piece) - len(piece.rstrip())
        if b <= a:
            return
        if self.check_lead and not caption:
            self.authors.extend(lead_authors(line.text[a:b]))
            self.check_lead = False
        self.body.append((line, a, b, kind))


def _drop_duplicates(lines: list[Line]) -> set[int]:
    """Return indices of lines in the earlier copy of every run of lines the OCR read twice."""
    keys = [squash(ln.text) for ln in lines]
    first_seen: dict[str, int] = {}
    dropped: set[int] = set()
    for j, key in enumerate(keys):
        if len(key) < _DUP_MIN_CHARS:
            continue
        i = first_seen.get(key)
        if i is None or i in dropped:
            first_seen[key] = j
            continue
        back = 0
        while i - back > 0 and i - back - 1 not in dropped and j - back - 1 > i \
                and keys[i - back - 1] == keys[j - back - 1]:
            back += 1
        fwd = 0
        while j + fwd + 1 < len(keys) and i + fwd + 1 < j - back and keys[i + fwd + 1] == keys[j + fwd + 1]:
            fwd += 1
        if back == fwd == 0 and classify(lines[i].text) == HEAD:
            continue    # a headline repeated inside its body: both stay (the repeat is body text)
        dropped.update(range(i - back, i + fwd + 1))
        first_seen[key] = j
    return dropped


_CLAUSE_OPENERS = "，,。.、；;：:！!？?）)”’》」』…"


def _kinds(lines: list[Line]) -> tuple[list[str], set[int]]:
    """Return the kind of every line and the indices of photo captions (whose kind is BODY: a
    caption stays in its article's text and never marks a boundary)."""
    kinds = [classify(ln.text) for ln in lines]
    captions = {i for i, k in enumerate(kinds) if k == CAPTION}
    for i in captions:
        kinds[i] = BODY
    for i in range(len(lines) - 1):
        # A short unpunctuated line whose next line opens with a word fragment ("目，从…") or with
        # punctuation (OCR broke the line before a comma) is a sentence the OCR broke, not a head.
        nxt = lines[i + 1].text
        if kinds[i] == HEAD and not md_heading(lines[i].text)[0] and (
                nxt[0] in _CLAUSE_OPENERS or (_fragment_opens(nxt) and (i == 0 or _unfinished(lines, kinds, i - 1)))):
            kinds[i] = BODY
    return kinds, captions


def _fragment_opens(text: str) -> bool:
    """Return True when ``text`` opens with a clause of at most two characters (目，从… / 设，…)."""
    return first_clause_len(text) <= 2 and "\u4e00" <= text[0] <= "\u9fff" and len(text) > 2


def _unfinished(lines: list[Line], kinds: list[str], i: int) -> bool:
    """Return True when line ``i`` is body text that stops mid-sentence."""
    return kinds[i] == BODY and not ends_sentence(lines[i].text)


def _header_block(lines: list[Line], kinds: list[str], i: int) -> int | None:
    """Return the index of the first body line after a header block starting at ``i``, or None."""
    n, j = len(lines), i
    while j < n and j - i < _MAX_BLOCK_LINES:
        k = kinds[j]
        if k in (HEAD, ZONE) or (k == SUB and j > i):
            j += 1
        elif k == BYLINE and j > i and kinds[j - 1] in (HEAD, SUB) and j + 1 < n and kinds[j + 1] == BODY:
            j += 1
            break
        else:
            break
    if j >= n or kinds[j] != BODY or not any(kinds[x] in (HEAD, ZONE) for x in range(i, j)):
        return None
    return j


def _ends_article(lines: list[Line], kinds: list[str], i: int, ctx: Context) -> bool:
    """Return True when the byline-shaped line ``i`` closes an article. A lone unbracketed name
    followed by body text may be a short section head (金融篇); it closes an article only when a
    strong headline follows within a lead's distance (the body is then the next article's lead)."""
    text = lines[i].text
    names = parse_byline(text)
    if names is None or len(names) != 1 or text[0] in "（(" or i + 1 >= len(lines) or kinds[i + 1] != BODY:
        return True
    return _headline_follows(lines, kinds, i, ctx)


def _headline_follows(lines: list[Line], kinds: list[str], i: int, ctx: Context) -> bool:
    """Return True when, after at most a lead's worth of body lines, a strong headline follows line ``i``."""
    for x in range(i + 1, min(len(lines), i + 2 + _MAX_LEAD_LINES)):
        if kinds[x] in (HEAD, ZONE):
            j = _header_block(lines, kinds, x)
            return j is not None and opens_article(lines, kinds, x, j, ctx)
        if kinds[x] != BODY:
            return False
    return False


def _apply_header(draft: _Draft, lines: list[Line], kinds: list[str], i: int, j: int) -> None:
    heads = [x for x in range(i, j) if kinds[x] == HEAD]
    md = [(md_heading(lines[x].text)[0], x) for x in heads if md_heading(lines[x].text)[0]]
    zones = [x for x in range(i, j) if kinds[x] == ZONE]
    if md:
        title_at = min(md)[1]
    elif heads:
        title_at = heads[-1]
    else:
        title_at, zones = zones[0], zones[1:]
    title = md_heading(lines[title_at].text)[1]
    prefix = split_zone_prefix(title)
    if prefix:
        title = prefix[1]
    title, inline_sub = split_inline_subtitle(title)
    subs = [inline_sub] if inline_sub else []
    for x in range(title_at + 1, j):
        if kinds[x] == SUB or (kinds[x] == HEAD and md):
            subs.append(md_heading(lines[x].text)[1])
        elif kinds[x] == BYLINE:
            draft.authors.extend(parse_byline(lines[x].text) or ())
    draft.title = title or None
    draft.zone = lines[zones[0]].text if zones else (prefix[0] if prefix else None)
    draft.subtitle = " ".join(subs) if subs else None
    draft.last = lines[j - 1]
    draft.check_lead = True


def add_line(draft: _Draft, ln: Line, kind: str, caption: bool, runon_ends: Callable[[], bool]) -> bool:
    """Add the body line ``ln`` to ``draft``: a (下转X版) marker at its end sets ``continues_to``, a (完) or a
    byline run on after the last sentence is cut off (the names become authors; an unbracketed run-on byline
    only when ``runon_ends()`` says the article ends here). Return True when the line closes the article."""
    cut, closes = len(ln.text), False
    to = marker_to(ln.text)
    if to:
        draft.continues_to, cut, closes = to[0], to[1], True
    done = end_mark(ln.text[:cut].rstrip())
    if done is not None:
        cut, closes = done, True
    if caption:
        draft.captions.append(ln.text)
    runon = None if caption else runon_byline(ln.text[:cut].rstrip())
    if runon and (runon[2] or runon_ends()):
        draft.authors.extend(runon[1])
        cut, closes = runon[0], True
    draft.add_body(ln, 0, cut, kind, caption)
    draft.last = ln
    return closes


def _join(prev: tuple[Line, int, int, str], nxt: tuple[Line, int, int, str]) -> str:
    """Return the separator between two body pieces: "" to mend a broken sentence, else newline."""
    a, b = prev[0].text[prev[1]:prev[2]], nxt[0].text[nxt[1]:nxt[2]]
    if ends_sentence(a) or prev[3] in (SUB, ZONE, BYLINE) or nxt[3] in (SUB, ZONE) or md_heading(a)[0]:
        return "\n"
    if split_inline_subtitle(a)[1] or split_inline_subtitle(b)[1]:
        return "\n"
    if first_clause_len(b) <= 8 or len(a) > 24:
        return ""
    return "\n"


def _to_article(page: Page, index: int, d: _Draft) -> Article:
    pieces = d.body
    parts: list[str] = []
    for n, piece in enumerate(pieces):
        if n:
            parts.append(_join(pieces[n - 1], piece))
        parts.append(piece[0].text[piece[1]:piece[2]])
    authors = tuple(dict.fromkeys(d.authors))
    body_start = pieces[0][0].start + pieces[0][1] if pieces else None
    body_end = pieces[-1][0].start + pieces[-1][2] if pieces else None
    return Article(
        source=page.source, index=index, title=d.title, text="".join(parts), start=d.first.start,
        end=d.last.end, zone_header=d.zone, subtitle=d.subtitle, authors=authors,
        continued_from=d.continued_from, continues_to=d.continues_to, body_start=body_start,
        body_end=body_end, parts=((page.source, d.first.start, d.last.end),), captions=tuple(d.captions),
    )


def segment(page: Page) -> list[Article]:
    """Return the articles of ``page`` in reading order (see the module docstring for the rules);
    an empty or blank page gives ``[]``, a page without headlines one article with ``title=None``."""
    all_lines = split_lines(page.text)
    dropped = _drop_duplicates(all_lines)
    lines = [ln for ln in all_lines if ln.index not in dropped]
    kinds, captions = _kinds(lines)
    gap = usual_gap(lines)
    drafts: list[_Draft] = []
    cur: _Draft | None = None
    ended, end_at, i, n = True, -2, 0, len(lines)
    while i < n:
        ln, kind = lines[i], kinds[i]
        if kind == FROM:
            value, cut = marker_from(ln.text)
            cur = _Draft(ln, ln, fragment=True, continued_from=value)
            drafts.append(cur)
            cur.add_body(ln, cut, len(ln.text), BODY)
            ended, i = False, i + 1
            continue
        if kind == TO:
            if cur is not None:
                cur.continues_to, cur.last = marker_to(ln.text)[0], ln
                ended, end_at = True, i
            i += 1
            continue
        if kind in (HEAD, ZONE):
            j = _header_block(lines, kinds, i)
            if j is not None:
                strong = opens_article(lines, kinds, i, j, Context(gap, cur.title if cur else None))
                # an untitled run of a few lines right after an article's end, then a headline: the run
                # is that article's lead (or a caption), printed above the headline
                if (cur is not None and not ended and cur.title is None and not cur.fragment
                        and cur.after_end and len(cur.body) <= _MAX_LEAD_LINES):
                    _apply_header(cur, lines, kinds, i, j)    # lead printed above its headline
                    i = j
                    continue
                if ended or cur is None or strong:
                    cur = _Draft(ln, ln, after_end=cur is not None)
                    drafts.append(cur)
                    _apply_header(cur, lines, kinds, i, j)
                    ended, i = False, j
                    continue
        if kind == BYLINE and cur is not None and _ends_article(lines, kinds, i, Context(gap, cur.title)):
            names = parse_byline(ln.text) or ()
            if not ended or end_at == i - 1:
                cur.authors.extend(names)
                cur.last = ln
                ended, end_at = True, i
                i += 1
                continue
        if (ended or cur is None) and len(ln.text) <= 20 and not has_cjk(ln.text):
            i += 1      # page numbers, dates, rules between articles: not an article of their own
            continue
        if ended or cur is None:
            cur = _Draft(ln, ln, after_end=cur is not None)
            drafts.append(cur)
            ended = False
        closes = add_line(cur, ln, kind, i in captions, lambda: (
            i + 1 >= n or kinds[i + 1] != BODY or _headline_follows(lines, kinds, i, Context(gap, cur.title))))
        if closes:
            ended, end_at = True, i
        i += 1
    return [_to_article(page, k, d) for k, d in enumerate(drafts)]


def segment_text(text: str, source: str = "<memory>") -> list[Article]:
    """Return the articles of an already decoded page text (convenience for callers and tests)."""
    return segment(Page(source=source, text=text))


def segment_paths(paths: Sequence[str | os.PathLike[str]], stitch: bool = False,
                  split: Callable[[list[Page]], dict[str, list[Article]]] | None = None,
                  ) -> tuple[list[tuple[Page, list[Article]]], list[str]]:
    """Read and segment page files (directories expand to their ``*.txt``); return
    ``([(page, articles)], errors)`` where each error is one ``'<file>: <problem>'`` line.
    With ``stitch``, (下转) articles are joined to their (上接) fragments across the pages given
    (see ``_stitch``); a joined article is listed on its head's page, its fragment nowhere. ``split`` cuts
    the pages read into articles by source name instead of :func:`segment` (the model segmenter)."""
    pages: list[Page] = []
    errors: list[str] = []
    names: set[str] = set()
    for item in read_pages(paths):
        if isinstance(item, Page):
            if item.source in names:
                errors.append(f"{item.path}: another page has the same file name; names must be unique")
                continue
            names.add(item.source)
            pages.append(item)
        else:
            errors.append(str(item))
    by_page = split(pages) if split else {page.source: segment(page) for page in pages}
    if stitch and len(pages) > 1:
        joined: dict[str, list[Article]] = {page.source: [] for page in pages}
        for article in stitch_articles(by_page):
            joined[article.source].append(article)
        by_page = joined
    return [(page, by_page[page.source]) for page in pages], errors
