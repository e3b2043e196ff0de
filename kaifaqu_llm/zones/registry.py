"""The zone registry: one profile per development zone, merged across articles and pages.

Article records (lines of ``OUT/profiles.jsonl``) each name zones in their own
words: 晋城经开区 on one page, 晋城经济技术开发区 on the next. :func:`zone_name`
reduces a name (cut by the shared parser, zones.names.parse_name) to a *place stem* and a *zone type*, so that both become
(晋城, 经济技术开发区). Mentions are then grouped with a union-find: an article's
``mention`` and ``canonical`` are one zone, equal keys are one zone, equal
``catalog_code`` is one zone.

Facts of an article are attributed to its primary zone(s) — to its first zone
when none is primary — and facts with the same key (e.g. an indicator's name,
value, unit and period) are merged, keeping every occurrence's provenance.
Articles naming no zone go to an ``unassigned`` bucket, reported, not dropped.

The registry is built in two passes over the records and holds only the
grouping (one entry per distinct name) and a few votes per zone in memory:
sources, mentions and facts are spilled to SQLite (zones.spill) and each
zone's line is streamed from there, so ``zones.jsonl`` costs the same memory
for 4 MB of pages as for 64 MB.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import input_error
from ..core.facts import zone_fact_kinds
from ..ground.counted import counted_records
from ..outputs.files import PROFILES_FILE, atomic_write_text, read_profiles
from .names import REGISTRY, fold_name, parse_name, province_prefix
from ..outputs.files import atomic_write_pieces
from .spill import ZoneStore, dump_streamed, key_text, remove_stale_spills

__all__ = ["ZoneName", "zone_name", "build_registry", "write_registry", "write_zones", "read_registry", "UNASSIGNED"]

UNASSIGNED = "unassigned"
CATALOG_KEYS = ("catalog_code", "official_name", "level", "province", "city", "link_score")
PROVENANCE = ("source", "article_index", "start", "end", "evidence", "grounded")

_CITY_PREFIX = re.compile(r"^(.{2,4}?)市")


@dataclass(frozen=True)
class ZoneName:
    """A zone name reduced for matching: place ``stem`` and the zone ``types`` its suffix allows.

    ``types`` is empty when the name has no zone-type suffix; its first item is
    the usual reading of the suffix (经开区 → 经济技术开发区).
    """

    stem: str
    types: tuple[str, ...]

    @property
    def type(self) -> str | None:
        """The usual zone type of the name, or None when the suffix says nothing."""
        return self.types[0] if self.types else None


def _fold(text: str | None) -> str:
    return fold_name(text or "")


def _strip_place(stem: str, places: tuple[str, ...]) -> str:
    """Drop leading province / city words while what remains is still a name (≥ 2 chars)."""
    known = tuple(sorted({p + t for p in places if p for t in ("市", "省", "")}, key=len, reverse=True))
    changed = True
    while changed:
        changed = False
        for prefix in known:
            if stem.startswith(prefix) and len(stem) - len(prefix) >= 2:
                stem, changed = stem[len(prefix):], True
                break
        if not changed and (province := province_prefix(stem, min_rest=2, any_tail=True)):
            stem, changed = stem[len(province[0]):], True
        if not changed:
            match = _CITY_PREFIX.match(stem)
            if match and len(stem) - match.end() >= 2:
                stem, changed = stem[match.end():], True
    return stem


def zone_name(name: str, places: Iterable[str] = ()) -> ZoneName:
    """Return the matching key of a zone name: its place stem and possible zone types.

    ``places`` are city / province names known for the zone; a leading one is
    stripped like 山西省 or 运城市 are, as long as a stem of two or more
    characters remains (山西综改区 keeps 山西: nothing would be left otherwise).
    """
    return _zone_name(_fold(name), tuple(p for p in places if p))


@functools.lru_cache(maxsize=65536)
def _zone_name(folded: str, places: tuple[str, ...]) -> ZoneName:
    parsed = parse_name(folded, REGISTRY)  # the shared parser: level, province (or alias), suffix
    stem = parsed.stem if len(parsed.stem) >= 2 else parsed.body  # 山西综改区 keeps 山西
    return ZoneName(_strip_place(stem, places), parsed.types)


class _Groups:
    """Union-find over hashable keys."""

    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, key):
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _name_keys(zone: dict) -> list[tuple]:
    places = [zone.get("city"), zone.get("province")]
    keys = []
    for name in (zone.get("canonical"), zone.get("mention"), zone.get("official_name")):
        if not name or not _fold(name):
            continue
        parsed = zone_name(name, [p for p in places if p])
        declared = zone.get("type") if zone.get("type") not in (None, "其他") else None
        if len(parsed.types) > 1 and declared in parsed.types:
            zone_type = declared  # the extractor resolved an ambiguous 经开区
        else:
            zone_type = parsed.type or declared
        keys.append(("name", parsed.stem, zone_type, parsed.types))
    return keys


def _resolve_loose_keys(keys: set[tuple], groups: _Groups) -> None:
    """Attach keys that are incomplete on their own to the one zone they can mean.

    A bare abbreviation (综改区: empty stem) joins the only zone of its type; an
    ambiguous suffix (经开区, 开发区) or a name without suffix joins the only zone
    with the same stem and a compatible type.
    """
    full = [k for k in keys if k[1] and k[2]]
    for key in keys:
        _, stem, zone_type, types = key
        if not stem:
            matches = {groups.find(k) for k in full if k[2] == zone_type}
        elif len(types) != 1:
            allowed = set(types) or None
            matches = {groups.find(k) for k in full if k[1] == stem and k != key
                       and (allowed is None or k[2] in allowed)}
        else:
            continue
        if len(matches) == 1:
            groups.union(key, matches.pop())


def _vote(values: Iterable) -> object:
    return _top(Counter(v for v in values if v not in (None, "", "其他")))


def _top(counts: Counter) -> object:
    return counts.most_common(1)[0][0] if counts else None  # ties: the value seen first


def _provenance(record: dict, fact: dict) -> dict:
    out = {"source": record.get("source"), "article_index": record.get("article_index")}
    out.update({k: fact.get(k) for k in PROVENANCE[2:]})
    return out


def _zone_id(members: list[tuple]) -> str:
    codes = sorted(k[1] for k in members if k[0] == "catalog")
    if codes:
        return codes[0]
    names = sorted(f"{k[1]}|{k[2]}" for k in members if k[0] == "name")
    return "z" + hashlib.sha1(names[0].encode("utf-8")).hexdigest()[:10]


def _new_zone(zone_id: str) -> dict:
    zone = {"zone_id": zone_id, "canonical": None, "type": None, "aliases": [], "city": None,
            "province": None, "level": None, "sources": [], "mentions": []}
    zone.update({kind.name: [] for kind in zone_fact_kinds()})
    return zone


def _mention_keys(mention: dict) -> list[tuple]:
    keys = _name_keys(mention)
    return keys + [("catalog", str(mention["catalog_code"]))] if mention.get("catalog_code") else keys


class _Grouping:
    """Pass 1 over the records: which mentions are one zone (a union-find over their keys), and each zone's id.

    Holds one entry per distinct zone name or catalog code, not per article.
    """

    def __init__(self, records: Iterable[dict]) -> None:
        groups = _Groups()
        all_keys: set[tuple] = set()
        for record in records:
            for zone in record.get("zones") or []:
                keys = _mention_keys(zone)
                all_keys.update(keys)
                for key in keys[1:]:
                    groups.union(keys[0], key)
        _resolve_loose_keys({k for k in all_keys if k[0] == "name"}, groups)
        members: dict = {}
        for key in all_keys:
            members.setdefault(groups.find(key), []).append(key)
        self.members = {_zone_id(keys): keys for keys in members.values()}
        self._ids = {key: zone_id for zone_id, keys in self.members.items() for key in keys}
        self._by_name = {k[1:3]: k for k in sorted(all_keys, key=str) if k[0] == "name"}

    def zone_of(self, mention: dict) -> str | None:
        """Return the id of the zone a mention (or ``{"mention": name}``) names, None when it names none."""
        for key in _mention_keys(mention):
            key = key if key in self._ids else self._by_name.get(key[1:3])
            if key is not None:
                return self._ids[key]
        return None


class _Mentions:
    """What naming a zone needs of its mentions, gathered one mention at a time (votes and distinct names)."""

    def __init__(self) -> None:
        self.linked: dict | None = None
        self.canonicals: Counter = Counter()
        self.longest: str | None = None
        self.votes = {key: Counter() for key in ("type", "city", "province", "level")}
        self.names: set = set()
        self.catalog_seen = False

    def add(self, mention: dict) -> None:
        """Count one mention (with its provenance) of the zone."""
        if mention.get("catalog_code") and (self.linked is None or (mention.get("link_score") or 0)
                                            > (self.linked.get("link_score") or 0)):
            self.linked = mention
        if mention.get("canonical"):
            self.canonicals[mention["canonical"]] += 1
        text = mention.get("mention") or ""
        if self.longest is None or len(text) > len(self.longest):
            self.longest = text  # the full form, when no canonical
        for key, votes in self.votes.items():
            if mention.get(key) not in (None, "", "其他"):
                votes[mention[key]] += 1
        self.names.update(mention.get(k) for k in ("mention", "canonical"))
        self.catalog_seen = self.catalog_seen or "catalog_code" in mention


def _describe(zone: dict, members: list[tuple], seen: _Mentions) -> None:
    """Fill the zone's name, type, place and catalog keys from its mentions."""
    linked, canonicals = seen.linked, seen.canonicals
    best = max(canonicals, key=lambda n: (canonicals[n], len(n)), default=None) if canonicals else None
    zone["canonical"] = (linked or {}).get("official_name") or best or seen.longest or None
    name_types = [k[2] for k in members if k[0] == "name"]
    official = zone_name(linked["official_name"]).types if linked and linked.get("official_name") else ()
    # the catalog's official name is authoritative about the type (运城经开区 may be a 经济开发区)
    zone["type"] = (official[0] if len(official) == 1 else None) or _top(seen.votes["type"]) \
        or _vote(name_types) or "其他"
    for key in ("city", "province", "level"):
        zone[key] = (linked or {}).get(key) or _top(seen.votes[key])
    if linked:
        for key in CATALOG_KEYS:
            zone[key] = linked.get(key)
    elif seen.catalog_seen:
        zone.update({"catalog_code": None, "official_name": None, "link_score": None})
    zone["aliases"] = sorted({n for n in seen.names if n and n != zone["canonical"]})


