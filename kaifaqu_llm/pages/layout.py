"""Line-level typography of an OCR'd page: what one line looks like, before any context.

The segmenter (``segment.py``) decides article boundaries from these line kinds (names and
bylines are read by ``bylines.py``):

``HEAD``   a short line with no sentence punctuation outside quotes (headline, kicker, in-body head)
``ZONE``   a line that is only a development-zone name (…经济技术开发区, …高新区, …示范区)
``SUB``    a line starting with a dash (——副题)
``BYLINE`` only reporter names (2–3 character Chinese names, 1–6 of them), bracketed or not, or 佚名
``FROM``   a line starting with a continuation marker (上接D1版)
``TO``     a line that is only a continuation marker (下转D5版)
``CAPTION`` a photo caption (图为…, …本报记者 甲 摄): kept in the body, never a boundary
``BODY``   anything else

Every rule here is about layout and the shape of Chinese names and zone names, never about
particular strings of a particular page. All checks look at a bounded prefix or suffix of a
line, so classifying a page is linear in its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .bylines import CLOSERS as _CLOSERS, FINAL as _FINAL
from .bylines import is_caption, is_dateline, lead_authors, parse_byline, photo_credit, runon_byline

__all__ = [
    "Line", "split_lines", "md_heading", "parse_byline", "runon_byline", "lead_authors",
    "marker_from", "marker_to", "end_mark", "is_zone_name", "split_zone_prefix", "split_inline_subtitle",
    "is_head_like", "is_dateline", "is_caption", "photo_credit", "has_cjk", "ends_sentence", "first_clause_len", "HEAD", "ZONE", "SUB",
    "BYLINE", "FROM", "TO", "BODY", "CAPTION", "classify",
]

HEAD, ZONE, SUB, BYLINE, FROM, TO, BODY, CAPTION = "head", "zone", "sub", "byline", "from", "to", "body", "caption"

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_ANY_CJK = re.compile(r"[\u4e00-\u9fff]")

_NEWLINE = re.compile(r"\r\n|\r|\n")
# Characters treated as blanks on the working copy (same length, so offsets stay valid).
_BLANKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00a0\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]")
_STRIP = " \t"


@dataclass(frozen=True, slots=True)
class Line:
    """One non-blank line: its ``text`` (stripped, control characters blanked), the offsets of that
    text in the page, and ``gap``, the number of blank lines right before it."""

    index: int
    text: str
    start: int
    end: int
    gap: int


def split_lines(text: str) -> list[Line]:
    """Return the non-blank lines of ``text`` (any of CRLF / CR / LF ends) with offsets into ``text``."""
    work = _BLANKS.sub(" ", text)
    lines: list[Line] = []
    pos, gap = 0, 0
    for match in _NEWLINE.finditer(work + "\n"):
        raw = work[pos:match.start()]
        content = raw.strip(_STRIP)
        if content:
            lead = len(raw) - len(raw.lstrip(_STRIP))
            start = pos + lead
            lines.append(Line(len(lines), content, start, start + len(content), gap))
            gap = 0
        else:
            gap += 1
        pos = match.end()
    return lines


# --- markers, zones, heads ----------------------------------------------------

_MARK = (r"[（(]\s*(上接|接上|下转|转)\s*((?:第\s*)?[A-Za-zＡ-Ｚａ-ｚ]?\s*[0-9０-９一二三四五六七八九十]{1,3}\s*[版页面])"
         r"\s*[)）]")
_MARK_START = re.compile(r"^\s*" + _MARK)
_MARK_END = re.compile(_MARK + r"\s*$")


def marker_from(text: str) -> tuple[str, int] | None:
    """Return ``(value, end)`` for a line starting with (上接X版); ``end`` is where the marker stops."""
    m = _MARK_START.match(text)
    if m and m.group(1) in ("上接", "接上"):
        return re.sub(r"\s+", "", m.group(2)), m.end()
    return None


_END_MARK = re.compile(r"[（(]\s*完\s*[)）]\s*$")


def end_mark(text: str) -> int | None:
    """Return where a closing (完) mark starts in ``text``, or None."""
    m = _END_MARK.search(text[-12:])
    return len(text) - len(text[-12:]) + m.start() if m else None


def marker_to(text: str) -> tuple[str, int] | None:
    """Return ``(value, start)`` for a line ending with (下转X版); ``start`` is where the marker begins."""
    m = _MARK_END.search(text[-40:])
    if m and m.group(1) in ("下转", "转"):
        return re.sub(r"\s+", "", m.group(2)), len(text) - len(text[-40:]) + m.start()
    return None


_ZONE_SUFFIX = re.compile(
    r"(?:经济技术开发区|高新技术产业开发区|高新技术开发区|经济开发区|技术开发区|开发区|高新区|经开区|示范区|综合保税区|"
    r"综保区|保税区|工业园区|产业园区|园区|新区|合作区|试验区|产业园|工业园|工业区|集聚区|自贸区|度假区)$")


# Words of slogans and headlines ("建设一流园区", "打造全国示范区"), not of zone names.
_SLOGAN = re.compile(r"的|建设|打造|推进|一流|争创|创建|加快|全力|助力|赋能|引领|聚力|共建|走进|迈向|奋力|做强|做大|"
                     r"提升|高质量|现代化|全国|全省|我省|我市|首个|成为|创新型|样板|标杆")


_ZONE_ALIAS = re.compile(r"[（(][\u4e00-\u9fff]{2,16}[)）]$")


def is_zone_name(text: str) -> bool:
    """Return True when ``text`` is nothing but a development-zone name: a place (2–12 characters,
    no slogan words) followed by a zone suffix (经济技术开发区, 高新区, 示范区, 园区 …), possibly
    followed by its other name in brackets (五象新区（自贸试验区南宁片区）)."""
    alias = _ZONE_ALIAS.search(text)
    if alias and alias.start() > 0:
        text = text[:alias.start()]
    if len(text) > 22 or not _CJK.fullmatch(text.replace("（", "").replace("）", "")):
        return False
    m = _ZONE_SUFFIX.search(text)
    return bool(m) and 2 <= m.start() <= 12 and not _SLOGAN.search(text[:m.start()])


def split_zone_prefix(text: str) -> tuple[str, str] | None:
    """Return ``(zone, rest)`` for a headline that starts with a zone name and a space."""
    parts = text.split(None, 1)
    # two phrases of equal length are a parallel headline ("建设一流园区 打造开放高地"), not zone + title
    if len(parts) == 2 and is_zone_name(parts[0]) and len(parts[0]) >= 4 and is_head_like(parts[1]) \
            and len(parts[0]) != len(parts[1]):
        return parts[0], parts[1].strip()
    return None


_INLINE_SUB = re.compile(r"\s+(——|—|－－|--)")


def split_inline_subtitle(text: str) -> tuple[str, str | None]:
    """Return ``(head, subtitle)`` for ``head ——subtitle`` on one line (dash after a space)."""
    m = _INLINE_SUB.search(text)
    if m and m.start() > 1:
        return text[:m.start()].strip(), text[m.start():].strip()
    return text, None


_MD = re.compile(r"^(#{1,6})\s*")


def md_heading(text: str) -> tuple[int, str]:
    """Return ``(level, rest)``: the markdown heading level (0 for none) and the line without the #s."""
    m = _MD.match(text)
    level, rest = (len(m.group(1)), text[m.end():].strip()) if m else (0, text)
    if len(rest) > 4 and rest.startswith("**") and rest.endswith("**"):
        rest = rest[2:-2].strip()
    return level, rest


