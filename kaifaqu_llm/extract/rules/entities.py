"""Organizations (people live in _rules_people and are re-exported here).

Organizations are found by their name suffix (有限公司, 集团, 银行…分行, 大学,
研究院…) and by the short company forms news uses (XX药业, XX能源, XX公司);
the name's left edge is where running text stops: after punctuation, a
function word (与, 被, 由…), a zone name or a money amount. Government bodies
(管委会, 党工委, 局…) are left out, as the annotators do.

Lists name organizations too: items closed by 等企业 / 等高校院所, the names after
a count of firms (入驻企业7家，分别是…), and the other items of a 、-list in which
two or more items are already known organizations (新华社、人民日报山西分社、…).
A short form written apart from its full name (雪花啤酒 beside 深圳雪花啤酒有限公司)
is kept, as annotators list both.
"""

from __future__ import annotations

import bisect
import re

from .people import _BOUNDARY, _ROLE_RE, SURNAMES, extract_people
from .known_firms import known_firm_mentions
from .registry import lexicon, lexicon_map, rule
from .text import CJK, Sentences, clause_end, clause_start
from ...core.schema import Organization
from ...zones.places import starts_with_place

__all__ = ["extract_organizations", "extract_people", "SURNAMES"]

_SUFFIX, _TRADE, _LIST, _PARTNER, _LEAD, _ENUM, _MATES, _SETTLED = (rule(f"org.{n}") for n in (
    "suffix", "trade-form", "list-frame", "partner-frame", "lead-frame", "enumeration", "list-mates", "settled-list"))
_ORG_SUFFIXES = lexicon_map("org_suffixes")
# short company forms: a brand followed by its trade (亚宝药业, 晶科能源, 陕煤电力)
_TRADE_SUFFIXES = lexicon("trade_suffixes")
_ORG_RE = re.compile("|".join(sorted(_ORG_SUFFIXES, key=len, reverse=True)))
_TRADE_RE = re.compile("|".join(_TRADE_SUFFIXES))
_NAME_RUN = re.compile(f"[{CJK}()（）A-Za-z]")
_CUT_CHARS = set("在与和及被由对为是了把将向从让给跟等、并或据元亩至于以使到的")
_CUT_WORDS = lexicon("org_lead_words")
_INNER_VERBS = lexicon("org_inner_verbs")
_CUT_WORDS_LONGEST = sorted(_CUT_WORDS, key=len, reverse=True)
_GOVERNMENT = lexicon("government_bodies")
_GENERIC_PREFIXES = lexicon("org_generic_prefixes")
# 新/大 open generic phrases (新型企业, 大数据公司) but also brand names (新华网, 大运集团, 新融电子)
_SOFT_GENERIC = ("新", "大")
_SOFT_GENERIC_NEXT = lexicon("org_soft_generic_next")
_GENERIC_LONGEST = sorted(_GENERIC_PREFIXES, key=len, reverse=True)
_INDUSTRY_AFTER = lexicon("org_not_after_trade")
# what may follow a short company form: punctuation, or a function word / verb, not more noun
_TRADE_NEXT = lexicon("org_after_trade")


def _generic_start(name: str) -> bool:
    """Return True when ``name`` opens with a generic word (该, 重点, 新型…) rather than a brand."""
    head = next((p for p in _GENERIC_LONGEST if name.startswith(p)), None)
    if head is None:
        return False
    if head in _SOFT_GENERIC and len(name) >= 2:
        return name[1:].startswith(_SOFT_GENERIC_NEXT)
    return True


_NAME_INNER_CUTS = set("和以")  # function characters names also hold (东和, 新和, 以晴)


