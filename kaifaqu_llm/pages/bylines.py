"""Who wrote an article: reporters' names in bylines, dateline leads and photo credits; captions.

Every rule is about the shape of Chinese personal names (surname + one or two characters), of
role words (记者, 通讯员, 作者, 文/ 图/) and of news datelines, never about particular strings of
a particular page. All checks look at a bounded prefix or suffix of a line.
"""

from __future__ import annotations

import re

__all__ = ["parse_byline", "runon_byline", "lead_authors", "is_dateline", "photo_credit", "is_caption",
           "FINAL", "CLOSERS"]

_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕"
    "单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚"
    "娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池"
    "查麻苑迟邝封储钮习蔺原郜逯员亢智弓茹扈薄暴栗续畅冀雒仝靖邸衡揭燕荆宿惠索郦芮鞠"
    "旷禹闻粟伏匡帅阙蹇谌邰冼眭缑糜綦璩"
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


_ROLE_WORD = (r"(?:本报|本刊|特约|见习|实习|全媒体|融媒体|首席|驻站)?记者|特约通讯员|通讯员|实习生|作者|撰稿|摄影"
              r"|文[/／]|图[/／]")
# a role at the start of a token, possibly after the paper's name (科学导报记者, 山西日报通讯员)
_ROLE_PREFIX = re.compile(r"(?:" + _ROLE_WORD + r"|[\u4e00-\u9fff]{1,6}?(?:记者|通讯员))")
_ROLE_SPLIT = re.compile(_ROLE_WORD)
# an outlet's name before the first role, which may hold Latin letters and digits (XX广电-第1眼TV记者)
_OUTLET = re.compile(r"^(?:(?!记者|通讯员)[^\s()（）:：、]){2,16}?(?=(?:记者|通讯员))")
# Only these characters can appear in a byline: a cheap test that rejects most lines at once.
_BYLINE_CHARS = re.compile(r"[\s\u4e00-\u9fff（）()、，,/／·□■●◆▲★☆○◎•]{2,40}")
_BULLETS = "□■●◆▲★☆○◎•"


def _strip_role(token: str) -> str:
    m = _ROLE_PREFIX.match(token)
    return token[m.end():] if m else token


def parse_byline(text: str) -> tuple[str, ...] | None:
    """Return the names of a byline (``()`` for 佚名), or None when ``text`` is not a byline.

    A byline is 1–6 Chinese personal names (surname + 1–2 characters), separated by spaces or 、,
    optionally bracketed and optionally preceded by roles (记者, 通讯员, 作者:, 文/ ...), which may be
    glued to the names (记者甲乙实习记者丙丁) or follow an outlet's name."""
    text = text.strip().lstrip(_BULLETS).strip()
    if not text or len(text) > 60:
        return None
    if text[0] in "（(" and text[-1] in "）)":
        text = text[1:-1].strip()
    text = _OUTLET.sub("", text, count=1).replace(":", " ").replace("：", " ")
    if not _BYLINE_CHARS.fullmatch(text):
        return None
    if text in _ANONYMOUS:
        return ()
    # after a role word any 2–3 character word is taken as a name, even of a surname not listed
    has_role = _ROLE_SPLIT.search(text) is not None
    names: list[str] = []
    for token in _NAME_SEPARATORS.split(text):
        for part in _ROLE_SPLIT.split(_strip_role(token)) if token else ():
            if not part or part in _CREDIT_WORDS:
                continue
            if part.endswith("摄") and _is_name(part[:-1]):
                part = part[:-1]
            if not (_is_name(part) or (has_role and 2 <= len(part) <= 3 and _CJK.fullmatch(part))):
                return None
            names.append(part)
    if not names or len(names) > 6:
        return None
    return tuple(names)


FINAL = _FINAL = "。！？!?…；;"
CLOSERS = _CLOSERS = "”’」』）)"


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
    bracket = _LEAD_BRACKET.match(s, pos)      # 某报6月7日电（全媒体记者 甲 通讯员 乙）
    if bracket:
        found = parse_byline(bracket.group(1))
        if found:
            return found
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




# A news dateline: an outlet (科学导报讯, 本刊讯, 新华社), optionally a place and a date, then 讯 or 电
# (本报上海6月7日电, 6月22日10时讯).
_DATELINE = re.compile(r"^[\u4e00-\u9fff]{1,10}(?:讯|报|刊|社|网)(?=\s|记者|通讯员)|^[\u4e00-\u9fff]{1,10}讯"
                       r"|^[\u4e00-\u9fff]{0,12}(?:\d{1,2}月)?\d{1,2}日(?:\d{1,2}时(?:\d{1,2}分)?)?(?:讯|电)")
_LEAD_BRACKET = re.compile(r"\s*[（(]([^（()）]{2,40})[)）]")


def is_dateline(text: str) -> bool:
    """Return True for a paragraph opening with a news dateline (科学导报讯, 本刊讯, 本报6月7日电 …)."""
    return bool(_DATELINE.match(text))


# a photo credit closing a caption: 本报记者 甲 摄, (甲 摄), 甲/摄
_CREDIT = re.compile(r"[（(]?\s*([^。！？!?；;（()）]{2,30}?)\s*[/／]?\s*摄(?:影)?\s*[)）]?$")
_CAPTION_OPEN = re.compile(r"^(?:[（(]?(?:图为|上图|下图|左图|右图|图片|题图)|图\s*[:：\d一二三四五六七八九])")


def photo_credit(text: str) -> tuple[tuple[str, ...], int] | None:
    """Return ``(names, start)`` when ``text`` ends with a photographer's credit (``…。本报记者 甲 摄``);
    ``start`` is where the credit begins in ``text``."""
    tail_from = max(0, len(text) - 34)
    m = _CREDIT.search(text, tail_from)
    while m is not None:
        names = parse_byline(m.group(1))
        if names:
            return names, m.start()
        if m.start(1) + 1 >= len(text):
            return None
        m = _CREDIT.search(text, m.start(1) + 1)
    return None


def is_caption(text: str) -> bool:
    """Return True for a photo caption: a line opening with 图为 / 上图 / 图1 …, or closing with a
    photographer's credit (…摄)."""
    return bool(_CAPTION_OPEN.match(text)) or photo_credit(text) is not None