_OPEN_Q, _CLOSE_Q = "“‘《「『（(", "”’》」』）)"


def is_head_like(text: str) -> bool:
    """Return True for a line shaped like a headline: short, at least two Chinese characters, no
    sentence punctuation (。，；) outside quotes or brackets, not ending in a clause mark."""
    head, _ = split_inline_subtitle(text)
    if not head or len(head) > 80 or len(_CJK.findall(head[:80])) == 0:
        return False
    if sum(len(w) for w in _CJK.findall(head)) < 2 or head[-1] in "，,、：:；;。":
        return False
    depth = 0
    for ch in head:
        if ch in _OPEN_Q:
            depth += 1
        elif ch in _CLOSE_Q:
            depth = max(0, depth - 1)
        elif ch in "。，,；;" and depth == 0:
            return False
    return depth == 0  # a quote still open at the end: a sentence broken by the OCR


def has_cjk(text: str) -> bool:
    """Return True when ``text`` holds at least one Chinese character."""
    return bool(_ANY_CJK.search(text))


def ends_sentence(text: str) -> bool:
    """Return True when ``text`` ends a sentence (final punctuation, possibly inside a closing quote)."""
    if not text:
        return True
    if text[-1] in _FINAL + "：:":
        return True
    return text[-1] in _CLOSERS and len(text) > 1 and text[-2] in _FINAL


_CLAUSE_END = re.compile(r"[，,。；;：:！？!?]")


def first_clause_len(text: str) -> int:
    """Return how many characters come before the first clause punctuation of ``text``."""
    m = _CLAUSE_END.search(text, 0, 60)
    return m.start() if m else min(len(text), 60)


def classify(text: str) -> str:
    """Return the kind of one line on its own (see the module docstring)."""
    if marker_from(text):
        return FROM
    to = marker_to(text)
    if to and to[1] == 0:
        return TO
    if text[0] in "—－" or text.startswith("--"):
        return SUB
    if is_caption(text):
        return CAPTION
    if parse_byline(text) is not None:
        return BYLINE
    level, rest = md_heading(text)
    if level:
        return HEAD
    if is_zone_name(text):
        return ZONE
    if is_head_like(text):
        return HEAD
    return BODY
