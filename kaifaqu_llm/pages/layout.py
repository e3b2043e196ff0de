"""Line-level typography of an OCR'd page: what one line looks like, before any context.

The segmenter (``_segmenter.py``) decides article boundaries from these line kinds:

``HEAD``   a short line with no sentence punctuation outside quotes (headline, kicker, in-body head)
``ZONE``   a line that is only a development-zone name (…经济技术开发区, …高新区, …示范区)
``SUB``    a line starting with a dash (——副题)
``BYLINE`` only reporter names (2–3 character Chinese names, 1–6 of them), bracketed or not, or 佚名
``FROM``   a line starting with a continuation marker (上接D1版)
``TO``     a line that is only a continuation marker (下转D5版)
``BODY``   anything else

Every rule here is about layout and the shape of Chinese names and zone names, never about
particular strings of a particular page. All checks look at a bounded prefix or suffix of a
line, so classifying a page is linear in its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Line", "split_lines", "md_heading", "parse_byline", "runon_byline", "lead_authors",
    "marker_from", "marker_to", "end_mark", "is_zone_name", "split_zone_prefix", "split_inline_subtitle",
    "is_head_like", "is_dateline", "has_cjk", "ends_sentence", "first_clause_len", "HEAD", "ZONE", "SUB",
    "BYLINE", "FROM", "TO", "BODY", "classify",
]

HEAD, ZONE, SUB, BYLINE, FROM, TO, BODY = "head", "zone", "sub", "byline", "from", "to", "body"

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


# --- names ------------------------------------------------------------------

_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕"
    "单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚"
    "娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池"
    "查麻苑迟邝封储钮习蔺原郜逯员亢智弓茹扈薄暴栗续畅冀雒仝靖邸衡揭燕荆宿惠索郦芮鞠"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙",
                      "宇文", "司徒", "夏侯", "端木", "独孤", "南宫", "西门", "呼延", "轩辕")
_ROLES = ("本报记者", "本刊记者", "特约记者", "见习记者", "实习记者", "记者", "特约通讯员", "通讯员", "实习生",
          "作者", "文/", "文／", "图/", "图／", "摄影", "撰稿")
_ANONYMOUS = ("佚名",)
_CREDIT_WORDS = ("摄", "报道", "摄影", "文", "图", "文图", "图文")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_ANY_CJK = re.compile(r"[\u4e00-\u9fff]")
_NAME_SEPARATORS = re.compile(r"[\s、，,/／·]+")
# Characters that typically open a clause: a name glued to the text after it ends before one.
_OPENERS = set("为在于近今日据从自随以对将把由向经截当按根围本该这此是一二三四五六七八九十已正共")


def _is_name(token: str) -> bool:
    if not (2 <= len(token) <= 4) or not _CJK.fullmatch(token):
        return False
    if token[:2] in _COMPOUND_SURNAMES:
        return len(token) >= 3
    return token[0] in _SURNAMES and len(token) <= 3


# a role, possibly after the paper's name (科学导报记者, 山西日报通讯员)
_ROLE_PREFIX = re.compile(r"(?:[\u4e00-\u9fff]{1,6}?(?:记者|通讯员)|" + "|".join(re.escape(r) for r in _ROLES) + ")")
# Only these characters can appear in a byline: a cheap test that rejects most lines at once.
_BYLINE_CHARS = re.compile(r"[\s\u4e00-\u9fff（）()、，,/／·□■●◆▲★☆○◎•]{2,40}")


def _strip_role(token: str) -> str:
    m = _ROLE_PREFIX.match(token)
    return token[m.end():] if m else token


def parse_byline(text: str) -> tuple[str, ...] | None:
    """Return the names of a byline (``()`` for 佚名), or None when ``text`` is not a byline.

    A byline is 1–6 Chinese personal names (surname + 1–2 characters), separated by spaces or 、,
    optionally bracketed and optionally preceded by a role (记者, 通讯员, 文/ ...)."""
    text = text.strip().lstrip("□■●◆▲★☆○◎•").strip()
    if not _BYLINE_CHARS.fullmatch(text):
        return None
    if text[0] in "（(" and text[-1] in "）)":
        text = text[1:-1].strip()
    if text in _ANONYMOUS:
        return ()
    names: list[str] = []
    for token in _NAME_SEPARATORS.split(text):
        if not token:
            continue
        token = _strip_role(token)
        if not token or token in _CREDIT_WORDS:
            continue
        if token.endswith("摄") and _is_name(token[:-1]):
            token = token[:-1]
        if not _is_name(token):
            return None
        names.append(token)
    if not names or len(names) > 6:
        return None
    return tuple(names)


_FINAL = "。！？!?…；;"
_CLOSERS = "”’」』）)"


def runon_byline(text: str) -> tuple[int, tuple[str, ...], bool] | None:
    """Return ``(cut, names, confident)`` when ``text`` ends with a byline run on after its last
    sentence (``…取得实效。何志敏 杨润枫``); ``cut`` is where the byline starts in ``text``.
    ``confident`` says the byline is set off by a space or brackets, or holds several names."""
    tail_from = max(0, len(text) - 40)
    last = -1
    for i in range(len(text) - 1, tail_from - 1, -1):
        ch = text[i]
        if ch in _FINAL or (ch in "”’」』" and i > 0 and text[i - 1] in _FINAL):
            last = i
            break
    if last < 0 or last == len(text) - 1:
        return None
    tail = text[last + 1:]
    names = parse_byline(tail)
    if names is None:
        return None
    stripped = tail.strip()
    confident = tail[0].isspace() or stripped[0] in "（(" or len(names) != 1 or stripped in _ANONYMOUS
    return last + 1, names, confident


def lead_authors(text: str) -> tuple[str, ...]:
    """Return the reporters named in a dateline lead (``科学导报讯 记者王波 通讯员张伦 王昱为…``)."""
    match = _DATELINE.match(text)
    if not match:
        return ()
    s, pos, names = text[:120], match.end(), []
    while pos < len(s) and (s[pos].isspace() or s[pos] in "（("):   # 本报讯（记者 王波）
        pos += 1
    while pos < len(s):
        while pos < len(s) and s[pos].isspace():
            pos += 1
        role = next((r for r in _ROLES if s.startswith(r, pos)), None)
        if role is None and not names:
            break
        if role:
            pos += len(role)
            while pos < len(s) and s[pos].isspace():
                pos += 1
        run = _CJK.match(s, pos)
        if not run:
            break
        word = run.group()
        followed_by_space = run.end() < len(s) and s[run.end()].isspace()
        if len(word) <= 3 and _is_name(word) and (role or followed_by_space):
            names.append(word)
            pos = run.end()
            continue
        if len(word) > 3 and _is_name(word[:2]) and word[2] in _OPENERS:
            names.append(word[:2])
        elif len(word) > 3 and role and _is_name(word[:3]):
            names.append(word[:3])
        break
    return tuple(names)


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


def is_zone_name(text: str) -> bool:
    """Return True when ``text`` is nothing but a development-zone name: a place (2–12 characters,
    no slogan words) followed by a zone suffix (经济技术开发区, 高新区, 示范区, 园区 …)."""
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


_DATELINE = re.compile(r"^[\u4e00-\u9fff]{1,10}(?:讯|报|刊|社|网)(?=\s|记者|通讯员)|^[\u4e00-\u9fff]{1,10}讯")


def has_cjk(text: str) -> bool:
    """Return True when ``text`` holds at least one Chinese character."""
    return bool(_ANY_CJK.search(text))


def is_dateline(text: str) -> bool:
    """Return True for a paragraph opening with a news dateline (科学导报讯, 本刊讯, 新华社 …)."""
    return bool(_DATELINE.match(text))


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