def _left_edge(text: str, end: int, floor: int, stops: tuple[tuple[int, int], ...]) -> int:
    """Return where a name ending at ``end`` starts: the run of name characters, cut at function words."""
    i = end
    while i > floor and _NAME_RUN.match(text[i - 1]) and text[i - 1] not in _CUT_CHARS:
        i -= 1
    if i - 2 > floor and text[i - 1] in _CUT_CHARS and _NAME_RUN.match(text[i - 2]) and text[i - 3] in "、，,：:“" \
            and i < end - 2:  # 、协和新能源集团: one character before 和 joins nothing; 和 is part of the name
        i -= 2
    k = bisect.bisect_left(stops, (i, -1))
    while k < len(stops) and stops[k][0] < end:  # a zone right before: 盐湖高新区石药银湖制药有限公司
        s, e = stops[k]
        if e < end:
            i = max(i, e)
        k += 1
    if i - 1 > floor and text[i - 1] in _NAME_INNER_CUTS and not starts_with_place(text[i:end]):
        j = i - 1  # 辽宁东和新材料…公司: 和 inside a name that a place opens, not a conjunction
        while j > floor and _NAME_RUN.match(text[j - 1]) and text[j - 1] not in _CUT_CHARS:
            j -= 1
        before = text[j:i - 1]
        if 2 <= len(before) <= 6 and starts_with_place(before) and not _ORG_RE.search(before) \
                and not any(s < i and e > j for s, e in stops):  # a zone before it is no part of the name
            i = j
    rest = text[i:end]
    cut = max((rest.rfind(v) + len(v) for v in _INNER_VERBS if v in rest), default=0)
    i += cut  # 一同前往山西中科蓝安…公司, 它标志着亚新科…公司 (借助协会: nothing left, no name)
    for _ in range(3):  # leading verbs and frames: 依托图远公司, 链主企业亚宝药业
        word = next((w for w in _CUT_WORDS_LONGEST if text.startswith(w, i) and i + len(w) < end - 1), None)
        if word is None:
            break
        i += len(word)
    return i


def extract_organizations(text: str, zone_spans: tuple[tuple[int, int], ...] = ()) -> list[Organization]:
    """Return companies, banks, universities and institutes named in ``text``, each once, as written.

    ``zone_spans`` are the offsets of zone names, which end a name's left edge.
    A name contained in a longer one found in the same text is not repeated.
    """
    sentences = Sentences.of(text)
    zone_spans = tuple(sorted(zone_spans))
    found: dict[str, tuple[str, int, int]] = {}
    for m in _ORG_RE.finditer(text) if _SUFFIX.on else ():
        end = m.end()
        bank = re.match(f"[{CJK}]{{2,4}}?(?:分行|支行)", text[end:end + 7])
        if m.group() == "银行" and bank:
            end += bank.end()
        start = _left_edge(text, m.start(), max(0, m.start() - 20), zone_spans)
        start = _after_parent_body(text, start, m.start(), m.group())
        prefix = text[start:m.start()]
        name = text[start:end]
        if m.group() == "银行" and text.startswith(("机构", "业", "卡", "贷款", "网点"), m.end()):
            continue
        if not _good_prefix(prefix, m.group()) or name.endswith(_GOVERNMENT):
            continue
        found.setdefault(name, (_ORG_SUFFIXES[m.group()], start, end))
    zone_ends = {e for _, e in zone_spans}
    for m in _TRADE_RE.finditer(text) if _TRADE.on else ():
        after = text[m.end():m.end() + 2]
        nxt = text[m.end():m.end() + 1]
        if after.startswith(_INDUSTRY_AFTER) or not (nxt in _BOUNDARY or text.startswith(_TRADE_NEXT, m.end())):
            continue
        start = _left_edge(text, m.start(), max(0, m.start() - 6), zone_spans)
        prefix = text[start:m.start()]
        if not 2 <= len(prefix) <= 4 or _generic_start(prefix) or prefix.endswith(("的", "新")):
            continue
        before = text[start - 1] if start else "，"
        after_lead = any(text.endswith(w, 0, start) for w in _CUT_WORDS)  # 签约|远航药业: a lead word is a boundary
        if _NAME_RUN.match(before) and before not in _CUT_CHARS and start not in zone_ends and not after_lead:
            continue
        found.setdefault(text[start:m.end()], ("企业", start, m.end()))
    by_suffix = list(found)
    for name, start, end in _framed_names(text):
        if not any(other in name for other in by_suffix):  # 太原理工大学签署 is not a longer name
            found.setdefault(name, ("企业", start, end))
    for name, start, end in known_firm_mentions(text):
        if not any(name in other for other in found):  # 中联重科股份有限公司 already holds 中联重科
            found.setdefault(name, ("企业", start, end))
    for name, start, end in _list_mates(text, found) if _MATES.on else ():
        found.setdefault(name, ("企业", start, end))
    names = sorted(found)
    out = []
    for name, (kind, start, end) in sorted(found.items(), key=lambda kv: kv[1][1]):
        if any(name != other and name in other and (other.endswith(name) or _covered(text, other, start)
                                                    or other.startswith(name) and other.endswith(_BRANCH_TAILS))
               for other in names):
            continue
        s_start, s_end = sentences.around(start)
        evidence = text[clause_start(text, start, s_start):clause_end(text, end, s_end)]
        out.append(Organization(name=name, kind=kind, evidence=evidence))
    return out


_PARENT_BODIES = ("联合会", "分会", "协会", "商会", "学会")
_MEDIA_SUFFIXES = ("日报", "晚报", "电视台", "广播电视台", "分社")


