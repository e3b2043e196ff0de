"""Parks and areas listed beside a zone: the other items of a 、-list that names one.

News enumerates the carriers of a zone one after another (依托综合保税区、城北加工区和
临港物流园等载体; 园区有：A产业园、B科技园、C加工园). An item that ends like a
park or an area (…园, …区) and is listed with a zone the rules already found is a
zone too, named in passing. Places (头屯河区), parts of a town (城区, 社区) and
areas of nature (景区, 湖区) are not: their endings are the lexicon
``zone_list_not_heads``. A list closed by 等…项目 names projects, not zones
(:func:`in_project_list`, also asked by the zone finder about parks).
"""

from __future__ import annotations

import re

from .registry import lexicon, rule
from .text import CJK, clause_end, clause_start
from ...core.schema import Zone
from ...zones.places import locate

__all__ = ["listed_zones", "in_project_list"]

_LIST_RULE = rule("zones.list-mates")
_NOT_HEADS = tuple(sorted(lexicon("zone_list_not_heads"), key=len, reverse=True))
_ITEM = re.compile(f"[{CJK}]{{4,12}}")
_JOINERS = re.compile("、|和|及|与|以及")
_LIST_CLOSE = re.compile("等")
_LEAD_IN_END = re.compile("[了的在于将把向到有:：]")
_DESIGNATIONS = ("各", "该", "本", "全", "其他", "相关", "重点", "多个", "一批", "省级", "国家级")
_PROJECT_CLOSE = re.compile(f"等[^，,。；;：:]{{0,10}}?项目")


def in_project_list(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` is an item of a 、-list closed by 等…项目: the items are projects."""
    listed = text[end:end + 1] == "、" or text[start - 1:start] == "、"
    return listed and _PROJECT_CLOSE.search(text, end, clause_end(text, end)) is not None


def _items(clause: str) -> list[tuple[int, int]]:
    """Return (start, end) of each item of the 、-list in ``clause``, 等… cut off the last."""
    spans, pos = [], 0
    for m in _JOINERS.finditer(clause):
        spans.append((pos, m.start()))
        pos = m.end()
    last_end = len(clause)
    close = _LIST_CLOSE.search(clause, pos)
    if close:
        last_end = close.start()
    spans.append((pos, last_end))
    return spans


def _zone_like(item: str) -> str | None:
    """Return the zone type an item's ending makes it (工业园区 for a park, 其他 for an area), or None."""
    if not _ITEM.fullmatch(item) or item.endswith(_NOT_HEADS) or item.startswith(_DESIGNATIONS):
        return None
    place = locate(item)
    if place is not None and len(place.text) >= len(item) - 1:  # 头屯河区, 西青区: a district, not a zone
        return None
    if item.endswith("园") or item.endswith("园区"):
        return "工业园区"
    return "其他" if item.endswith("区") else None


def listed_zones(text: str, spans: list[tuple[int, int]], names: set[str]) -> list[Zone]:
    """Return the zones listed beside the zones found at ``spans`` of ``text`` (``names``: those already found).

    Each is named in passing (not primary); its evidence is the list's clause.
    """
    if not _LIST_RULE.on:
        return []
    found: dict[str, Zone] = {}
    done: set[int] = set()
    for start, end in spans:
        c_start = clause_start(text, start)
        if c_start in done:
            continue
        done.add(c_start)
        c_end = clause_end(text, end)
        clause = text[c_start:c_end]
        items = _items(clause)
        holds_zone = any(s <= start - c_start and end - c_start <= e + 1 for s, e in items)
        if _PROJECT_CLOSE.search(clause) or len(items) < 2 or not holds_zone:
            continue
        for k, (s, e) in enumerate(items):
            item = clause[s:e].strip()
            if k == 0:  # the first item may carry the clause's lead-in (建成了A园区)
                item = _LEAD_IN_END.split(item)[-1]
            if item in names or item in found or any(item in n or n in item for n in names):
                continue
            zone_type = _zone_like(item)
            if zone_type is not None:
                found[item] = Zone(mention=item, canonical=item, type=zone_type, primary=False, evidence=clause)
    return list(found.values())
