"""Projects: …项目 with investment, status, capacity and company, and facilities named without 项目.

A project is a name ending in 项目, its left edge cut where the verb that
governs it ends (推进, 启动, 规划建设…). Lists share the head word:
``右卫北城门瓮城修缮、宝宁寺修复项目`` gives two projects,
``玻璃酒店、玻璃故事馆等项目`` three, ``盛隆泰达、宏源两大焦化项目`` two.
Generic mentions (重点项目, 该项目, 一批项目) are not projects; nor is 项目
modifying a noun (包联项目责任机制). A quoted name is one project
(泰山玻纤“年产…生产线项目”, 启动“装备升级、厂区形象改造”项目). Some projects are
named without 项目: facilities being built (启动建设潇河绿智城, 招引落地…产业园),
firms listed as being set up (甲、乙等重点企业落地建设), sites being upgraded
(甲、乙等景区提质建设).
"""

from __future__ import annotations

import re

from .registry import lexicon, rule
from .text import CJK, Sentences, clause_end, clause_start
from ...core.schema import Organization, Project

__all__ = ["extract_projects"]

_PROJECT_RUN = re.compile(f"[{CJK}A-Za-z0-9()（）“”\"]")
_HEAD, _FACILITY_RULE, _WORKS, _SITE_RULE, _MADE, _NAMED_LIST, _SUBJECT = (rule(n) for n in (
    "projects.head-word", "projects.facility", "projects.listed-works", "projects.construction-site",
    "projects.made-into", "projects.named-list", "projects.milestone-subject"))
_QUOTED_LIST = rule("projects.quoted-list")
_PROJECT_LEAD = lexicon("project_leads")
# lead words that are also nouns inside names (综合服务中心, 孵化基地): they govern only at the start of a run
_NOUNISH = ("服务", "孵化")
_NOUN_HEADS = ("中心", "平台", "站", "楼", "基地", "器", "园")
_PROJECT_LEAD_LONGEST = sorted(_PROJECT_LEAD, key=len, reverse=True)
_GENERIC_WORDS = lexicon("project_generic_words")
_GENERIC_LONGEST = sorted(_GENERIC_WORDS, key=len, reverse=True)
_COUNTED_HEAD = re.compile(r"^(?P<items>.+?)(?:[两三四五六七八九十]|\d+)(?:大|个|项)(?P<head>[" + CJK + r"]{1,8})$")
_COUNTED_THING = re.compile(r"(?:\d+|[一两三四五六七八九十百千]+)(?:名|个|家|位|批)")
_BUILD_VERB = re.compile("建设|新建|启动|开工|推进|签约|落地|投产|竣工|引进|引入|打造|抓好")
_COUNTED_CLOSE = re.compile(r"(?<=.)等(?:\d+|[两三四五六七八九十]+)[个项]$")
_COUNT_AFTER_LIST = re.compile(f"(?<=[{CJK}])(?<!等)(?:\\d+|[两三四五六七八九十]+)个[{CJK}\\d]{{0,8}}$")
# what a listed project goes on to do (…等项目落地上马, …等21个项目已入驻园区): the items are projects under way
_UNDER_WAY = re.compile(r"(?:已|将|全部|正在|加快)?(?:建设|落地|开工|签约|投产|入驻|落户|竣工)")
# nouns 项目 modifies (包联项目责任机制, 项目审批): there 项目 is no project's head
_PROJECT_AS_MODIFIER = lexicon("project_modifier_follows")
# 甲公司投资的乙项目, 甲公司投资建设的乙项目: the firm before is the owner
_BUILT_BY = re.compile("(?:投资|投资建设|建设|实施|承建|投建)的$")


def _built_by(name: str, sentence: str, organizations) -> str | None:
    """Return the organization written right before ``name`` as the one investing in it (甲公司投资的乙项目)."""
    at = sentence.find(name)
    verb = _BUILT_BY.search(sentence, 0, at) if at > 0 else None
    if verb is None:
        return None
    before = sentence[:verb.start()]
    return next((o.name for o in organizations if before.endswith(o.name)), None)