def _after_parent_body(text: str, start: int, suffix_start: int, suffix: str) -> int:
    """Return where a name starts once a parent body glued before it (协会信息分会零壹智库) is cut off."""
    prefix = text[start:suffix_start]
    cut = max((prefix.rfind(b) + len(b) for b in _PARENT_BODIES if b in prefix), default=0)
    if cut and len(prefix) - cut >= 2:
        start += cut
    through = text.rfind("经", start, suffix_start)
    if suffix in _MEDIA_SUFFIXES and through >= 0 and suffix_start - through > 2:  # 报道经临汾电视台播出 (not 经济日报)
        start = through + 1
    return start


# a branch names its parent first (邮储银行运城分行): the parent alone is the same organization
_BRANCH_TAILS = ("分行", "支行", "分社", "分公司", "分会", "分院", "分中心")


def _covered(text: str, longer: str, pos: int) -> bool:
    """Return True when offset ``pos`` lies inside some occurrence of ``longer`` in ``text``."""
    i = text.find(longer, max(0, pos - len(longer)))
    while i != -1 and i <= pos:
        if pos < i + len(longer):
            return True
        i = text.find(longer, i + 1)
    return False


# what a product or trade listed beside firms ends with (锂电池, 光伏组件): not a name by company alone
_PRODUCT_END = lexicon("product_ends")