def _attribute(records: Iterable[dict], grouping: _Grouping, store: ZoneStore) -> dict[str, _Mentions]:
    """Pass 2: spill each article's sources, mentions and facts to their zones; return the zones' mentions, in
    the order the zones were first named."""
    kinds = zone_fact_kinds()
    named_by: dict[str, _Mentions] = {}
    for record in records:
        article = {"source": record.get("source"), "article_index": record.get("article_index")}
        mentioned = [(m, z) for m in record.get("zones") or [] if (z := grouping.zone_of(m)) is not None]
        for mention, zone_id in mentioned:
            full = {**mention, **_provenance(record, mention)}
            named_by.setdefault(zone_id, _Mentions()).add(full)
            store.add_mention(zone_id, full)
            store.add_source(zone_id, article, bool(mention.get("primary")))
        if not mentioned:
            store.add_source(UNASSIGNED, article, False, merge=False)
        # Facts go to the article's primary zone(s), to its first zone when none is primary.
        primary = [z for m, z in mentioned if m.get("primary")] or [z for _, z in mentioned[:1]]
        owners = list(dict.fromkeys(primary)) or [UNASSIGNED]
        named = {z for _, z in mentioned}
        for kind in kinds:
            for fact in record.get(kind.name) or []:
                where = _provenance(record, fact)
                # An indicator whose subject is another zone of the article belongs to that zone.
                about = grouping.zone_of({"mention": fact["subject"]}) if fact.get("subject") else None
                for owner in [about] if about in named else owners:
                    store.add_fact(owner, kind.name, key_text(kind.key(fact)), fact, where)
    return named_by


