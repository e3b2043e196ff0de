"""Development zones named in an article: mention, canonical name, type, primary.

A zone name is a place-like prefix plus a zone suffix (经济技术开发区, 经开区,
高新区, 示范区, 综合保税区, 产业园…). Where the prefix starts is the hard part
in unsegmented Chinese: a prefix that starts right after punctuation is trusted,
and prefixes learnt that way are reused to cut the same name out of running
text (在盐湖高新区 → 盐湖高新区). Mentions of one zone are grouped (晋城经开区 ↔
晋城经济技术开发区, 左权示范区 ↔ 左权生态文化旅游示范区); the group's longest full
form is its canonical name.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .registry import rule
from .text import CJK, Sentences, clause_end, clause_start
from .zone_lists import in_project_list, listed_zones
from ...core.schema import Zone
from ...zones.names import RULES, ZoneSuffix, parse_name, suffix_pattern, suffixes_for
from ...zones.places import locate, starts_with_place

__all__ = ["ZoneMention", "find_zone_mentions", "extract_zones"]

_NAMES_RULE, _AREA_RULE, _NOT_NAME_RULE = rule("zones.suffix"), rule("zones.area"), rule("zones.not-a-name")
_PLACE_START, _FORMER, _PROJECT_LIST = rule("zones.place-start"), rule("zones.former-name"), rule("zones.project-list")
_SHARED = rule("zones.shared-suffix")
_SUFFIXES = suffixes_for(RULES)
_SUFFIX_RE = re.compile(suffix_pattern(RULES))
_RUN_CHARS = re.compile(f"[{CJK}]")
_MAX_PREFIX = 14
# words that open a clause but are not part of a name
_LEAD_WORDS = ("在", "于", "与", "和", "及", "对", "将", "向", "到", "是", "为", "从", "由", "据", "让", "使",
               "以", "把", "被", "了", "的", "等", "再到", "全力", "推动", "打造", "建设", "创建", "支持", "助力",
               "落户", "入驻", "进驻", "位于", "今年", "去年", "目前", "近日", "同时", "其中", "作为", "全省", "全市",
               "走进", "启动", "围绕", "加快", "做强", "做大", "招引", "落地", "开工", "实施", "推进", "深入推进",
               "按照", "感受", "引领", "全体", "清廉", "积极", "着力", "重点", "努力", "持续", "不断", "纳入", "列入")
# in the tuple's order, as a scan of it would find them (在 before 在建…)
_LEAD_RE = re.compile("|".join(map(re.escape, _LEAD_WORDS)))
_FUNCTION_CHARS = set("在于与和及对将向到是为从由据让使以把被了的等月日年号占")
# designations and generic heads that are not names of one zone
_DESIGNATIONS = ("省级", "国家级", "全国", "首批", "国家", "各类", "各级", "各", "全区", "该", "本", "此", "这",
                 "两个", "两大", "两类", "两区", "两园", "多个", "一批", "重点", "特色", "专业", "新型", "现代", "产业",
                 "工业", "示范", "配套", "园区", "区", "整个", "所在", "周边", "一流", "高端", "标准", "智慧", "建设",
                 "生态文明")
_VERBS = ("出台", "开拓", "赋予", "负责", "鉴于", "走进", "健全", "夯实", "完善", "聚焦", "围绕", "提升", "结合",
          "支撑", "赋能", "彰显", "感受", "做好", "抓好", "促进", "发挥", "推进", "谋划", "加快", "展示", "写在",
          "更名", "获批", "计划", "入驻", "跑出", "引领", "服务", "优化", "带动", "壮大", "发展", "融入", "走出",
          "衡量", "反映", "考核", "评估", "申报", "评价")
# words after which a name starts afresh: what comes before them is not part of it (全国综合保税区, 湖南省首个综合保税区)
_RESTARTS = re.compile("(?:全国|全省|全市|首个|首家|首批|上述|各|每个|第[一二三四五六七八九十百\\d]+[个家批]|季度|年度|上半年|下半年|建设)")
# a count or an amount is not a name (千亿园区, 两个园区)
_AMOUNT = re.compile("^[一二三四五六七八九十两几多百千万亿]+$")
# verbs of going, settling and building after which a place name starts (only searched inside an over-long run)
_CUT_VERBS = tuple(w for w in _LEAD_WORDS if len(w) >= 2 and w not in ("今年", "去年", "目前", "近日", "同时", "其中",
                                                                      "全省", "全市", "全体", "清廉", "重点"))
_GENERIC_WHOLE = {"开发", "工业", "产业", "高新", "经济", "技术", "综合", "保税", "化工", "物流", "科技"}


@dataclass(frozen=True)
class ZoneMention:
    """One written zone name: ``prefix`` + ``suffix`` at ``start``–``end`` of the text."""

    prefix: str
    suffix: str
    start: int
    end: int

    @property
    def text(self) -> str:
        """Return the name as written."""
        return self.prefix + self.suffix

    @property
    def family(self) -> str:
        """Return the kind of zone the suffix names (开发, 高新, 示范, 综保, 园)."""
        return _SUFFIXES[self.suffix].family


def _raw_candidates(text: str) -> list[tuple[int, int, int, bool]]:
    """Return ``(run_start, suffix_start, suffix_end, inside)`` for every zone suffix in ``text``.

    ``inside`` marks a park named right after a zone (襄汾经济技术开发区高端装备制造产业园).
    """
    out = []
    last_end = 0
    for m in _SUFFIX_RE.finditer(text):
        after = text[m.end():m.end() + 1]
        if m.group() == "园区" and after in ("内", "外"):  # 园区内 is a place word
            continue
        if after in ("域", "块"):  # 区域, 区块: the 区 is a word's start (创新区域), not a suffix's end
            continue
        i = m.start()
        floor = max(last_end, m.start() - _MAX_PREFIX)
        while i > floor and _RUN_CHARS.match(text[i - 1]):
            i -= 1
        if i < m.start() and text[i] in _MEASURES and i > 0 and text[i - 1].isdigit():
            i += 1  # 46个申报园区: the count's measure word is not the name's start
        out.append((i, m.start(), m.end(), i == last_end > 0 and i < m.start()))
        last_end = m.end()
    return out


def _strip_lead(raw: str) -> str:
    """Cut a run of text before a suffix down to what can be a name (after the last function word)."""
    if raw[:1] in ("家", "个", "所", "座") and len(raw) <= 2:  # 93家开发区: the digits end the run
        raw = raw[1:]
    last = _LAST_FUNCTION.search(raw)
    cut = last.start() + 1 if last else 0
    if _NOT_NAME_RULE.on:  # in the whole run: 年度 ends in a word a function character (年) starts
        cut = max([cut, *(m.end() for m in _RESTARTS.finditer(raw))])
    rest = raw[cut:]
    for _ in range(3):
        word = _LEAD_RE.match(rest)
        if word is None:
            break
        rest = rest[word.end():]
    if len(rest) > 8:  # 参训人员还走进杭州: too long for a place; a name starts after the last verb in it
        cut = max((rest.rfind(w) + len(w) for w in _CUT_VERBS if w in rest[:-1]), default=0)
        if 2 <= len(rest) - cut <= 8:
            rest = rest[cut:]
    if len(rest) < 2:  # 设立国家级和龙: a place whose name holds a function character (和龙, 于都)
        rest = next((raw[-k:] for k in range(min(len(raw), 6), 1, -1) if _is_place(raw[-k:])), rest)
    if _PLACE_START.on:
        rest = _from_place(rest)
    return rest


_MODIFIERS = frozenset("东西南北中新老大小上下前后内外")  # a direction or size word can open a name


def _from_place(rest: str) -> str:
    """Cut one to three leading characters that are no place off a run whose place starts after them
    (标志着开封, 含凭祥, 现有哈尔滨 → 开封, 凭祥, 哈尔滨); a run that starts with a place is kept whole."""
    if len(rest) < 3 or starts_with_place(rest):
        return rest
    for k in range(1, 5):
        tail = rest[k:]
        if k == 1 and rest[0] in _MODIFIERS:  # 北塘, 新长江: a direction or size word can open a name
            continue
        if len(tail) >= 2 and starts_with_place(tail) and not starts_with_place(rest[:k] + tail[:1]):
            return tail
    return rest



def _former_name(text: str, start: int) -> bool:
    """True when the name starting at ``start`` follows 原 (formerly) set off by a function word or punctuation."""
    if text[start - 1:start] != "原":
        return False
    before = text[start - 2:start - 1]
    return not before or before in _FUNCTION_CHARS or not _RUN_CHARS.match(before)


_LAST_FUNCTION = re.compile(f"[{''.join(sorted(_FUNCTION_CHARS))}](?=[^{''.join(sorted(_FUNCTION_CHARS))}]*$)")
_MEASURES = frozenset("个家所座批类")
_COUNTED = re.compile("^[一二三四五六七八九十两几多]+[大个家类]")


def _is_place(text: str) -> bool:
    place = locate(text)
    return place is not None and place.text == text


def _is_name(prefix: str) -> bool:
    if _NOT_NAME_RULE.on and (len(prefix) < 2 or _AMOUNT.match(prefix)):  # 以上经济开发区, 千亿园区
        return False
    if "级" in prefix or _COUNTED.match(prefix) or any(w in prefix for w in ("省委", "行动", "窗口")):
        return False
    if prefix.endswith(("式", "型")):  # 花园式产业园区, 生态型园区: what kind of park, not which
        return False
    return not prefix.startswith(_DESIGNATIONS) and prefix not in _GENERIC_WHOLE and not prefix.endswith(_VERBS)


_BUILDING = ("打造", "建设", "建成", "落地", "引进", "招引", "开工", "新建", "规划", "启动", "筹建", "谋划")


def _named_park(run: str, rest: str, suffix: ZoneSuffix, after: str) -> bool:
    """True for an operating park named with the loose 产业园 (以清河电子产业园为支撑, 做强铝基循环产业园).

    The name must be four or more characters cut cleanly off a verb or list; a park
    being built (打造…产业园, 开工建设…产业园, …产业园项目) is a project, not a zone.
    """
    if after.startswith(("项目", "中园", "建设")):
        return False
    if not (suffix.loose and suffix.park) or not 4 <= len(rest) <= 8:
        return False
    lead = run[:len(run) - len(rest)]
    return not lead.endswith(_BUILDING) and not rest.startswith(_BUILDING)


def find_zone_mentions(text: str, known_prefixes: set[str] | None = None) -> list[ZoneMention]:
    """Return every zone name written in ``text``, with its offsets.

    A place prefix is trusted when it comes with a full suffix (经济技术开发区,
    产业园区…), with any suffix in ``known_prefixes`` (names learnt from the zone
    header), or with an abbreviation more than once; a longer prefix ending in a
    trusted one is cut to it (黄梅芳代表运城经济技术开发区 → 运城经济技术开发区).
    """
    candidates = []
    for r, s, e, inside in _raw_candidates(text):
        # only a park (产业园, 工业园区) or an area (片区) is named inside a zone, and only when no verb comes between
        row = _SUFFIXES[text[s:e]]
        inside = inside and (row.park or row.area and _AREA_RULE.on) and _strip_lead(text[r:s]) == text[r:s]
        rest = text[r:s] if inside else _strip_lead(text[r:s])
        candidates.append((r, s, e, rest))
        if inside and "级" not in rest:
            known_prefixes = {*(known_prefixes or ()), rest}
    known = {k for k in (known_prefixes or ()) if k}
    abbrev_counts: Counter[str] = Counter()
    for r, s, e, rest in candidates:
        if rest and len(rest) <= 8 and _is_name(rest):
            if _named_park(text[r:s], rest, _SUFFIXES[text[s:e]], text[e:e + 3]):
                known.add(rest)
            elif _SUFFIXES[text[s:e]].area:
                continue  # an area (片区) is named only with its zone, or by a prefix learnt there
            elif not _SUFFIXES[text[s:e]].full:
                # an abbreviation opening a clause (长治高新区召开…) names a zone on its own
                at_boundary = text[r:s] == rest and (r == 0 or not _RUN_CHARS.match(text[r - 1]))
                abbrev_counts[rest] += 2 if at_boundary else 1
            else:
                known.add(rest)
    known |= {p for p, n in abbrev_counts.items() if n >= 2 and 2 <= len(p) <= 3}
    mentions: list[ZoneMention] = []
    for r, s_start, s_end, rest in candidates:
        suffix = text[s_start:s_end]
        before = mentions[-1] if mentions else None
        if (_AREA_RULE.on and _SUFFIXES[suffix].area and before is not None and before.end == r and rest
                and rest == text[r:s_start]):
            # 自由贸易试验区崇左片区: the area and the zone it belongs to make one name
            mentions[-1] = ZoneMention(before.text + rest, suffix, before.start, s_end)
            continue
        shorter = max((k for k in known if rest.endswith(k) and k != rest), key=len, default=None)
        if rest in known:
            prefix = shorter if shorter and _SUFFIXES[suffix].full and len(rest) > 5 else rest
        elif shorter:
            prefix = shorter
        elif not _SUFFIXES[suffix].full or len(rest) > 8 or not _is_name(rest):
            prefix = ""  # a bare 经开区 / 园区: resolved against the article's named zones
        else:
            prefix = rest
        if suffix == "园区" and not prefix:
            continue
        if _FORMER.on and prefix and _former_name(text, s_start - len(prefix)):
            continue
        if _PROJECT_LIST.on and _SUFFIXES[suffix].loose and in_project_list(text, s_start - len(prefix), s_end):
            continue
        mentions.append(ZoneMention(prefix, suffix, s_start - len(prefix), s_end))
    return _shared_suffix(text, mentions) if _SHARED.on else mentions


_JOINERS = "、和及与"


def _shared_suffix(text: str, mentions: list[ZoneMention]) -> list[ZoneMention]:
    """Add the zones of places listed before a zone's name that share its type (喀什、霍尔果斯经济开发区:
    喀什经济开发区 too), each at its place's offsets."""
    out = []
    for m in mentions:
        place = locate(m.prefix) if m.prefix else None
        pos = m.start
        while place is not None and text[pos - 1:pos] in _JOINERS and pos > 1:
            start = pos - 1
            while start > 0 and pos - 1 - start < 6 and _RUN_CHARS.match(text[start - 1]) \
                    and text[start - 1] not in _JOINERS:
                start -= 1
            item = text[start:pos - 1]
            if not _is_place(item):
                break
            out.append(ZoneMention(item + m.prefix[len(place.text):], m.suffix, start, pos - 1))
            pos = start
        out.append(m)
    return out


