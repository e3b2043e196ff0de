"""Events: an event is a date (X月X日, 去年10月27日至28日, 2024年3月…) with what happened
in its sentence; dates coarser than a day count only with an event verb
(召开, 签约, 开工, 成立, 获批…) in the clause, a year only before a meeting
(在2023年全省招商引资大会上). A month or quarter without its year (5月份,
明年一季度, 年底) is a date only right before a milestone (签约, 开工, 投产,
封顶…); a list 3月份对接、5月份签约 gives one event per date, and a bare
milestone takes the project named in the sentence before as its subject.
"""

from __future__ import annotations

import re

from .projects import _SITE, _project_start, _specific
from .registry import rule
from .text import Sentences, clause_end, clause_start
from ...core.schema import Event

__all__ = ["extract_events", "DATE"]

_DATED, _LOOSE, _NO_DATELINE = rule("events.dated"), rule("events.loose-milestone"), rule("events.no-dateline")
_DAY_ONLY_RULE = rule("events.day-only")

DATE = re.compile(
    r"(?=[去今前明12\d一二三四年])(?:(?P<day>(?:(?:去年|今年|前年|明年|(?:19|20)\d{2}年))?\d{1,2}月\d{1,2}日(?:[至到—-]\d{1,2}日)?"
    r"(?:上午|下午|晚上|晚)?)"
    # a month span (5-10月) but not 1-9月份, the period of a year-to-date figure
    r"|(?P<month>(?:去年|今年|前年|明年|(?:19|20)\d{2}年)\d{1,2}月(?:份|底|初|上旬|中旬|下旬)?"
    r"|(?!1[-—至])\d{1,2}[-—至]\d{1,2}月(?:份)?)"
    r"|(?P<year>(?:19|20)\d{2}年(?![\d上下前第一二三四全度首]))"
    # 在2023年全省招商引资大会上, 获2021年全国…大赛二等奖: a year naming a meeting or contest (2023年全省GDP is a statistic, not a date of anything)
    r"|(?P<meeting>(?:19|20)\d{2}年(?=全[省国市][^，。；]{0,10}?(?:(?:大会|会议|论坛|峰会|博览会)上|大赛)))"
    # a month or quarter without its year (5月份签约, 预计年底封顶): a date only right before a milestone
    r"|(?P<loose>(?:今年|明年)?(?:[一二三四]季度|年底|年初|年中)|\d{1,2}月(?:份|底|初|上旬|中旬|下旬)?))"
)
# what a loose date must be followed by: a project's milestone, a few words of modality at most between
_MILESTONE = re.compile(r"[^，。；、,;]{0,4}?(?:对接|签约|开工|投产|封顶|竣工|投入运营|投运|建成|落地|开业|试生产|试运行|"
                        r"完工|开园|揭牌|上线)")
_EVENT_VERB = re.compile("召开|举行|举办|签约|签署|开工|投产|竣工|成立|获批|荣获|获得|获|揭牌|启动|落地|通过|发布|承办|"
                         "开幕|闭幕|调研|考察|察看|视察|更名|入选|引入|开展|邀请|带领|赴|达成|上线|建成|投运|验收|"
                         "技术改造|实施|入驻|对接|合作|表扬|表彰|设立|挂牌|批准|组建|落户|公布|整合")
# a dateline (8月27日讯, 6月22日 10时35分电) dates the report, not what it reports
_DATELINE = re.compile(r"\s*(?:\d{1,2}时(?:\d{1,2}分)?)?\s*(?:讯|电)")


def _topic(text: str, sentences: Sentences, s_start: int) -> str:
    """Return the last project (or construction site) named in the sentence before ``s_start``.

    That is the topic a bare milestone (5月份签约, 12月底封顶) is about; "" when there is none.
    """
    if s_start == 0:
        return ""
    p_start, _ = sentences.around(s_start - 1)
    head = text.rfind("项目", p_start, s_start)
    if head < 0:  # 走进甲机库建设现场。12月底封顶后…: the site visited is the topic
        site = _SITE.search(text, p_start, s_start)
        return site.group("name") if site and _specific(site.group("name")) else ""
    start = _project_start(text, head, p_start)
    name = text[start:head].strip("“”\"")
    return name + "项目" if len(name) >= 4 and _specific(name) else ""