def _list_mates(text: str, found: dict[str, tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Return the other items of 、-lists in which two or more items are already known organizations.

    A short form (新华社) listed beside named media or firms is as much a name as they are.
    """
    out = []
    seen: set[int] = set()
    for _, start, _end in found.values():
        c_start = clause_start(text, start)
        if c_start in seen:
            continue
        seen.add(c_start)
        c_end = clause_end(text, start)
        items = text[c_start:c_end].split("、")
        if len(items) < 3:
            continue
        spans, pos = [], c_start
        for k, item in enumerate(items):
            cut = min((item.find(w) for w in _LIST_END_WORDS + ("和", "及") if item.find(w) > 0), default=len(item))
            s = _left_edge(text, pos + cut, pos, ())
            if k == 0 or s == pos:  # only the first item may carry a lead-in (加大与新华网)
                spans.append((s, pos + cut))
            pos += len(item) + 1
        known = sum(1 for s, e in spans if text[s:e] in found)
        if known < 2:
            continue
        for s, e in spans:
            name = text[s:e]
            if name not in found and 2 <= len(name) <= 8 and all(_NAME_RUN.match(ch) for ch in name) \
                    and not _COUNTED.match(name) and not re.match("[一二两三四五六七八九十几多]", name) \
                    and _list_item_ok(name) and not name.endswith(_PRODUCT_END):
                out.append((name, s, e))
    return out


_COUNTED = re.compile(r"^(?:\d+|[一两二三四五六七八九十几多]+)[个家所座批]")


# a list closed by 等企业 / 等高校院所 names organizations; so does 以X为龙头
_LIST_FRAME = re.compile(f"等(?:\\d+家)?[{CJK}]{{0,6}}?(?:企业|公司|院校|高校院所|高校|科研院所|院所|科研机构|金融机构|"
                         "银行机构|银行|创新平台|集团|媒体|管理团队)(?!项目)")
_LEAD_FRAME = re.compile(f"以([{CJK}()（）]{{2,12}}?)为(?:龙头|依托)")
_PARTNER_FRAME = re.compile(f"与([{CJK}()（）]{{2,10}}?)(?:签署|签订|开展|进行|达成|建立|深化|加强)?(?:深度|战略|全面)?合作")
_NOT_A_PARTNER = lexicon("not_a_partner")
_NOT_AN_ORG_END = lexicon("not_an_org_end")


def _framed_names(text: str) -> list[tuple[str, int, int]]:
    """Return ``(name, start, end)`` of organizations named by the frame around them, not their suffix."""
    out = []
    for m in _LIST_FRAME.finditer(text) if _LIST.on else ():
        if any(w in m.group() for w in ("上下游", "配套", "相关", "和", "与", "及")):  # 正极、隔膜等上下游企业
            continue
        c_start = clause_start(text, m.start(), max(0, m.start() - 80))
        pos = c_start
        items = text[c_start:m.start()].split("、")
        if len(items) < 2 or any("等" in item for item in items):  # 厂房等企业 is as likely a thing as a name
            continue
        for item in items:
            start = _left_edge(text, pos + len(item), pos, ())
            name = text[start:pos + len(item)]
            longest = 16 if _ORG_RE.search(name[-5:]) else 12  # 北铜铜基新材料省级重点实验室
            if 2 <= len(name) <= longest and _list_item_ok(name) and "等" not in name:
                out.append((name, start, pos + len(item)))
            pos += len(item) + 1
    for m in _PARTNER_FRAME.finditer(text) if _PARTNER.on else ():  # 与央视总台合作
        name = m.group(1)
        if "的" not in name and not name.endswith(_NOT_A_PARTNER) and not _generic_start(name):
            out.append((name, m.start(1), m.end(1)))
    for m in _LEAD_FRAME.finditer(text) if _LEAD.on else ():
        name = m.group(1)
        if m.group().endswith("依托") and name.endswith(_NOT_AN_ORG_END):
            continue
        if not _generic_start(name):
            out.append((name, m.start(1), m.end(1)))
    for m in _ENUM_FRAME.finditer(text) if _ENUM.on else ():  # 入驻企业7家，分别是A、B、C
        out.extend(_enumerated(text, m.end()))
    for m in _SETTLED_FRAME.finditer(text) if _SETTLED.on else ():  # 园区已入驻A、B、C
        listed = _enumerated(text, m.end())
        if len(listed) >= 3 and not _SETTLED_NOT_FIRMS.match(text, listed[-1][2]):
            out.extend(listed)
    return out


# a count of firms then the names: 入驻企业7家,分别是… / 引进3家企业：…
_ENUM_FRAME = re.compile(f"(?:\\d+|[一二两三四五六七八九十几]+)家[{CJK}]{{0,4}}?[，,：:]?(?:分别是|分别为|分别有|主要有|包括)[：:]?")
# firms already in a zone, listed after the verb that settles them: 已入驻A、B、C / 已有A、B、C
_SETTLED_FRAME = re.compile("(?:已入驻|已落户|入驻了|落户了|已有|已聚集|聚集了|集聚了|引进了)[：:]?")
_SETTLED_NOT_FIRMS = re.compile(f"等?[{CJK}]{{0,2}}(?:产业|行业|领域|产品|业态)")
_LIST_END_WORDS = ("等", "以及", "在", "先后", "分别", "已", "均", "都", "也", "还")


def _enumerated(text: str, pos: int) -> list[tuple[str, int, int]]:
    """Return the 、-separated names that start at ``pos`` and run to the clause end.

    All of two or more items must look like names: one generic item (新材料, 食品) marks a list of trades.
    """
    end = clause_end(text, pos)
    items = text[pos:end].split("、")
    if len(items) < 2:
        return []
    out = []
    for item in items:
        cut = min((item.find(w) for w in _LIST_END_WORDS if item.find(w) > 0), default=len(item))
        name = item[:cut]
        if not (2 <= len(name) <= 10 and all(_NAME_RUN.match(ch) for ch in name) and _list_item_ok(name)):
            return []
        out.append((name, pos, pos + len(name)))
        pos += len(item) + 1
    return out


_LEVEL_WORDS = re.compile("^(?:国家级|国家|省部共建|省级|市级|县级|区级|全国|全省|全市|各级|重点|工程|技术|企业|创新|[省市县区])+$")


def _list_item_ok(name: str) -> bool:
    """Return True when a list item framed as an organization looks like a name, not a generic noun."""
    if not _NAME_RUN.match(name[0]) or _generic_start(name) or _ROLE_RE.search(name) or name.endswith(_GOVERNMENT):
        return False
    return not name.endswith(_NOT_AN_ORG_END) or name.endswith(_TRADE_SUFFIXES)  # 北方铜业 is a company


def _good_prefix(prefix: str, suffix: str) -> bool:
    if _COUNTED.match(prefix) or "平台" in prefix or _LEVEL_WORDS.match(prefix):  # 省级重点实验室 names no one
        return False
    international_body = suffix in ("协会", "商会", "基金会") and prefix.startswith("国际") and len(prefix) >= 4
    if len(prefix) < 2 or _generic_start(prefix) and len(prefix) <= 4 and not international_body:  # 国际水彩协会
        return False
    if suffix == "实验室" and len(prefix) < 3:  # 走出实验室, 建成实验室
        return False
    if suffix == "智库" and prefix.endswith(("高端", "专家", "新型", "特色", "一流", "品牌", "决策", "咨询", "人才", "产业",
                                            "外脑", "专业", "行业")):  # 打造高端智库
        return False
    if suffix in ("公司", "银行", "学院", "医院", "实验室", "协会", "画院", "设计院", "集团") and len(prefix) > 10:
        return False
    if suffix in ("公司", "集团", "实验室", "协会") and prefix.endswith(("子", "分", "母", "等", "级", "点")):
        return False
    return not prefix.isdigit()
