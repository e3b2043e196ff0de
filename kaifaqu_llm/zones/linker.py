"""Linking a zone mention (晋城经开区, 武宿综保区…) to its official catalog entry.

A zone name is [level] [province] [prefecture] place + type suffix. Both the
mention and every catalog name are cut that way by the same rules
(zones.names.parse_name, then here): the level (国家级/省级) and province
prefixes (山西省 / 山西) are dropped, a prefecture prefix (运城 / 运城市) is split
off using the gazetteer's prefectures (zones.places), and the suffix is expanded
(经开区 → 经济技术开发区 or 经济开发区, 高新区 → 高新技术产业开发区, 综保区 →
综合保税区, 综改区 → 山西转型综合改革示范区). Entries are then matched on place +
type and scored; a clear best entry is a link. Near-equal entries, and an entry
matched only in part (same place but another type, as after a renaming; the
place without its county's name; a loose 产业园), are returned as candidates with
a reason; a zone the catalog does not list (approved after 2018) stays unlinked
with its parsed place and type. Every zone also gets the province and city its
place implies (zones.places.zone_place).
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .catalog import Catalog, CatalogEntry, city_of
from .names import ALIASES, JINGKAI, LINKER, OTHER, ZoneName, clean_name, parse_name, short_province, suffixes_for
from .places import division_names, zone_place

__all__ = ["ParsedZone", "ZoneLink", "parse_zone_name", "link_zone", "annotate_zones", "zone_place",
           "MIN_SCORE", "MARGIN"]

MIN_SCORE = 0.6  # below this a candidate is not a link
MARGIN = 0.1  # a best candidate closer than this to the runner-up is ambiguous

_SUFFIXES = suffixes_for(LINKER)
_FAMILY = dict.fromkeys(JINGKAI, "经开")  # level-ambiguous names of one kind of zone
_GENERIC_CITY = re.compile(r"^(.{2,4}?)市(.{2,})$")


class ParsedZone(NamedTuple):
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
    """Prefecture and county names (the gazetteer's and a catalog's) to split 运城盐湖 into 运城 + 盐湖."""

    def __init__(self, entries: tuple[CatalogEntry, ...] = ()) -> None:
        # short forms only: 运城市盐湖 is 运城 + 市 + 盐湖
        self.prefectures = set(division_names("prefecture").values()) | {
            c for e in entries if (c := city_of(e.prefecture))}
        counties = division_names("county", "county_city")
        self.counties = {full: short for full, short in counties.items() if len(full) >= 3 and full[-1] in "区县旗"}
        for entry in entries:
            county = entry.county or ""
            if len(county) >= 3 and county[-1] in "区县旗":
                self.counties.setdefault(county, county[:-1])
        self.county_stems = {short for short in counties.values() if len(short) >= 2}
        self.county_stems |= {c[:-1] for e in entries if len(c := e.county or "") >= 3}
        self._longest = max(map(len, self.prefectures), default=0)
        self._longest_county = max(map(len, self.county_stems), default=0)

    def prefecture_of(self, stem: str) -> str | None:
        """Return the longest known prefecture ``stem`` starts with, or None."""
        return next((stem[:k] for k in range(min(len(stem), self._longest), 1, -1) if stem[:k] in self.prefectures),
                    None)

    def local(self, place: str | None) -> str | None:
        """Return ``place`` without a leading county name (汾阳杏花村 → 杏花村), or None."""
        for k in range(min(len(place or "") - 2, self._longest_county), 1, -1):
            if place[:k] in self.county_stems:
                return place[k:]
        return None


def parse_zone_name(name: str, places: _Places | None = None) -> ParsedZone:
    """Return the parts of a zone name: place, province, prefecture, type and stem.

    The name is cut by :func:`zones.names.parse_name` (level, province, suffix);
    ``places`` (a catalog index's gazetteer) lets a prefecture written without 市
    be split off (运城盐湖 → 运城 + 盐湖); without it only ``X市`` prefixes are.
    """
    return _parsed(parse_name(name, LINKER), places)


def _parsed(name: ZoneName, places: _Places | None) -> ParsedZone:
    stem = name.stem
    if not stem and name.province:  # 山西转型综合改革示范区: the province is the place
        stem = short_province(name.province)
    row = name.suffix
    zone_type = name.type
    # a kind the catalog lists on its own, or a bare 开发区, is matched on its suffix text ("其他")
    types = row.types if row is not None and zone_type != OTHER else (OTHER,) if row is not None else ()
    prefecture, place = _split_prefecture(stem, places)
    if prefecture and stem.startswith(prefecture + "市"):  # 晋城市 and 晋城 are one stem
        stem = prefecture + stem[len(prefecture) + 1:]
    if places and place in places.counties:
        place = places.counties[place]
    return ParsedZone(
        place=place or None, province=name.province, prefecture=prefecture, type=zone_type, stem=stem,
        suffix=row.text if row else None, types=types, abbreviated=bool(row and row.short),
        level=name.level if name.level != "市级" else None,
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

class _Indexed(NamedTuple):
    entry: CatalogEntry
    parsed: ParsedZone
    city: str | None
    local: str | None  # the place without its county's name, when it starts with one


class _Index:
    """A catalog's entries, found by the place, stem, city or name key of a mention.

    Parsing all 2,543 names up front would be most of the catalog's load time, so the
    index only maps every two-character piece of a name (and of its catalog city) to
    the entries holding it; a lookup parses the entries of its key's first piece once
    and keeps those whose parsed key equals it. Every key is a name's place, stem,
    county-less place, city or official name, all of which begin with a piece of the
    name (or of its city), so this finds what parsing everything would.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.places = _Places(catalog.entries)
        self.entries = catalog.entries
        self.by_piece: dict[str, list[int]] = {}
        for i, entry in enumerate(self.entries):
            text = clean_name(entry.official_name) + "|" + (city_of(entry.prefecture) or "")
            text += "".join("|" + full for short, full in ALIASES.items() if short in text)  # 综改区's 山西
            for piece in {text[j:j + 2] for j in range(len(text) - 1)}:
                self.by_piece.setdefault(piece, []).append(i)
        self._items: dict[int, tuple[_Indexed, str]] = {}

    def _item(self, i: int) -> tuple[_Indexed, str]:
        found = self._items.get(i)
        if found is None:
            entry = self.entries[i]
            name = parse_name(entry.official_name, LINKER)
            parsed = _parsed(name, self.places)
            city = (city_of(entry.prefecture) if entry.prefecture else None) or parsed.prefecture
            found = self._items[i] = (_Indexed(entry, parsed, city, self.places.local(parsed.place)), _key_of(name))
        return found

    def _near(self, key: str | None) -> list[tuple[_Indexed, str]]:
        if not key:
            return []
        ids = self.by_piece.get(key[:2], ()) if len(key) >= 2 else range(len(self.entries))
        return [self._item(i) for i in ids]

    def by_place(self, key: str | None) -> list[_Indexed]:
        """Return the entries whose place, stem or county-less place is ``key``."""
        return [item for item, _ in self._near(key) if key in (item.parsed.place, item.parsed.stem, item.local)]

    def by_city(self, key: str | None) -> list[_Indexed]:
        """Return the entries in the city ``key``."""
        return [item for item, _ in self._near(key) if item.city == key]

    def by_name(self, key: str) -> list[_Indexed]:
        """Return the entries whose official name, cut like a mention's, is ``key``."""
        return [item for item, name_key in self._near(key) if name_key == key]


_INDEXES: weakref.WeakKeyDictionary[Catalog, _Index] = weakref.WeakKeyDictionary()


def _index(catalog: Catalog) -> _Index:
    index = _INDEXES.get(catalog)
    if index is None:
        index = _INDEXES[catalog] = _Index(catalog)
    return index


def _key_of(name: ZoneName) -> str:
    return name.stem + (name.suffix.text if name.suffix else "")


# --- scoring ---------------------------------------------------------------------

_OTHER_TYPE = "same place, other type: {type} in the catalog (renamed or re-typed since?)"


def _type_score(mention: ParsedZone, zone_type: str | None, item: _Indexed) -> tuple[float, bool]:
    """Return how well the types agree and whether only their family does (the name says another type)."""
    entry_type, entry_suffix = item.entry.type, item.parsed.suffix
    bare = (row := _SUFFIXES.get(mention.suffix or "")) is not None and row.bare
    if bare or mention.type is None:
        wanted = zone_type if zone_type and zone_type != "其他" else None
        if wanted:
            if wanted == entry_type:
                return 0.9, False
            return (0.75, True) if _FAMILY.get(wanted, 1) == _FAMILY.get(entry_type) else (0.0, False)
        if mention.suffix == "示范区":
            return (0.7 if entry_suffix and entry_suffix.endswith("示范区") else 0.0), False
        return (0.6 if mention.suffix == "开发区" and entry_type != "综合保税区" else 0.0), False
    if mention.type == "其他":
        return (1.0 if entry_type == "其他" and mention.suffix == entry_suffix else 0.0), False
    if len(mention.types) > 1:  # 经开区: either level's name, equally
        return (0.9 if entry_type in mention.types else 0.0), False
    if mention.type in (entry_type, item.parsed.type):  # the notice's type or its name's (海南洋浦经济开发区)
        return 1.0, False
    # provincial zones call themselves 经济技术开发区 too (Shanxi renamed many after 2018): a candidate, not a link
    return (0.85, True) if _FAMILY.get(mention.type, 1) == _FAMILY.get(entry_type) else (0.0, False)


_LOCAL = "the name without its county's: {name} in the catalog"
_LOOSE = "{suffix} is a loose word, not a zone type: {name} in the catalog"


def _place_score(mention: ParsedZone, local: str | None, item: _Indexed) -> tuple[float, bool]:
    """Return how well the places agree and whether only without a county's name (a guess, not a link)."""
    if mention.stem and mention.stem == item.parsed.stem:
        return 1.0, False
    if mention.place and mention.place == item.parsed.place:
        return 0.95, False
    if mention.place and (mention.place == item.local or local and local in (item.parsed.place, item.local)):
        # 杏花村 for 汾阳杏花村, but also 中俄 for 满洲里中俄: the same words, perhaps not the same county
        return 0.9, True
    if mention.place and mention.place == item.city and item.parsed.place != item.city:
        return 0.65, False  # 太原综保区 for 太原武宿综合保税区: the city names a zone called after a district
    return 0.0, False


def _score(mention: ParsedZone, local: str | None, item: _Indexed, zone_type: str | None, city: str | None,
           level: str | None) -> tuple[float, str | None]:
    """Return the score of ``item`` for ``mention`` and, when the types differ, why it is no link."""
    score, partial = _place_score(mention, local, item)
    other_type = False
    if score:
        type_score, other_type = _type_score(mention, zone_type, item)
        score *= type_score
    if not score:
        return 0.0, None
    entry = item.entry
    if mention.province and entry.province and mention.province != entry.province:
        score *= 0.3
    same_city = bool(city and item.city and city_of(city) == item.city)
    if city and item.city and not same_city and city_of(city) != item.parsed.place:
        score *= 0.5
    wanted_level = mention.level or level
    if wanted_level and entry.level and wanted_level != entry.level:
        score *= 0.8
    if other_type:
        return score, _OTHER_TYPE.format(type=entry.type)
    if partial and not same_city:
        return score, _LOCAL.format(name=entry.official_name)
    if (row := _SUFFIXES.get(mention.suffix or "")) is not None and row.loose and mention.suffix != item.parsed.suffix:
        return score, _LOOSE.format(suffix=mention.suffix, name=entry.official_name)
    return score, None


def _entry_city(item: _Indexed) -> str | None:
    """The city of an entry as zone records write it: what its name's place implies, else the catalog's."""
    return zone_place(item.entry.official_name, item.entry.province)[1] or item.city


def _candidate(item: _Indexed, score: float, reason: str | None) -> dict[str, Any]:
    entry = item.entry
    return {"catalog_code": entry.code, "official_name": entry.official_name, "level": entry.level,
            "province": entry.province, "city": _entry_city(item), "type": entry.type, "score": round(score, 3),
            "reason": reason}


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
    when the two best are within :data:`MARGIN`, or the best matches by place but
    names another type (a zone renamed since the catalog), it is empty too and
    ``candidates`` lists them with their scores and the reason. ``zone_type``,
    ``city`` and ``level`` (what extraction found) break ties and fill in bare names.
    """
    index = _index(catalog)
    names = [n for n in dict.fromkeys([canonical, mention]) if n and n.strip()]
    parsed = [parse_zone_name(n, index.places) for n in names]
    scores: dict[str, tuple[float, _Indexed, str | None]] = {}

    def offer(item: _Indexed, score: float, reason: str | None = None) -> None:
        # a type one name writes against the entry's stays a reason even when another name (经开区) fits it
        best, _, why = scores.get(item.entry.code, (0.0, item, None))
        if score >= MIN_SCORE or score > best:
            scores[item.entry.code] = (max(score, best), item, why or (reason if score >= MIN_SCORE else None))

    exact: set[str] = set()  # entries a name matches in full: its official name says the type the mention writes
    for name, parts in zip(names, parsed):
        for item in index.by_name(_key_of(parse_name(name, LINKER))):
            offer(item, 1.0 if not parts.province or parts.province == item.entry.province else 0.5)
            exact.add(item.entry.code)
        local = index.places.local(parts.place)
        pool = index.by_place(parts.place) + index.by_place(parts.stem)
        pool += index.by_place(local) + index.by_city(parts.place)
        for item in pool:
            offer(item, *_score(parts, local, item, zone_type, city, level))
    first = next((p for p in parsed if p.place), parsed[0] if parsed else None)
    place = first.place if first else None
    parsed_type = first.type if first and first.type not in (None, "其他") else zone_type or (first and first.type)
    ranked = sorted(((sc, it, None if it.entry.code in exact else why) for sc, it, why in scores.values()
                     if sc >= MIN_SCORE), key=lambda v: (-v[0], v[1].entry.code))
    if not ranked:
        return ZoneLink(place=place, type=parsed_type)
    best, item, reason = ranked[0]
    if reason or len(ranked) > 1 and best - ranked[1][0] < MARGIN:
        close = [_candidate(i, s, r) for s, i, r in ranked if best - s < MARGIN]
        return ZoneLink(candidates=close, place=place, type=parsed_type)
    entry = item.entry
    return ZoneLink(
        catalog_code=entry.code, official_name=entry.official_name, level=entry.level,
        province=entry.province, city=_entry_city(item), link_score=round(best, 3), place=place, type=parsed_type,
    )


def annotate_zones(zone_dicts: list[dict[str, Any]], catalog: Catalog | None = None) -> None:
    """Add catalog_code, official_name, link_score, place (and link_candidates when ambiguous) to each zone.

    A linked zone also takes its level, province and city from the catalog; an
    unlinked one keeps what extraction found and, where that is empty, gets the
    province and city its name's place implies (:func:`zone_place`). Without a
    catalog only the places are filled. Changes the dicts in place.
    """
    for zone in zone_dicts:
        mention, canonical = zone.get("mention") or "", zone.get("canonical")
        link = ZoneLink()
        if catalog is not None:
            link = link_zone(mention, canonical, catalog, zone_type=zone.get("type"), city=zone.get("city"),
                             level=zone.get("level"))
            zone["catalog_code"] = link.catalog_code
            zone["official_name"] = link.official_name
            zone["link_score"] = link.link_score
            zone["place"] = link.place
        if link.linked:
            for key in ("level", "province", "city"):
                zone[key] = getattr(link, key)
        else:
            zone.setdefault("level", None)
            implied = [zone_place(n) for n in (canonical, mention) if n]
            for key, i in (("province", 0), ("city", 1)):
                zone[key] = zone.get(key) or next((p[i] for p in implied if p[i]), None)
        if link.candidates:
            zone["link_candidates"] = link.candidates
        else:
            zone.pop("link_candidates", None)
