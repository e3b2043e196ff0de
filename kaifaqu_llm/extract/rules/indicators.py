"""Quantitative facts: a number with its unit, what it measures, the period and the change.

Grammar, not vocabulary: ``[约|近|超…] number [万|亿] [余|多] unit [以上|左右]``.
What is measured is the noun phrase in the same clause — before the number for
money and areas (规模以上工业增加值114.0亿元), after it for counted things when one
follows (引进20余家企业). A percentage right after 同比增长 / 增长 / 下降 is the
change of the figure before it; 排全省第一 is a ranking (value 1, unit 名).
Investment and capacity of a project belong to the project, not to indicators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...core.numbers import parse_number
from .registry import lexicon, rule
from .text import CJK, Sentences, clause_end, clause_start, trim_leading, trim_trailing
from ...core.schema import Indicator

__all__ = ["extract_indicators", "NUMBER_UNIT", "PERIOD"]

_NUMBER, _CHANGE, _PROJECT_FIGURES, _RANK_RULE, _PAIR, _SHARE, _RESPECTIVE_RULE, _TOTAL = (
    rule(f"indicators.{n}") for n in ("number-unit", "change", "project-figures", "rank", "rank-pair", "share",
                                      "respective", "total"))
_TOTAL_WORDS = frozenset(lexicon("indicator_total_words"))
_DURATION = rule("indicators.duration")
_DURATION_UNITS = ("天", "个工作日")
_DURATION_WORDS = tuple(sorted(lexicon("duration_words"), key=len, reverse=True))
_OPENING_ASIDE = re.compile(r"^[(（][^()（）]{1,30}[)）]")
_COUNT_UNITS = lexicon("units_count")
_MEASURE_UNITS = lexicon("units_measure")
_UNITS = sorted(_COUNT_UNITS + _MEASURE_UNITS, key=len, reverse=True)
_CN_NUM = "〇零一二两三四五六七八九十百千"
_WORD_UNITS = ("方",)  # units that follow a Chinese numeral only inside a word
_SPACES = " \u00a0\u2009"  # what groups thousands in web copies and OCR (14 775人)
_GROUP_SPACE = re.compile(f"[{_SPACES}]")

NUMBER_UNIT = re.compile(
    r"(?P<num>\d{1,3}(?:[" + _SPACES + r"]\d{3})+(?:\.\d+)?|\d+(?:,\d{3})*(?:\.\d+)?|[" + _CN_NUM + r"]+)"
    r"(?P<unit>[万亿]?(?:余|多)?(?:" + "|".join(re.escape(u) for u in _UNITS) + r")(?:以上|左右)?"
    r"|大(?=[" + CJK + r"]{0,6}(?:产业|基地|园区|平台|中心|板块|主业|业态|赛道|集群)))"
)
PERIOD = re.compile(
    r"(?:(?:19|20)\d{2}年)?(?:上半年|下半年|前三季度|第?[一二三四1-4]季度|\d{1,2}[-—~至]\d{1,2}月份?|1至\d{1,2}月份?)"
    r"|(?:19|20)\d{2}年(?:全年|度)?|今年以来|今年|去年|截至目前|截至\d{1,2}月底|截至(?:19|20)\d{2}年\d{1,2}月底?"
)
_APPROX_BEFORE = ("超过", "高达", "约", "近", "超", "逾", "达", "共")
_CHANGE_BEFORE = re.compile(r"(?:同比|比上年|较上年|较去年同期|比去年同期|环比)?(?:增长|下降|提高|增加|减少|上升|回落|提升)了?$")
_RANK = re.compile(r"(?:排名|(?<!安)排|位列|位居|居|名列)(?:全省|全市|全国|全县|全区|全省开发区|全市开发区)?[^，。；]{0,6}?"
                   r"第(?P<num>\d+|[一二三四五六七八九十]+)(?:名|位)?")
# figures listed first, then ranked together: …投资15.6亿元；…增加值2.2亿元，分别位居全市第一和第二位
_RANK_PAIR = re.compile(r"分别(?:位居|位列|排名|排|居|名列)(?P<scope>[^，。；第]{0,12})第(?P<a>\d+|[一二三四五六七八九十]+)"
                        r"(?:名|位)?[和、及与]第(?P<b>\d+|[一二三四五六七八九十]+)(?:名|位)?")
# a count of projects before their investment: the sum is the zone's, not one project's (24个重大转型项目…投资额1200亿元)
_PROJECT_COUNT = re.compile(r"(?:\d+|[两三四五六七八九十]+)个[^，。；]{0,8}项目"
                            r"|项目(?:共计|共|达|有|累计)?(?:\d+|[两三四五六七八九十]+)个")
# a slogan, not a count: “五个一”, “四个抓落实”
_SLOGAN = re.compile(f"[{_CN_NUM}]+个[{CJK}]{{1,4}}[”\"]")
_ONE_CHAR_NOUN = re.compile(f"[{CJK}](?=[，,、；;。]|规划|建设|建成|实现|完成|开展|参与|参加|覆盖|纳入|入选|共|均|已|都)")
# money spent on several kinds of things (a list closed by 等) is the zone's, not one project's
_BROAD_PURPOSE = re.compile(f"(?:用于|加强|推进|完善|实施|改善)([{CJK}、]{{2,30}}?、[{CJK}、]{{1,30}}?等[{CJK}]{{0,10}})")
_QUOTED_BEFORE = re.compile(f"[“\"]([{CJK}A-Za-z0-9]{{2,12}})[”\"]$")
_AREA_WORDS = re.compile("面积|地|亩|平方|厂房|建筑|范围|规模")
_AREA_UNITS = ("平方米", "平方公里", "平方千米", "平米", "亩", "公顷")
_PER_UNIT_TRAIL = ("每人每天", "每人每年", "每天", "每年", "每月", "每人")
_LEAD_WORDS = lexicon("indicator_lead_words")
_TRAIL_WORDS = lexicon("indicator_trail_words")
_AFTER_STOP = re.compile(r"[和与及、等的为]|作用|建立|进行|参加|分别|签约|入驻|落户|上台|开展|实现|完成|提供|合作|汇报|通过|规划|"
                         r"建设|挂牌|运行|相当|已|正在|将|均|都|共|现场|集中|而言|目前|先后|陆续|全部|以上")
_PROJECT_INVESTMENT = ("投资", "计划投资", "项目投资", "协议投资", "投资额")
# projects counted as a group (集中开工项目总投资, 在建项目总投资): the sum is the zone's figure, not one project's
_COLLECTIVE = re.compile("(?:集中|首批|一批|批|签约|在建|开工|投产|重点|重大)[^，。；]{0,4}项目[^，。；]{0,4}投资")
_PROJECT_CAPACITY = re.compile(r"产能|装机|能力|年产(?!值)")
_NOT_A_COUNT_AFTER = ("多月", "月", "小时", "工作日", "时", "星期", "季度", "年")
_BAD_BEFORE = set("第每前")
_INNER_VERB = re.compile(r"(?:共建|建成|引进|新增|打造|成立|组建|拥有|设立|实现|完成|培育|吸引|带动|解决|提供)"
                         r"(?!.*(?:共建|建成|引进|新增|打造|成立|组建|拥有|设立|实现|完成|培育|吸引|带动|解决|提供))")
_BUILD_BEFORE = re.compile(r"(?:建设|新建|完善提升|打造|改造|布局)$")


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    value: float
    value_text: str
    unit: str
    approx: str | None


def _hits(text: str) -> list[_Hit]:
    out = []
    for m in NUMBER_UNIT.finditer(text):
        num, unit = m.group("num"), m.group("unit")
        before = text[m.start() - 1] if m.start() else ""
        if before in _BAD_BEFORE or before.isdigit() or before in ".-—~" or (before.isascii() and before.isalpha()):
            continue
        if not num[0].isdigit() and (num in ("一", "十", "千", "百") or before in _CN_NUM
                                     or unit.lstrip("万亿余多") in _WORD_UNITS):
            continue  # 四方机车, 三方合作: a Chinese numeral and 方 make a word, not cubic metres
        if text[m.end():m.end() + 1] in ("号", "级", "届") or unit == "大" and num.isdigit() and len(num) > 1:
            continue
        if text.startswith(_NOT_A_COUNT_AFTER, m.end()) or text.startswith("相当于", m.start() - 3):
            continue
        if before in "“\"" and _SLOGAN.match(text, m.start()):
            continue
        if unit.endswith("以上") and text.startswith(("项目", "企业", "工业"), m.end()):  # 10亿元以上项目: a class
            continue
        num = _GROUP_SPACE.sub("", num)  # 14 775人: a space groups thousands (web copies, OCR)
        quantity = parse_number(num)
        if quantity is None:
            continue
        start = m.start()
        approx = next((w for w in _APPROX_BEFORE if text.startswith(w, start - len(w))), None)
        if approx in ("达", "共"):
            approx = None
        elif approx:
            start -= len(approx)
        for word in ("余", "多", "以上", "左右"):
            if word in unit:
                approx = word
        out.append(_Hit(start, m.end(), quantity.value, num, unit, approx))
    return out


def _clean_name(phrase: str, subjects: tuple[str, ...]) -> str:
    phrase = PERIOD.sub("", phrase).strip("，,、：: ").rstrip("上中内里")
    phrase = _OPENING_ASIDE.sub("", phrase)  # (原X开发区)在全省…: an aside before the name
    opened = max(phrase.rfind("("), phrase.rfind("（"))
    if opened >= 0 and not re.search("[)）]", phrase[opened:]) and len(phrase) - opened > 2:
        phrase = phrase[opened + 1:]  # 孵化器一期(面积13.7万平方米: the figure is inside the brackets
    for _ in range(3):
        for subject in subjects:
            if subject and phrase.startswith(subject):
                phrase = _OPENING_ASIDE.sub("", phrase[len(subject):])  # 辽东湾新区(原X开发区)在全省…
        phrase, cut = trim_leading(phrase, _LEAD_WORDS)
        if not cut:
            break
    verb = _INNER_VERB.search(phrase)
    if verb and len(phrase) - verb.end() >= 2:  # 达产后可实现年产值, 中北大学共建研发中心
        phrase = phrase[verb.end():]
    if "的" in phrase[:-1]:
        head = phrase.rsplit("的", 1)[1]
        if len(head) >= 2:
            phrase = head
    return trim_trailing(phrase, _TRAIL_WORDS)


# 甲、乙和丙年均分别增长21%、10%和18%: the names listed before 分别 go with the figures after it, in order
_RESPECTIVE_ITEMS = re.compile(f"[{CJK}]{{2,16}}(?:[、和及与][{CJK}]{{2,12}})+$")
_RESPECTIVE_VERB = re.compile("分别(?:实现|为|达到|达|是)?(?P<verb>增长|下降|提高|增加|减少|上升)?")
_ITEM_TAIL = ("年均", "同比", "累计", "全年", "共")
_BETWEEN_VALUES = re.compile("^[、和及与，, ]*$")


def _respective_names(text: str, hits: list[_Hit], subjects: tuple[str, ...]) -> dict[int, str]:
    """Return ``{hit start: name}`` for figures given respectively (甲、乙分别增长5%、8%)."""
    out: dict[int, str] = {}
    if not _RESPECTIVE_RULE.on or "分别" not in text:
        return out
    for at in (m.start() for m in re.finditer("分别", text)):
        listed = _RESPECTIVE_ITEMS.search(text, max(0, at - 80), at)
        if listed is None:
            continue
        m = _RESPECTIVE_VERB.match(text, at)
        items = re.split("[、和及与]", listed.group())
        tail = next((t for t in _ITEM_TAIL if items[-1].endswith(t) and len(items[-1]) > len(t) + 1), "")
        items[-1] = items[-1][: len(items[-1]) - len(tail)]
        items[0] = _clean_name(items[0], subjects) or items[0]
        values, pos = [], m.end()
        for hit in hits:
            if hit.start < pos:
                continue
            if not _BETWEEN_VALUES.match(text[pos:hit.start]) or len(values) == len(items):
                break
            values.append(hit)
            pos = hit.end
        if len(values) == len(items) >= 2:
            for item, hit in zip(items, values):
                out[hit.start] = f"{item}{tail}{m.group('verb') or ''}"
    return out


def _duration_name(name: str, after: str, earlier: str, last: Indicator | None) -> str:
    """Return what a number of days measures: the process before it (verbs of shortening cut off), else the
    one after it (37天完成…手续; both when both are written), else the sentence's clause before, else the
    figure before it; with 用时."""
    name = trim_trailing(name, _DURATION_WORDS, keep=0)
    if after.startswith(_DURATION_WORDS):
        after = ""  # 由238天压缩至58天: what follows is the other figure's verb
    if len(name) < 2:
        clause_before = re.split("[，,；;：:]", earlier.rstrip("，,；;：: "))[-1]
        name = after or (clause_before if len(clause_before) >= 4 else "") or (last.name if last else "")
    elif after:
        name += after  # 从土地摘牌起37天完成施工前各项手续
    if not name:
        return "用时"
    return name if name.endswith(("用时", "时间", "周期", "时限")) else name + "用时"


def _name_after(text: str, end: int, stop: int) -> str:
    after = text[end:stop].lstrip("的“\"")
    if after[:1] in "(（":  # 4家(甲公司、乙公司…): what is in brackets lists the items, it does not name the count
        return ""
    run = re.match(f"[{CJK}A-Za-z()（）]+", after)
    if not run:
        return ""
    after = run.group()
    head = re.split("[(（]", after, maxsplit=1)[0]
    if len(head) >= 2:  # 企业孵化器一期(13栋厂房…): the name ends at the bracket (县(市、区) keeps it)
        after = head
    m = _AFTER_STOP.search(after, 1)
    if m:
        after = after[: m.start()]
    after = after.strip("“”").rstrip("上中内里")
    return after if 2 <= len(after) <= 14 else ""


def extract_indicators(text: str, subject: str | None = None, subjects: tuple[str, ...] = ()) -> list[Indicator]:
    """Return the indicators of ``text``; ``subject`` is who they are about (the primary zone).

    ``subjects`` are names (zones) that may open a clause and are not part of
    what is measured. Evidence is the clause holding the number (and its change).
    """
    sentences = Sentences.of(text)
    hits = _hits(text) if _NUMBER.on else []
    indicators: list[Indicator] = []
    last_by_sentence: dict[int, Indicator] = {}
    previous_end = 0
    respective: dict[int, str] = _respective_names(text, hits, subjects + ((subject,) if subject else ()))
    for hit in hits:
        s_start, s_end = sentences.around(hit.start)
        c_start = clause_start(text, hit.start, s_start)
        c_end = clause_end(text, hit.end, s_end)
        pre_start = max(clause_start(text, hit.start, s_start, extra="、"), previous_end)
        pre = text[pre_start:hit.start]
        glued = pre_start == previous_end and not pre.strip()  # 建设用地23宗1424.09亩: one thing, two measures
        previous_end = hit.end
        sentence_no = sentences.index(hit.start)
        if hit.unit in ("%", "％", "个百分点") and _CHANGE.on and _CHANGE_BEFORE.search(pre) \
                and hit.start not in respective:
            previous = last_by_sentence.get(sentence_no)
            change = _CHANGE_BEFORE.search(pre)
            change_text = text[hit.start - len(change.group()):hit.end]
            if previous is not None and previous.change is None:
                evidence = previous.evidence
                whole = text[s_start:s_end]
                ev_start = whole.find(evidence)
                if ev_start >= 0:
                    evidence = whole[ev_start: max(ev_start + len(evidence), c_end - s_start)]
                indicators[-1] = previous.model_copy(update={"change": change_text, "evidence": evidence})
                last_by_sentence[sentence_no] = indicators[-1]
                continue
        name = respective.get(hit.start) or _clean_name(pre, subjects + ((subject,) if subject else ()))
        near_project = "项目" in text[max(0, s_start - 80):s_end] and not _PROJECT_COUNT.search(text, s_start, hit.start)
        broad = _BROAD_PURPOSE.match(text, hit.end) if name in _PROJECT_INVESTMENT else None
        if broad:  # 投资130亿元加强基础设施、厂房、配套设施等硬件建设: spent across the zone
            name, near_project = broad.group(1) + "投资", False
        if _PROJECT_FIGURES.on and near_project and not _COLLECTIVE.search(text, s_start, hit.start) and (
                name in _PROJECT_INVESTMENT or name.endswith("总投资") or _PROJECT_CAPACITY.search(name)):
            continue
        base = hit.unit.lstrip("万亿").lstrip("余多")
        if base.startswith(_COUNT_UNITS) and _BUILD_BEFORE.search(pre):  # 建设10个…民宿: the project's size
            continue
        after = _name_after(text, hit.end, s_end) if hit.start not in respective else ""
        if base in _DURATION_UNITS and _DURATION.on:  # 签约到开工由238天压缩至58天: how long a process took
            name, after = _duration_name(name, after, text[s_start:c_start], last_by_sentence.get(sentence_no)), ""
        if after and (base.startswith(_COUNT_UNITS) or hit.unit == "大" or len(name) <= 4):
            name = after
            if base.startswith(_AREA_UNITS) and not re.search("面积|占地|用地|土地|亩|平方", after):
                name += "面积"  # 200万平米的光机电产业集聚区: the figure is the place's area
        if glued and indicators and len(name) < 2:
            name = indicators[-1].name
        elif name in _TOTAL_WORDS and _TOTAL.on and sentence_no in last_by_sentence:
            name = last_by_sentence[sentence_no].name  # 接待来宾52团组，共计1228人: the total of the same thing
        quoted = _QUOTED_BEFORE.search(text, max(0, hit.start - 16), hit.start) if len(name) < 2 else None
        if quoted:  # 其中“标准地”10宗587.685亩: the quoted term is what is counted
            name = quoted.group(1)
        if len(name) < 2 and base.startswith(_COUNT_UNITS) and _ONE_CHAR_NOUN.match(text, hit.end):
            name = text[hit.end] + "数量"  # 28个村规划建设了…: the counted noun is one character
        if len(name) < 2:
            name = pre.strip().lstrip("(（“\"") or hit.unit
        if base.startswith(_AREA_UNITS) and len(name) >= 2 and not _AREA_WORDS.search(name):
            name += "面积"  # 实施范围15平方公里(含X综合保税区1.01平方公里): a place's figure in area units is its area
        share = _SHARE_OF.search(pre) if _SHARE.on else None
        if share and hit.unit.startswith(("%", "％")):  # 产值15亿元，占全区工业总产值的60%
            whole = share.group(1)
            for other in subjects + ((subject,) if subject else ()):
                if other and len(other) >= 4 and len(whole.replace(other, "")) >= 2:  # 占广灵经开区工业总产值
                    whole = whole.replace(other, "")
            owner = last_by_sentence.get(sentence_no)
            name = f"{owner.name if owner else ''}占{whole}比重"
        period = _period(text, s_start, hit.start)
        indicator = Indicator(
            subject=subject, name=name, value=hit.value, unit=hit.unit, period=period,
            value_text=hit.value_text, approx=hit.approx, evidence=text[c_start:c_end],
        )
        indicators.append(indicator)
        last_by_sentence[sentence_no] = indicator
    pairs = _ranked_pairs(text, sentences, indicators) if _PAIR.on else []
    taken = [(ind.evidence, ind.value) for ind in pairs]
    indicators.extend(pairs)
    rankings = _rankings(text, sentences, subject, subjects) if _RANK_RULE.on else []
    indicators.extend(r for r in rankings if (r.evidence, r.value) not in taken)
    return indicators


def _ranked_pairs(text: str, sentences: Sentences, found: list[Indicator]) -> list[Indicator]:
    """Return the two rankings of ``分别位居…第一和第二位``, named after the two figures before it."""
    out = []
    for m in _RANK_PAIR.finditer(text):
        s_start, s_end = sentences.around(m.start())
        before = text[max(0, s_start - 160):m.start()]  # the figures may sit in the sentence before (…；…，分别位居)
        owners = [ind for ind in found if ind.evidence and ind.evidence in before and ind.unit not in ("名", "位")]
        owners = [ind for ind in owners if ind.change is not None or ind.unit not in ("%", "％")][-2:]
        if len(owners) != 2:
            continue
        evidence = text[clause_start(text, m.start(), s_start):clause_end(text, m.end(), s_end)]
        for owner, group in zip(owners, ("a", "b")):
            quantity = parse_number(m.group(group))
            if quantity is None:
                continue
            out.append(Indicator(subject=owner.subject, name=f"{owner.name}{m.group('scope')}排名", value=quantity.value,
                                 unit="名", period=owner.period, value_text=m.group(group), evidence=evidence))
    return out


_SHARE_OF = re.compile(f"占([{CJK}]{{2,16}}?)的?$")


def _period(text: str, s_start: int, pos: int) -> str | None:
    found = list(PERIOD.finditer(text, s_start, pos))
    return found[-1].group() if found else None


def _rankings(text: str, sentences: Sentences, subject: str | None, subjects: tuple[str, ...]) -> list[Indicator]:
    out = []
    for m in _RANK.finditer(text):
        quantity = parse_number(m.group("num"))
        if quantity is None:
            continue
        s_start, s_end = sentences.around(m.start())
        c_start = clause_start(text, m.start(), s_start)
        head = _clean_name(text[c_start:m.start()], subjects + ((subject,) if subject else ()))
        head = re.sub(r"\d+(?:\.\d+)?[^，。]*$", "", head) or head
        scope = re.search(r"全[省市国县区]", m.group())
        name = f"{head}{scope.group() if scope else ''}排名"
        unit = "位" if m.group().endswith("位") else "名"  # the unit as written: 第3位 / 第三名, 第三 → 名
        out.append(Indicator(subject=subject, name=name, value=quantity.value, unit=unit,
                             period=_period(text, s_start, m.start()), value_text=m.group("num"),
                             evidence=text[c_start:clause_end(text, m.end(), s_end)]))
    return out