_CONTEST = re.compile(f"[{CJK}]{{0,3}}(?:大赛|比赛|竞赛|路演)")  # 创新创业项目创意大赛: a contest, not a project
_CLASS = rule("projects.class-mention")
_CLASS_ENDS = lexicon("project_class_ends")
# a firm written before what it builds: X年产… / X新建… / X(省名)…
_OWNER = rule("projects.owner-first")
_OWNER_FIRST = re.compile(f"(?P<owner>[{CJK}]{{2,8}}?(?:[（(][{CJK}]{{2,3}}[)）])?)(?:(?:年产|新建|扩建)(?=\\d)|(?<=[)）]))")
_NAME_ONLY_LONG = re.compile(f"[{CJK}A-Za-z0-9()（）]+")
_NAME_ONLY = re.compile(f"[{CJK}A-Za-z()（）]{{2,10}}")
_STATUS = lexicon("project_status")
_INVESTMENT = re.compile(r"(?:总投资|计划投资|投资总额|投资)(?:约|达|超|近)?(?P<amount>\d+(?:\.\d+)?(?:万亿|亿|万)?元)")
_CAPACITY = re.compile(r"(?:年产(?:能)?|产能(?:规模)?(?:可达|达)?|装机(?:容量)?)(?P<cap>\d+(?:\.\d+)?[万亿]?(?:吨|GW|MW|千瓦|台|套|件|只|片|辆))")




_QUOTED_ITEM = re.compile(f"“([^“”]{{2,40}})”[、及和与\\s]*$")


def _quoted_before(text: str, pos: int, floor: int) -> list[str]:
    """Return the quoted items written right before ``pos`` (“甲”“乙”及…), first to last."""
    items: list[str] = []
    while True:
        m = _QUOTED_ITEM.search(text, max(floor, pos - 48), pos)
        if m is None:
            return items
        items.insert(0, m.group(1).strip())
        pos = m.start()


def _project_start(text: str, end: int, floor: int) -> int:
    """Return where the project name ending at ``end`` starts (``end`` when only a verb precedes 项目)."""
    i = end
    while i > floor and _PROJECT_RUN.match(text[i - 1]):
        i -= 1
    rest = text[i:end]
    for word in _PROJECT_LEAD_LONGEST:
        k = (0 if rest.startswith(word) else -1) if word in "和及与" else rest.rfind(word)
        if k < 0 or word == "等" and k + 1 < len(rest):  # 甲、乙等重大项目: a list, see _names
            continue
        if word in _NOUNISH and 0 < k and rest.startswith(_NOUN_HEADS, k + len(word)):  # 综合服务中心
            continue
        if k + len(word) > len(rest) - 2:
            if word == "等":  # 甲、乙等项目: a list, see _names
                continue
            if word in ("建设", "完善", "实施"):  # 右卫艺术小镇建设项目: the verb is part of the name
                continue
            return end  # 推动项目, 坚持把项目, 有关项目: a verb or modifier governs a bare 项目
        i += k + len(word)
        rest = text[i:end]
    return i


def _specific(name: str) -> bool:
    rest = name
    for word in _GENERIC_LONGEST:
        rest = rest.replace(word, "")
    rest = re.sub(r"[\d“”\"()（）]", "", rest)
    return len(rest) >= 3


