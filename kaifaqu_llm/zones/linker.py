"""Linking a zone mention (晋城经开区, 武宿综保区…) to its official catalog entry.

A zone name is [level] [province] [prefecture] place + type suffix. Both the
mention and every catalog name are cut that way by the same rules: the level
(国家级/省级) and province prefixes (山西省 / 山西) are dropped, a prefecture
prefix (运城 / 运城市) is split off using the prefectures the catalog itself
lists, and the suffix is expanded (经开区 → 经济技术开发区 or 经济开发区, 高新区 →
高新技术产业开发区, 综保区 → 综合保税区, 综改区 → 山西转型综合改革示范区).
Entries are then matched on place + type and scored; a clear best entry is a
link, near-equal ones are returned as candidates, and a zone the catalog does
not list (approved after 2018) stays unlinked with its parsed place and type.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from typing import Any

from .catalog import Catalog, CatalogEntry, city_of
from .names import JINGKAI, LINKER, OTHER, fold_name, province_prefix, short_province, split_suffix, suffixes_for

__all__ = ["ParsedZone", "ZoneLink", "parse_zone_name", "link_zone", "annotate_zones", "ALIASES", "MIN_SCORE", "MARGIN"]

MIN_SCORE = 0.6  # below this a candidate is not a link
MARGIN = 0.1  # a best candidate closer than this to the runner-up is ambiguous

_SUFFIXES = suffixes_for(LINKER)
_FAMILY = dict.fromkeys(JINGKAI, "经开")  # level-ambiguous names of one kind of zone
# well-known short names that stand for one zone; looked up after the province prefix is dropped
ALIASES = {text: s.alias for text, s in _SUFFIXES.items() if s.alias}
_LEVEL_RE = re.compile(r"^(国家级|省级)")
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")
_GENERIC_CITY = re.compile(r"^(.{2,4}?)市(.{2,})$")


@dataclass(frozen=True)
class ParsedZone:
    """A zone name cut into its parts: ``place`` + ``type``; ``stem`` is the name without type and province."""

    place: str | None
    province: str | None
    prefecture: str | None
    type: str | None
    stem: str
    suffix: str | None = None
    types: tuple[str, ...] = ()  # every type the suffix may stand for (经开区: both 经济…开发区)
    abbreviated: bool = False
    level: str | None = None


@dataclass(frozen=True)
class ZoneLink:
    """The catalog entry a mention links to; every field None when unlinked (``candidates`` when ambiguous)."""

    catalog_code: str | None = None
    official_name: str | None = None
    level: str | None = None
    province: str | None = None
    city: str | None = None
    link_score: float | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    place: str | None = None
    type: str | None = None

    @property
    def linked(self) -> bool:
        """True when the mention was linked to one entry."""
        return self.catalog_code is not None


class _Places:
    """Prefecture and county names known from a catalog, to split 运城盐湖 into 运城 + 盐湖."""

    def __init__(self, entries: tuple[CatalogEntry, ...] = ()) -> None:
        self.prefectures = {c for e in entries if (c := city_of(e.prefecture))}
        self.counties: dict[str, str] = {}
        for entry in entries:
            county = entry.county or ""
            if len(county) >= 3 and county[-1] in "区县旗":
                self.counties.setdefault(county, county[:-1])
        self.county_stems = {c[:-1] for e in entries if len(c := e.county or "") >= 3}

    def prefecture_of(self, stem: str) -> str | None:
        """Return the longest known prefecture ``stem`` starts with, or None."""
        return next((stem[:k] for k in range(len(stem), 1, -1) if stem[:k] in self.prefectures), None)

    def local(self, place: str | None) -> str | None:
        """Return ``place`` without a leading county name (汾阳杏花村 → 杏花村), or None."""
        for k in range(len(place or "") - 2, 1, -1):
            if place[:k] in self.county_stems:
                return place[k:]
        return None


def _fold(text: str) -> str:
    return _BRACKETS.sub("", fold_name(text))


def _strip_province(text: str) -> tuple[str, str | None]:
    found = province_prefix(text)
    if found is None:
        return text, None
    form, full = found
    if form == full[:-1] and full[-1] == "市":  # 天津港: a municipality's name is its city's too
        return text, full
    return text[len(form):], full


def parse_zone_name(name: str, places: _Places | None = None) -> ParsedZone:
    """Return the parts of a zone name: place, province, prefecture, type and stem.

    ``places`` (built from a catalog) lets a prefecture written without 市 be
    split off (运城盐湖 → 运城 + 盐湖); without it only ``X市`` prefixes are.
    """
    text = _fold(name)
    level_match = _LEVEL_RE.match(text)
    level = level_match.group(1) if level_match else None
    text = text[level_match.end():] if level_match else text
    rest, province = _strip_province(text)
    if rest in ALIASES:
        rest, province = _strip_province(ALIASES[rest])
    stem, row = split_suffix(rest, LINKER)
    if not stem and province:  # 山西转型综合改革示范区: the province is the place
        stem = short_province(province)
    suffix, zone_type, types = None, None, ()
    if row is not None:
        # a kind the catalog lists on its own, or a bare 开发区, is matched on its suffix text ("其他")
        suffix, zone_type = row.text, OTHER if row.own_kind else row.type
        types = row.types if zone_type != OTHER else (OTHER,)
    prefecture, place = _split_prefecture(stem, places)
    if prefecture and stem.startswith(prefecture + "市"):  # 晋城市 and 晋城 are one stem
        stem = prefecture + stem[len(prefecture) + 1:]
    if places and place in places.counties:
        place = places.counties[place]
    return ParsedZone(
        place=place or None, province=province, prefecture=prefecture, type=zone_type, stem=stem,
        suffix=suffix, types=types, abbreviated=bool(row and row.short), level=level,
    )


def _split_prefecture(stem: str, places: _Places | None) -> tuple[str | None, str]:
    prefecture = places.prefecture_of(stem) if places else None
    if prefecture:
        rest = stem[len(prefecture):].removeprefix("市")
        if len(rest) == 1:  # 天津港: one character is no place of its own
            return None, stem
        return prefecture, rest or prefecture
    if stem.endswith("市") and len(stem) >= 3:
        return stem[:-1], stem[:-1]
    generic = _GENERIC_CITY.match(stem)
    if generic:
        return generic.group(1), generic.group(2)
    return None, stem


# --- the index of a catalog ---------------------------------------------------

@dataclass(frozen=True)
class _Indexed:
    entry: CatalogEntry
    parsed: ParsedZone
    city: str | None
    local: str | None  # the place without its county's name, when it starts with one


class _Index:
    def __init__(self, catalog: Catalog) -> None:
        self.places = _Places(catalog.entries)
        self.by_place: dict[str, list[_Indexed]] = {}
        self.by_city: dict[str, list[_Indexed]] = {}
        self.by_name: dict[str, list[_Indexed]] = {}
        for entry in catalog.entries:
            parsed = parse_zone_name(entry.official_name, self.places)
            item = _Indexed(entry, parsed, entry.city or parsed.prefecture, self.places.local(parsed.place))
            for key in {parsed.place, parsed.stem, item.local} - {None, ""}:
                self.by_place.setdefault(key, []).append(item)
            if item.city:
                self.by_city.setdefault(item.city, []).append(item)
            self.by_name.setdefault(_name_key(entry.official_name), []).append(item)


_INDEXES: weakref.WeakKeyDictionary[Catalog, _Index] = weakref.WeakKeyDictionary()


def _index(catalog: Catalog) -> _Index:
    index = _INDEXES.get(catalog)
    if index is None:
        index = _INDEXES[catalog] = _Index(catalog)
    return index


def _name_key(name: str) -> str:
    text = _fold(name)
    text = text[m.end():] if (m := _LEVEL_RE.match(text)) else text
    rest, _ = _strip_province(text)
    if rest in ALIASES:
        rest, _ = _strip_province(ALIASES[rest])
    return rest


# --- scoring ---------------------------------------------------------------------

def _type_score(mention: ParsedZone, zone_type: str | None, item: _Indexed) -> float:
    entry_type, entry_suffix = item.entry.type, item.parsed.suffix
    bare = (row := _SUFFIXES.get(mention.suffix or "")) is not None and row.bare
    if bare or mention.type is None:
        wanted = zone_type if zone_type and zone_type != "其他" else None
        if wanted:
            return 0.9 if wanted == entry_type else 0.75 if _FAMILY.get(wanted, 1) == _FAMILY.get(entry_type) else 0.0
        if mention.suffix == "示范区":
            return 0.7 if entry_suffix and entry_suffix.endswith("示范区") else 0.0
        return 0.6 if mention.suffix == "开发区" and entry_type != "综合保税区" else 0.0
    if mention.type == "其他":
        return 1.0 if entry_type == "其他" and mention.suffix == entry_suffix else 0.0
    if len(mention.types) > 1:  # 经开区: either level's name, equally
        return 0.9 if entry_type in mention.types else 0.0
    if mention.type == entry_type:
        return 1.0
    # provincial zones call themselves 经济技术开发区 too, and national ones get called 经济开发区
    return 0.85 if _FAMILY.get(mention.type, 1) == _FAMILY.get(entry_type) else 0.0


def _place_score(mention: ParsedZone, local: str | None, item: _Indexed) -> float:
    if mention.stem and mention.stem == item.parsed.stem:
        return 1.0
    if mention.place and mention.place == item.parsed.place:
        return 0.95
    if mention.place and (mention.place == item.local or local and local in (item.parsed.place, item.local)):
        return 0.9  # 杏花村 for 汾阳杏花村: the same place with or without its county's name
    if mention.place and mention.place == item.city and item.parsed.place != item.city:
        return 0.65  # 太原综保区 for 太原武宿综合保税区: the city names a zone called after a district
    return 0.0


def _score(mention: ParsedZone, local: str | None, item: _Indexed, zone_type: str | None, city: str | None,
           level: str | None) -> float:
    score = _place_score(mention, local, item)
    if score:
        score *= _type_score(mention, zone_type, item)
    if not score:
        return 0.0
    entry = item.entry
    if mention.province and entry.province and mention.province != entry.province:
        score *= 0.3
    if city and item.city and city_of(city) != item.city and city_of(city) != item.parsed.place:
        score *= 0.5
    wanted_level = mention.level or level
    if wanted_level and entry.level and wanted_level != entry.level:
        score *= 0.8
    return score


def _candidate(item: _Indexed, score: float) -> dict[str, Any]:
    entry = item.entry
    return {"catalog_code": entry.code, "official_name": entry.official_name, "level": entry.level,
            "province": entry.province, "city": item.city, "type": entry.type, "score": round(score, 3)}


def link_zone(
    mention: str,
    canonical: str | None,
    catalog: Catalog,
    *,
    zone_type: str | None = None,
    city: str | None = None,
    level: str | None = None,
) -> ZoneLink:
    """Return the catalog entry ``mention`` (or its ``canonical`` name) refers to, as a :class:`ZoneLink`.

    The link carries the entry's code, official name, level, province, city and
    a score in (0, 1]. When no entry scores :data:`MIN_SCORE` the link is empty;
    when the two best are within :data:`MARGIN` it is empty too and
    ``candidates`` lists them with their scores. ``zone_type``, ``city`` and
    ``level`` (what extraction found) break ties and fill in bare names.
    """
    index = _index(catalog)
    names = [n for n in dict.fromkeys([canonical, mention]) if n and n.strip()]
    parsed = [parse_zone_name(n, index.places) for n in names]
    scores: dict[str, tuple[float, _Indexed]] = {}

    def offer(item: _Indexed, score: float) -> None:
        if score > scores.get(item.entry.code, (0.0, item))[0]:
            scores[item.entry.code] = (score, item)

    for name, parts in zip(names, parsed):
        for item in index.by_name.get(_name_key(name), ()):
            offer(item, 1.0 if not parts.province or parts.province == item.entry.province else 0.5)
        local = index.places.local(parts.place)
        pool = index.by_place.get(parts.place or "", []) + index.by_place.get(parts.stem, [])
        pool += index.by_place.get(local or "", []) + index.by_city.get(parts.place or "", [])
        for item in pool:
            offer(item, _score(parts, local, item, zone_type, city, level))
    first = next((p for p in parsed if p.place), parsed[0] if parsed else None)
    place = first.place if first else None
    parsed_type = first.type if first and first.type not in (None, "其他") else zone_type or (first and first.type)
    ranked = sorted((v for v in scores.values() if v[0] >= MIN_SCORE), key=lambda v: (-v[0], v[1].entry.code))
    if not ranked:
        return ZoneLink(place=place, type=parsed_type)
    if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < MARGIN:
        close = [_candidate(item, s) for s, item in ranked if ranked[0][0] - s < MARGIN]
        return ZoneLink(candidates=close, place=place, type=parsed_type)
    score, item = ranked[0]
    entry = item.entry
    return ZoneLink(
        catalog_code=entry.code, official_name=entry.official_name, level=entry.level,
        province=entry.province, city=item.city, link_score=round(score, 3), place=place, type=parsed_type,
    )


def annotate_zones(zone_dicts: list[dict[str, Any]], catalog: Catalog) -> None:
    """Add catalog_code, official_name, link_score, place (and link_candidates when ambiguous) to each zone.

    A linked zone also takes its level, province and city from the catalog; an
    unlinked one keeps what extraction found. Changes the dicts in place.
    """
    for zone in zone_dicts:
        link = link_zone(
            zone.get("mention") or "", zone.get("canonical"), catalog,
            zone_type=zone.get("type"), city=zone.get("city"), level=zone.get("level"),
        )
        zone["catalog_code"] = link.catalog_code
        zone["official_name"] = link.official_name
        zone["link_score"] = link.link_score
        zone["place"] = link.place
        for key in ("level", "province", "city"):
            if link.linked:
                zone[key] = getattr(link, key)
            else:
                zone.setdefault(key, None)
        if link.candidates:
            zone["link_candidates"] = link.candidates
        else:
            zone.pop("link_candidates", None)