# a day without its month (5日在凭祥挂牌, 18日上午举行): the month is the one the text last gave (its dateline's)
_DAY_ONLY = re.compile(r"(?<![\d月年号日至到—~、和-])(?P<day>\d{1,2})日(?:上午|下午|晚上|晚)?(?![\d讯电])")
_LAST_MONTH = re.compile(r"(\d{1,2})月\d{1,2}日")


def _day_only_events(text: str, sentences: Sentences, taken: set[str]) -> list[Event]:
    """Return events dated by a day alone, completed with the month written last before it."""
    out = []
    for m in _DAY_ONLY.finditer(text):
        s_start, s_end = sentences.around(m.start())
        c_start = clause_start(text, m.start(), s_start)
        if m.start() - c_start > 12 or not _EVENT_VERB.search(text, m.end(), s_end):
            continue  # the day opens its clause and something happens after it
        months = list(_LAST_MONTH.finditer(text, 0, m.start()))
        day = m.group("day") + "日"
        date = f"{months[-1].group(1)}月{day}" if months else day
        what = text[m.end():s_end].lstrip("，,、 ").rstrip("。；;")[:60]
        if len(what) >= 4 and date not in taken:
            taken.add(date)
            out.append(Event(date=date, what=what, evidence=text[c_start:s_end]))
    return out


def extract_events(text: str) -> list[Event]:
    """Return dated happenings: each date with the rest of its sentence as what happened."""
    sentences = Sentences.of(text)
    events: dict[tuple[str, str], Event] = {}
    for m in DATE.finditer(text):
        if m.start() and text[m.start() - 1].isdigit():
            continue
        if _NO_DATELINE.on and _DATELINE.match(text, m.end()):
            continue
        if not (_LOOSE if m.group("loose") else _DATED).on:
            continue
        if m.group("loose") and (text[m.start() - 1:m.start()] in ("-", "—", "至", "到", "第", "前")
                                 or not _MILESTONE.match(text, m.end())):
            continue
        s_start, s_end = sentences.around(m.start())
        c_start = clause_start(text, m.start(), s_start)
        c_end = clause_end(text, m.end(), s_end)
        clause = text[c_start:c_end]
        scope = text[s_start:s_end] if clause == m.group() or m.group("meeting") else clause
        loose = m.group("loose") is not None
        if not m.group("day") and not loose and not _EVENT_VERB.search(scope):
            continue
        raw_before = text[c_start:m.start()]
        if loose:  # 今年3月份对接、5月份签约: the item before the 、 is another event
            raw_before = raw_before[raw_before.rfind("、") + 1:]
        before = raw_before.rstrip("于在自从")
        if c_end == m.end() and len(before) >= 4 and (before != raw_before or _EVENT_VERB.search(before)):
            # 鑫石(朔州)新材有限公司成立于2024年3月
            what = before
        else:
            what = text[m.end():c_end if loose else s_end].lstrip("，,、 ").rstrip("。；;")
            listed = what.find("、")
            if listed >= 0 and DATE.match(what, listed + 1):  # 3月份对接、5月份签约: one event per date
                what = what[:listed]
            if what.startswith(("以来", "至今", "起")) or len(what) < 4 or loose:  # 该项目预计11月投入运营
                what = before + what
            elif m.group("meeting") and len(before) >= 4:  # 青河科技获2020年全国…大赛二等奖
                what = before + what
            if len(what) < 4 and _MILESTONE.match(what):  # 5月份签约: what was signed is the topic before
                what = _topic(text, sentences, s_start) + what
        what = what[:60]
        if len(what) < 4:
            continue
        evidence = text[c_start:s_end] if m.group("day") else clause
        key = (m.group(), what)
        if key not in events:
            events[key] = Event(date=m.group(), what=what, evidence=evidence)
    found = list(events.values())
    if _DAY_ONLY_RULE.on:
        found += _day_only_events(text, sentences, {e.date for e in found})
    return found