def extract_projects(text: str, organizations: list[Organization] = ()) -> list[Project]:
    """Return the projects named in ``text``, with investment, status, capacity and company when stated."""
    sentences = Sentences.of(text)
    found: dict[str, Project] = {}
    previous_end = 0
    for m in re.finditer("项目", text) if _HEAD.on else ():
        s_start, s_end = sentences.around(m.start())
        start = _project_start(text, m.start(), max(s_start, m.start() - 30, previous_end))
        previous_end = m.end()
        if text.startswith(_PROJECT_AS_MODIFIER, m.end()) or _CONTEST.match(text, m.end()):
            continue
        quoted_company = None
        opened = text.rfind("“", start, m.start())
        if opened >= 0 and "”" not in text[opened:m.start()]:  # 泰山玻纤“年产60万吨…生产线项目”
            before = text[start:opened]
            quoted_company = before if 2 <= len(before) <= 12 and _NAME_ONLY.fullmatch(before) else None
            start = opened + 1
        prefix = text[start:m.start()].strip("“”\"")
        c_start = clause_start(text, m.start(), s_start)
        names = _names(text, prefix, start, c_start, m.start())
        closed = text.rfind("“", max(s_start, m.start() - 30), m.start() - 1) if text[m.start() - 1:m.start()] == "”" else -1
        if closed >= 0 and "”" not in text[closed:m.start() - 1]:  # 启动“装备升级、厂区形象改造”项目: one quoted name
            quoted = text[closed + 1:m.start() - 1]
            names = [(text[closed:m.end()], None)] if len(quoted) >= 4 and _specific(quoted) else []
            listed = _quoted_before(text, closed, s_start) if _QUOTED_LIST.on else []
            if listed:  # “甲工程”“乙大厦建设”及“丙产业园”项目: each quoted item is a project
                names = [(x, None) for x in listed + [quoted.strip()] if len(x) >= 4 and _specific(x)]
        if not names:
            continue
        clause = text[c_start:clause_end(text, m.end(), s_end)]
        if len(clause) <= len(names[0][0]):  # “装备升级、厂区形象改造”项目: the quote marks cut the clause
            clause = text[s_start:s_end]
        sentence = text[s_start:s_end]
        for name, company in names:
            if name in found:
                continue
            found[name] = _project(name, clause, sentence, m.end() - s_start, organizations)
            company = company or quoted_company
            if company and not found[name].company:
                found[name] = found[name].model_copy(update={"company": company})
    for name, m_start, m_end in _facilities(text) if _FACILITY_RULE.on else ():
        if name in found or any(name in other for other in found):
            continue
        s_start, s_end = sentences.around(m_start)
        clause = text[clause_start(text, m_start, s_start):clause_end(text, m_end, s_end)]
        found[name] = _project(name, clause, text[s_start:s_end], m_end - s_start, organizations)
    for name, m_start, m_end in _listed_works(text):
        if name in found:
            continue
        s_start, s_end = sentences.around(m_start)
        clause = text[clause_start(text, m_start, s_start):clause_end(text, m_end, s_end)]
        found[name] = _project(name, clause, text[s_start:s_end], m_end - s_start, organizations)
    names = list(found)
    return [p for name, p in found.items() if not any(name != other and name in other for other in names)]


_FACILITY = re.compile(
    f"(?:启动建设|开工建设|规划建设|加快建设|加快推进|招引落地|推进|新建|建设|启动|建成|打造)"
    f"(?P<name>[{CJK}A-Za-z0-9()（）“”]{{2,24}}?"
    r"(?:基地|产业园|加工厂|工厂|生产线|养殖场|湿地公园|公园|小镇|酒店|民宿|绿智城|科技城|新城|博物馆|体育馆|物流中心|"
    r"街区))"
    r"(?=建设|[，。；、,;和]|等|投入|项目)"
)
_FACILITY_COUNT = re.compile(r"^(?:[\d.]+|[一两二三四五六七八九十]+)[万亿]?(?:个|座|处|家|亩|条)(?:\d+[^的]*的)?")