def _zone_lines(records: Iterable[dict], spill: str | os.PathLike[str] | None) -> Iterator[Iterator[str]]:
    """Yield each zone of the registry as the pieces of its ``zones.jsonl`` line (with the newline)."""
    grouping = _Grouping(records)
    with ZoneStore(spill) as store:
        named_by = _attribute(records, grouping, store)
        counts = store.source_counts()
        heads = []
        for zone_id, seen in named_by.items():
            head = _new_zone(zone_id)
            _describe(head, grouping.members[zone_id], seen)
            heads.append(head)
        heads.sort(key=lambda z: (-counts.get(z["zone_id"], 0), z["canonical"] or ""))
        if counts.get(UNASSIGNED):
            heads.append({**_new_zone(UNASSIGNED), "unassigned": True})
        kinds = [kind.name for kind in zone_fact_kinds()]
        for head in heads:
            zone_id = head["zone_id"]
            lists = {"sources": store.sources(zone_id), "mentions": store.mentions(zone_id),
                     **{kind: store.facts(zone_id, kind) for kind in kinds}}
            yield itertools.chain(dump_streamed(head, lists), "\n")


def build_registry(records: Iterable[dict], *, keep_ungrounded: bool = False) -> list[dict]:
    """Return one merged profile per zone, plus a final ``unassigned`` bucket when needed.

    Each zone dict holds ``zone_id`` (the catalog code when linked, else a stable
    hash of its stem and type), ``canonical``, ``type``, ``aliases``, ``city``,
    ``province``, ``level``, catalog keys when the records carry them,
    ``sources`` (articles naming it, with ``primary``), ``mentions`` and the
    merged fact lists; every fact keeps ``source``, ``article_index``, ``start``,
    ``end``, ``evidence``, ``grounded`` of its first occurrence and lists all
    occurrences in ``occurrences``. Zones are ordered by article count, then name.
    The list holds every zone whole: :func:`write_registry` writes ``zones.jsonl`` without that.
    Only grounded facts and zone mentions count (ground.counted) unless ``keep_ungrounded``:
    a zone named only by ungrounded mentions is no zone.
    """
    records = counted_records(records, keep_ungrounded)
    if iter(records) is records:  # a one-shot iterator; a re-iterable (records read from a file) is read twice
        records = list(records)
    return [json.loads("".join(pieces)) for pieces in _zone_lines(records, None)]