def _area_stem(prefix: str) -> str:
    """Return an area's own name: what follows the last zone suffix in its prefix (自贸试验区崇左 → 崇左)."""
    last = None
    for last in _SUFFIX_RE.finditer(prefix):
        pass
    return prefix[last.end():] if last is not None and last.end() < len(prefix) else prefix


def _same_zone(a: ZoneMention, b: ZoneMention) -> bool:
    if a.family != b.family:
        return False
    if not a.prefix or not b.prefix:
        return False
    if _SUFFIXES[a.suffix].area and _SUFFIXES[b.suffix].area:  # 广西自贸试验区崇左片区 ~ 自由贸易试验区崇左片区
        places = [locate(m.prefix) for m in (a, b)]
        other_places = all(places) and places[0].text != places[1].text  # 喀什…兵团分区, 霍尔果斯…兵团分区
        return _area_stem(a.prefix) == _area_stem(b.prefix) and not other_places
    shorter, longer = sorted((a, b), key=lambda m: len(m.prefix))
    x, y = shorter.prefix, longer.prefix
    if y.startswith(x) and x != y and _SUFFIXES[shorter.suffix].full and _SUFFIXES[longer.suffix].full:
        return False  # 大连经济技术开发区, 大连太平湾经济开发区: both written in full, two zones of one city
    return y.startswith(x) or y.endswith(x) and len(x) >= 2  # 左权 ~ 左权生态文化旅游, 武宿 ~ 太原武宿


