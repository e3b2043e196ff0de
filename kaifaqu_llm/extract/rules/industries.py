"""Leading industries: the items of a list the text calls the zone's industries, and industries named alone.

Frames, each a rule in the rule table (lexicons in lexicons/industry_*.txt/.tsv):

- ``industries.list``: a 、-list closed by a head (产业, 产业集群, 领域…) that a qualifier
  (主导, 重点, 三大) or a development verb makes the zone's: ``聚焦文化旅游、新能源、农产品加工三大主导产业``;
- ``industries.domain``: a list closed by 等领域 / 等板块 / 等业态 after 涵盖 / 涉及 / 布局;
- ``industries.category``: ``A、B等现代服务业``: the items and the category that closes them;
- ``industries.figures``: an industry the text gives figures for (``电子信息产业实现产值…``);
- ``industries.single``: one industry after 重点发展 / 以X为主导产业 / an X产业集群 being built.
"""

from __future__ import annotations

import re

from .registry import lexicon, lexicon_map, rule
from .text import CJK, Sentences, clause_start
from ...core.schema import Industry

__all__ = ["extract_industries"]

_LIST_RULE, _ONE_RULE = rule("industries.list"), rule("industries.single")
_DOMAIN_RULE, _CATEGORY_RULE, _FIGURES_RULE = (rule("industries.domain"), rule("industries.category"),
                                               rule("industries.figures"))
_HEADS = lexicon_map("industry_heads")
_LEADS = lexicon("industry_lead_words")
_NOT_STARTS, _NOT_ENDS = lexicon("industry_not_items"), lexicon("industry_not_ends")


def _alt(words) -> str:
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))


_COUNT = r"(?:[两三四五六七八九十]|\d+)(?:大|个)?|多个|诸多"
_LIST_HEAD = re.compile(
    f"(?<!全)(?P<etc>等)?(?<![一二三四五六七八九十])(?P<count>{_COUNT})?(?P<qual>(?:{_alt(lexicon('industry_qualifiers'))})+)?"
    f"(?P<head>{_alt(_HEADS)})(?!园|区|基地|化|集聚|发展|工人|工作|等)"
)
_CATEGORY = re.compile(f"等([{CJK}]{{2,6}}(?:服务业|加工业|制造业))")
_FIGURES = re.compile(f"(?<![{CJK}])([{CJK}]{{2,12}}?)(产业|制造业)(?:实现|完成)?总?(?:产值|增加值|营业收入|营收|同比增长)")
_SINGLE = re.compile(
    f"(?:(?:重点发展|主导产业为|做大做强|大力发展|加快发展|培育发展|聚焦)(?:以[^，。,]{{2,12}}为龙头的)?([{CJK}]{{2,8}}?)产业"
    f"|以([{CJK}]{{2,8}})为(?:主导|首位|支柱)产业"
    f"|(?:推动|打造|形成|培育|壮大|[元亿])([{CJK}]{{2,8}}?)产业集群"
    f"|(?:百亿级|千亿级|百亿|千亿)([{CJK}]{{2,8}}?)产业(?:集聚区|集群|基地)"
    f"|(?:重点发展|大力发展|集聚发展|加快发展|培育发展)([{CJK}]{{2,6}}(?:服务业|加工业|制造业)))"
)
_LEAD_RE = re.compile(f"(?:{_alt(_LEADS)})")
_SPLIT = re.compile("、|以及|和")
_QUOTES = "“”\"‘’《》「」"
_ITEM = re.compile(f"[{CJK}]{{2,10}}")
_WHEN = re.compile(r"^(?:今年|去年|全年|上半年|下半年|前[一二三四五六七八九十]+个?月|[一二三四]季度|其中|同时|全区|园区)+")
_AMOUNT = re.compile(f"^[^{CJK}]*(?:[{CJK}]*?[元亿万])?")