def _facilities(text: str) -> list[tuple[str, int, int]]:
    """Return facilities being built that the text does not call 项目 (启动建设潇河绿智城)."""
    out = []
    for m in _FACILITY.finditer(text):
        if _made_into(text, m.start()):  # 把甲、乙等建成…基地: the goal; the sites listed are the projects
            continue
        name = _FACILITY_COUNT.sub("", m.group("name")).strip("“”").removeprefix("建设")
        if "的" in name[:-2]:  # 高标准的旅居康养基地: what comes before 的 describes it
            name = name.rsplit("的", 1)[1]
        if len(name) >= 4 and _specific(name) and "项目" not in name and not name.startswith(_ABSTRACT) \
                and not any(w in name for w in _ACCLAIM):
            out.append((name, m.start(), m.end()))
    return out


# 甲、乙等重点企业落地建设 (firms setting up: each is a project); 甲、乙等景区提质建设 (each site's upgrade is one)
_LISTED_WORKS = re.compile(
    f"(?P<items>(?:[{CJK}A-Za-z0-9()（）]{{2,16}}、)+[{CJK}A-Za-z0-9()（）]{{2,16}})等"
    r"(?:(?P<firms>(?:重点|重大|龙头)?企业)(?:加快)?(?:落地建设|落地|开工建设|开工|投产)"
    r"|(?P<works>(?:景区|景点|街区|厂区|厂房|村落|场馆|园区|基地)(?:提质|改造|提升|升级)建设)"
    # 甲、乙等一批交通基础设施开工建设: each item of a list of works under construction is a project
    f"|(?P<infra>(?:一批|多个|多项)?[{CJK}]{{0,8}}?(?:基础设施|工程|设施))(?:已|正在|加快|全面|顺利)?"
    r"(?:开工建设|开工|建设|投用|投入使用|竣工|完工))"
)
_LIST_OPENER = re.compile("^(?:其中)?(?:主要)?(?:包括|包含|涵盖|如)")
# 签约项目包括甲、乙等: the items after 项目包括 are projects
_PROJECT_LIST = re.compile("(?:项目|工程)(?:主要)?(?:包括|包含)[：:]?")
# what a trade or a product ends with: a list of these names industries, not projects
_TRADE_ENDS = ("制造", "信息", "产业", "材料", "能源", "医药", "加工", "装备", "服务", "物流", "经济")


# 走进甲基地二期机库建设现场: what has a construction site is a project being built
_SITE = re.compile(f"(?:走进|来到|深入|在|到)(?P<name>[{CJK}A-Za-z0-9()（）]{{4,30}}?)(?:建设|施工)现场")


# 把甲度假区、乙小镇等建成…: the sites made into something are projects under way
_MADE_INTO = re.compile(f"把(?P<items>(?:[{CJK}A-Za-z0-9()（）]{{4,20}}、)*[{CJK}A-Za-z0-9()（）]{{4,20}})等?"
                        r"(?=建成|打造成|打造为|建设成)")
_SITE_HEADS = ("区", "镇", "园", "基地", "城", "村", "馆", "谷", "街")


def _made_into(text: str, pos: int) -> bool:
    m = _MADE_INTO.search(text, max(0, pos - 80), pos + 4)
    return m is not None and m.end() <= pos < m.end() + 4


# the subject of a construction milestone is a project: 甲港扩建工程顺利开工, 乙公路儋州段率先通车
_MILESTONE_SUBJECT = re.compile(
    "(?:工程|公路|高速|大道|快速路|路段|段|驿站|大桥|隧道|码头|泊位|管廊|电站|水厂|厂房|学校|小学|中学|医院|场馆|体育馆|"
    "博物馆|综合体)(?:顺利|正式|全面|率先|已经|已|相继|先后)?(?:开工建设|开工|竣工|完工|通车|建成运营|建成投用|建成|投入使用|"
    "投用|封顶)"
)
_HEAD_END = re.compile("(?:顺利|正式|全面|率先|已经|已|相继|先后)?(?:开工建设|开工|竣工|完工|通车|建成|投入使用|投用|封顶)")