def extract_zones(text: str, headers: tuple[str, ...] = ()) -> list[Zone]:
    """Return one :class:`Zone` per distinct zone named in ``text`` or the ``headers`` (zone header, title).

    Zones named in a header are primary; without one, the most mentioned zone is.
    Evidence is the clause of the first mention in ``text`` (the header line when
    the body never names the zone).
    """
    if not _NAMES_RULE.on:
        return []
    header_mentions = [m for h in headers if h for m in find_zone_mentions(h)]
    known = {m.prefix for m in header_mentions if m.prefix}
    body = find_zone_mentions(text, known)
    groups: list[list[ZoneMention]] = []
    # _same_zone depends only on (prefix, family): compare with each group's distinct names, not every
    # repetition, so a page naming one zone thousands of times stays linear.
    names: list[dict[tuple[str, str], ZoneMention]] = []
    bare: list[ZoneMention] = []
    for m in header_mentions + body:
        if not m.prefix:
            bare.append(m)
            continue
        for group, distinct in zip(groups, names):
            if any(_same_zone(m, other) for other in distinct.values()):
                group.append(m)
                distinct.setdefault((m.prefix, m.family), m)
                break
        else:
            groups.append([m])
            names.append({(m.prefix, m.family): m})
    header_ids = {id(m) for m in header_mentions}
    families = [{o.family for o in g} for g in groups]
    for m in bare:  # 经开区 alone refers to a named zone of its kind, or stands on its own
        target = next((g for g, kinds in zip(groups, families) if m.family in kinds), None)
        if target is not None:
            target.append(m)
        elif _SUFFIXES[m.suffix].short:  # 经开区 alone names one zone
            groups.append([m])
            families.append({m.family})
    if not groups:
        return []
    in_header = [any(id(m) in header_ids for m in g) for g in groups]
    counts = [sum(1 for m in g if id(m) not in header_ids) for g in groups]
    if not any(in_header):
        top = max(range(len(groups)), key=lambda i: (counts[i], -groups[i][0].start))
        in_header[top] = True
    sentences = Sentences.of(text)
    zones = []
    for group, primary in zip(groups, in_header):
        zones.append(_zone_of(group, primary, header_ids, text, sentences, headers))
    names = {n for z in zones for n in (z.mention, z.canonical) if n}
    return zones + listed_zones(text, [(m.start, m.end) for m in body if m.prefix], names)


def _zone_of(group: list[ZoneMention], primary: bool, header_ids: set[int], text: str,
             sentences: Sentences, headers: tuple[str, ...]) -> Zone:
    named = [m for m in group if m.prefix] or group
    written = Counter(m.text for m in named)
    mention = max(written, key=lambda t: (written[t], -len(t)))
    full = [m for m in named if _SUFFIXES[m.suffix].full]
    canonical_m = max(full, key=lambda m: len(m.text)) if full else None
    canonical = canonical_m.text if canonical_m else None
    zone_type = parse_name((canonical_m or named[0]).text, RULES).suffix.type
    in_body = [m for m in group if id(m) not in header_ids]
    if in_body:
        first = min(in_body, key=lambda m: m.start)
        s_start, s_end = sentences.around(first.start)
        evidence = text[clause_start(text, first.start, s_start): clause_end(text, first.end, s_end)]
        if len(evidence) < len(first.text):
            evidence = first.text
    else:
        evidence = next((h for h in headers if h and group[0].text in h), group[0].text)
    return Zone(mention=mention, canonical=canonical, type=zone_type, primary=primary, evidence=evidence)