def _clean(item: str) -> str:
    """Return an item without quotes, the verbs before it, a count closing it, and a trailing 产业."""
    item = item.strip(_QUOTES + " ()（）")
    item = re.sub(f"等?(?:{_COUNT})$", "", item)
    item = re.sub(r"等?(?:[两三四五六七八九十]|\d+)大.*$", "", item)  # …三大数字经济(产业集群)
    item = re.sub("[百千万]亿级?$", "", item)  # 高端装备制造千亿(产业集群)
    last = None
    for last in _LEAD_RE.finditer(item):
        pass
    if last is not None and len(item) - last.end() >= 2:  # 目前已初步形成电子信息制造业
        item = item[last.end():]
    return item[:-2] if item.endswith("产业") and len(item) > 3 else item


def _is_item(item: str) -> bool:
    return bool(_ITEM.fullmatch(item)) and not item.startswith(_NOT_STARTS) and not item.endswith(_NOT_ENDS)


def _list_span(text: str, m: re.Match, s_start: int) -> tuple[int, int]:
    """Return where the list before ``m`` starts and ends: its clause, or the quotes around it."""
    end = m.start()
    if end > s_start and text[end - 1] in _QUOTES:  # “绿色硅光伏、新能源电池”两个千亿级产业
        opening = max(text.rfind(q, s_start, end - 1) for q in _QUOTES)
        if opening >= 0:
            return opening + 1, end - 1
    return clause_start(text, end, s_start), end


def _after_lead(text: str, start: int, end: int) -> tuple[int, bool]:
    """Return where a list in ``text[start:end]`` starts, after the last development verb before its
    first 、 (…出口等涵盖保税加工、保税维修), and whether there is such a verb."""
    first = text.find("、", start, end)
    last = None
    for last in _LEAD_RE.finditer(text, start, first if first >= 0 else end):
        pass
    return (last.end(), True) if last is not None else (start, False)


def _lists(text: str, sentences: Sentences, found: dict[str, Industry]) -> None:
    for m in _LIST_HEAD.finditer(text):
        kind = _HEADS[m.group("head")]
        qualified = bool(m.group("count") or m.group("qual"))
        if kind == "domain" and not m.group("etc"):
            continue
        s_start, _ = sentences.around(m.start())
        start, end = _list_span(text, m, s_start)
        start, led = _after_lead(text, start, end)
        items = _SPLIT.split(text[start:end])
        if len(items) < 2:
            continue
        if kind == "domain":
            if not (_DOMAIN_RULE.on and led):
                continue
        elif not _LIST_RULE.on or not (qualified or kind == "cluster" or led and m.group("etc")):
            continue
        _add(found, items, text[start:m.end()], whole=True)


def _add(found: dict[str, Industry], items, evidence: str, whole: bool = False) -> None:
    """Add the items that are industries; with ``whole``, all of them or none (a list with a
    clause in it, 省委、省政府关于重点产业, is no list of industries)."""
    cleaned = [_clean(item) for item in items]
    if whole and not (all(map(_is_item, cleaned)) and not any(_LEAD_RE.search(item) for item in items[1:])):
        return  # (a verb inside a later item makes the list one of activities: 发展新质生产力)
    for item in cleaned:
        if _is_item(item):
            found.setdefault(item, Industry(name=item, evidence=evidence))


def extract_industries(text: str) -> list[Industry]:
    """Return the industries ``text`` names as leading or key ones, each once, in order of appearance."""
    sentences = Sentences.of(text)
    found: dict[str, Industry] = {}
    _lists(text, sentences, found)
    for m in _CATEGORY.finditer(text) if _CATEGORY_RULE.on else ():
        s_start, _ = sentences.around(m.start())
        start = clause_start(text, m.start(), s_start)
        items = _SPLIT.split(text[start:m.start()])
        if len(items) >= 2:
            _add(found, [*items, m.group(1)], text[start:m.end()])
    for m in _FIGURES.finditer(text) if _FIGURES_RULE.on else ():
        name = _clean(_WHEN.sub("", m.group(1))) + ("制造业" if m.group(2) == "制造业" else "")
        if _is_item(name) and not _AMOUNT.match(m.group(1)).group():
            found.setdefault(name, Industry(name=name, evidence=m.group()))
    for m in _SINGLE.finditer(text) if _ONE_RULE.on else ():
        item = _clean(next(g for g in m.groups() if g))
        if 2 <= len(item) <= 8 and _is_item(item) and item not in found:
            found[item] = Industry(name=item, evidence=m.group())
    return list(found.values())