def _milestone_subjects(text: str) -> list[tuple[str, int, int]]:
    """Return facilities that reach a construction milestone in the text (…工程顺利开工, …段率先通车)."""
    out = []
    for m in _MILESTONE_SUBJECT.finditer(text) if _SUBJECT.on else ():
        end = m.start() + _HEAD_END.search(m.group()).start()  # where the facility's name ends
        start = _project_start(text, end, max(clause_start(text, m.start()), end - 24))
        name = text[start:end].strip("“”\"")
        if 4 <= len(name) <= 24 and _specific(name) and not name.startswith(_ABSTRACT):
            out.append((name, start, m.end()))
    return out


def _listed_works(text: str) -> list[tuple[str, int, int]]:
    """Return projects named without 项目: firms being set up, sites being upgraded, construction sites,
    facilities reaching a milestone."""
    out = _milestone_subjects(text)
    for m in _MADE_INTO.finditer(text) if _MADE.on else ():
        items = [_strip_lead(x) for x in m.group("items").removesuffix("等").split("、")]
        if all(x.endswith(_SITE_HEADS) and _specific(x) for x in items):
            out += [(x, m.start(), m.end()) for x in items]
    for m in _SITE.finditer(text) if _SITE_RULE.on else ():
        name = m.group("name")
        if _specific(name) and not name.endswith("项目"):
            out.append((name, m.start("name"), m.end()))
    for m in _LISTED_WORKS.finditer(text) if _WORKS.on else ():
        items = [_strip_lead(x) for x in m.group("items").split("、")]
        if not all(items) or not all(_NAME_ONLY.fullmatch(x) and not x[0].isdigit() for x in items):
            continue  # one item is no name: the list is not a list of firms or sites
        for item in items:
            name = item + m.group("works") if m.group("works") else item
            out.append((name, m.start(), m.end()))
    for m in _PROJECT_LIST.finditer(text) if _NAMED_LIST.on else ():
        end = clause_end(text, m.end())
        listed = text[m.end():end]
        cut = listed.find("等")
        items = [x.strip("“”\"") for x in (listed[:cut] if cut > 0 else listed).split("、")]
        if len(items) >= 2 and all(4 <= len(x) <= 24 and _NAME_ONLY_LONG.fullmatch(x) and _specific(x)
                                   and not x.endswith(_TRADE_ENDS) and not x[0].isdigit() for x in items):
            out += [(x, m.start(), end) for x in items]
    return out


_ABSTRACT = ("全国", "全省", "区域", "一流", "国内", "重要", "知名", "特色", "高品质")
_ACCLAIM = ("知名", "一流", "著名", "高品质", "标杆")  # 北方知名写生基地: a goal, not a facility


def _occurs_twice(text: str, needle: str) -> bool:
    # not text.count(): that scans the whole article for every candidate (quadratic on a huge page)
    first = text.find(needle)
    return first != -1 and text.find(needle, first + len(needle)) != -1