def write_registry(out_dir: str | Path, records: Iterable[dict], *, keep_ungrounded: bool = False) -> Path:
    """Build the registry of ``records`` and write it to ``OUT/zones.jsonl``, zone by zone; return its path.

    Writes what ``write_zones(out_dir, build_registry(records))`` writes, but
    the zones' sources, mentions and facts wait in a temporary SQLite file in
    ``out_dir`` instead of memory: memory follows the number of distinct zone
    names, not of articles. ``records`` is read twice when it is re-iterable.
    Ungrounded facts are left out unless ``keep_ungrounded``, as in :func:`build_registry`.
    """
    records = counted_records(records, keep_ungrounded)
    if iter(records) is records:
        records = list(records)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_spills(out)
    pieces = itertools.chain.from_iterable(_zone_lines(records, out))
    return atomic_write_pieces(out / "zones.jsonl", pieces)


def write_zones(out_dir: str | Path, registry: list[dict]) -> Path:
    """Write the registry to ``OUT/zones.jsonl`` (one zone a line, atomically) and return its path."""
    path = Path(out_dir) / "zones.jsonl"
    text = "".join(json.dumps(zone, ensure_ascii=False) + "\n" for zone in registry)
    atomic_write_text(path, text)
    return path


def read_registry(out_dir: str | Path, *, keep_ungrounded: bool = False) -> list[dict]:
    """Return the zone registry of an output folder, built from ``profiles.jsonl`` (its ungrounded facts
    counted only with ``keep_ungrounded``).

    Falls back to ``zones.jsonl`` when there is no ``profiles.jsonl``; raises
    :class:`~kaifaqu_llm.InputError` naming the folder when neither is there.
    """
    out = Path(out_dir)
    if (out / PROFILES_FILE).is_file():
        return build_registry(read_profiles(out / PROFILES_FILE), keep_ungrounded=keep_ungrounded)
    if (out / "zones.jsonl").is_file():
        lines = (out / "zones.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    raise input_error(out, "no profiles.jsonl or zones.jsonl in this folder")