def _names(text: str, prefix: str, start: int, c_start: int, head_end: int) -> list[tuple[str, str | None]]:
    """Return ``(name, company)`` of the projects one ``…项目`` stands for (several when it closes a list).

    The company is known only from the list form 盛隆泰达、宏源两大焦化项目.
    """
    items_before = []
    if text[start - 1:start] == "、":  # 右卫北城门瓮城修缮、宝宁寺修复项目
        listed = text[c_start:start - 1]
        items_before = [x for x in (_strip_lead(x).removesuffix("项目") for x in listed.split("、")) if x]
    prefix = _COUNTED_CLOSE.sub("等", prefix)  # 甲、乙、丙等21个项目: the count closes the list
    if items_before and not prefix.endswith("等"):  # 甲、乙、丙3个世界500强项目: a count alone closes it too
        prefix = _COUNT_AFTER_LIST.sub("等", prefix)
    closing = re.search(r"等([^、等]{1,6})$", prefix)
    if closing and "企业" in closing.group(1):  # 正极、隔膜等上下游企业项目: firms' projects, unnamed
        return []
    if closing and (items_before or not _specific(closing.group(1))):
        prefix = prefix[: closing.start() + 1]  # 甲、乙等重大项目: the list closes before a generic word
    if prefix.endswith("等") and len(prefix) > 1:  # 玻璃酒店、玻璃故事馆、峡谷青宿等项目
        listed = text[c_start:start]
        items = [_strip_lead(x) for x in listed.split("、")] + [prefix[:-1]]
        items = [_FACILITY_COUNT.sub("", x) for x in items if x]
        if len(items) > 1:
            building = _BUILD_VERB.search(listed.split("、")[0]) or _UNDER_WAY.match(text, head_end + 2) \
                or _LIST_OPENER.search(listed.split("、")[0])  # 包括甲、乙等项目: named items of a count
            if not building:  # only facilities being built are projects
                return []
            return [(x, None) for x in items if 3 <= len(x) <= 20 and _specific(x)]
        prefix = prefix[:-1]
    if _CLASS.on and prefix.endswith(_CLASS_ENDS):  # 开发区重点项目, 数字经济类项目: a class of projects
        return []
    close = prefix.rfind(")")
    if close >= 0 and "(" not in prefix[:close] and len(prefix) - close > 4:  # (记者 某某)甲项目: a byline closes
        prefix = prefix[close + 1:]
    counted = _COUNTED_HEAD.match(prefix)
    if counted:  # 盛隆泰达、宏源两大焦化项目
        items = items_before + [counted.group("items")]
        return [(f"{x}{counted.group('head')}项目", x) for x in items if len(x) >= 2 and _NAME_ONLY.fullmatch(x)]
    if 2 <= len(prefix) < 4 and start == c_start and _occurs_twice(text, prefix + "项目") \
            and _NAME_ONLY.fullmatch(prefix) and not any(w in prefix for w in _GENERIC_WORDS):
        return [(prefix + "项目", None)]  # 晶科项目, named again and again: a short brand name
    if len(prefix) < 4 or len(prefix) > 40 or not _specific(prefix) or _COUNTED_THING.search(prefix):
        return []
    if prefix.count("“") != prefix.count("”") or "项目" in prefix:  # “一项目一专班”, 项目政策和项目
        return []
    names = [prefix + "项目"]
    names += [x + "项目" for x in items_before if len(x) >= 4 and _specific(x)]
    return [(name, None) for name in names]


def _strip_lead(item: str) -> str:
    item = item[_project_start(item, len(item), 0):] if item else item
    item = item.strip("“”\"")
    return item if len(item) <= 16 and not re.search(r"\d+个", item) else ""


def _project(name: str, clause: str, sentence: str, after: int, organizations) -> Project:
    investment = _INVESTMENT.search(sentence)
    capacity = _CAPACITY.search(sentence)
    tail = sentence[after:]
    status = next((w for w in _STATUS if w in tail), None) or next((w for w in _STATUS if w in sentence), None)
    company = next((o.name for o in organizations if o.name in name), None) or _built_by(name, sentence, organizations)
    owner = _OWNER_FIRST.match(name) if _OWNER.on else None
    if owner and company is not None and not owner.group("owner").startswith(company):
        owner = None  # the firm the text names elsewhere is the owner
    if owner and not owner.group("owner").startswith(tuple(_GENERIC_LONGEST)):
        company = owner.group("owner")  # 山西某来年产16GW电池项目, 中国某科(山西)材料基地项目: the firm comes first
    evidence = clause
    for extra in (investment, capacity):
        if extra and extra.group() not in evidence:
            evidence = sentence
    return Project(name=name, company=company, investment=investment.group("amount") if investment else None,
                   status=status, capacity=capacity.group("cap") if capacity else None, evidence=evidence)
