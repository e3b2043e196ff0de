"""What a development-zone name is made of: [level] [province] stem + type suffix; the one zone-name parser.

One table, :data:`SUFFIXES`, says for every written zone suffix (经济技术开发区,
经开区, 高新区, 综保区, 产业园…) which zone types it may stand for and how loosely
it is used. Three readers use it, each seeing the rows marked for it:

- ``RULES``: the rules backend finding zone names in running text (_rules_zones);
- ``REGISTRY``: the registry merging one zone's names across articles (_registry);
- ``LINKER``: the linker matching a name to the official catalog (_linker).

A suffix a reader does not see stays in the name's stem for that reader. Rows
read by only some readers keep each reader's results as they were before the
table was shared: widening a row's ``readers`` changes that reader's output.
Province names and the folding of a name into a matching copy live here too, and
:func:`parse_name`, the one parser that cuts a name into level, province, stem and
suffix for all three readers (the linker splits the stem further into prefecture
and place with zones.places; the registry strips place words its records know).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "ZoneSuffix", "SUFFIXES", "RULES", "REGISTRY", "LINKER", "JINGKAI", "OTHER",
    "suffixes_for", "split_suffix", "suffix_pattern",
    "PROVINCES", "short_province", "province_prefix", "fold_name", "ZoneName", "parse_name", "clean_name", "ALIASES",
]

RULES, REGISTRY, LINKER = "rules", "registry", "linker"
_ALL = frozenset({RULES, REGISTRY, LINKER})
OTHER = "其他"  # the zone type of a name whose kind is not one of ours

_HIGH_TECH = ("高新技术产业开发区",)
_INDUSTRIAL = ("工业园区",)
_REFORM = ("综合改革示范区",)
_BONDED = ("综合保税区",)
_FREE_TRADE = "自由贸易试验区"
# a national zone is a 经济技术开发区, a provincial one a 经济开发区; 经开区 may be either
JINGKAI = ("经济技术开发区", "经济开发区")

# zone type → the kind of zone the rules backend groups mentions by
_FAMILY = {
    "高新技术产业开发区": "高新", "经济技术开发区": "开发", "经济开发区": "开发", "综合改革示范区": "示范",
    "生态文化旅游示范区": "示范", "综合保税区": "综保", "工业园区": "园",
}


@dataclass(frozen=True)
class ZoneSuffix:
    """One written zone suffix and how it may be read.

    ``types``: the zone types it may stand for, the usual reading first.
    ``short``: an abbreviation that names one kind of zone on its own (高新区, 综保区).
    ``bare``: a type word that does not say which kind of zone (开发区, 示范区).
    ``loose``: also used for things that are no zone's name (产业园, 园区).
    ``own_kind``: the catalog lists zones so named as a kind of their own (保税区, 出口加工区).
    ``alias``: the one zone the suffix names when written alone (综改区 → 山西转型综合改革示范区).
    ``park``: names a park that may be written right after the zone it lies in, a zone of its own
    (襄汾经济技术开发区|高端装备制造产业园).
    ``area``: names an area of the zone written right before it, the two making one name
    (自由贸易试验区崇左片区, 经济开发区兵团分区).
    ``readers``: the modules that read this suffix off a name.
    """

    text: str
    types: tuple[str, ...] = ()
    short: bool = False
    bare: bool = False
    loose: bool = False
    own_kind: bool = False
    alias: str | None = None
    park: bool = False
    area: bool = False
    readers: frozenset[str] = _ALL

    @property
    def full(self) -> bool:
        """True when the suffix is a complete type name: a mention with it vouches for its prefix."""
        return not (self.short or self.bare or self.loose)

    @property
    def type(self) -> str:
        """Return the zone type a mention with this suffix is read as (:data:`OTHER` for a bare word)."""
        return self.types[0] if self.types and not self.bare else OTHER

    @property
    def family(self) -> str | None:
        """Return the kind of zone the suffix names (开发, 高新, 示范, 综保, 园, or a type of its own), or None."""
        return _FAMILY.get(self.types[0], self.types[0]) if self.types else None


def _s(text: str, types: tuple[str, ...] = (), *, only: tuple[str, ...] = (), **flags: bool | str) -> ZoneSuffix:
    return ZoneSuffix(text, types, readers=frozenset(only) if only else _ALL, **flags)


_REFORM_ZONE = "山西转型综合改革示范区"
SUFFIXES: tuple[ZoneSuffix, ...] = (
    _s("高新技术产业开发区", _HIGH_TECH),
    _s("高新技术产业示范区", _HIGH_TECH, only=(RULES, LINKER)),
    _s("高新技术产业园区", _HIGH_TECH),
    _s("高新技术产业园", _HIGH_TECH),
    _s("高新技术开发区", _HIGH_TECH),
    _s("高新技术园区", _HIGH_TECH, only=(REGISTRY,)),
    _s("高技术产业开发区", _HIGH_TECH, only=(LINKER,)),
    _s("新技术产业开发区", _HIGH_TECH, only=(LINKER,)),
    _s("新技术开发区", _HIGH_TECH, only=(LINKER,)),
    _s("高新园区", _HIGH_TECH, short=True, only=(REGISTRY,)),
    _s("高新区", _HIGH_TECH, short=True),
    _s("经济技术开发区", JINGKAI[:1]),
    _s("经济开发区", JINGKAI[1:]),
    _s("经开区", JINGKAI, short=True),
    # bare for extraction and linking; the registry reads it as either 经开 type to merge with a named zone
    _s("开发区", JINGKAI, bare=True),
    _s("生态文化旅游示范区", ("生态文化旅游示范区",)),
    # the rules backend cuts 山西转型|综合改革示范区 and groups the mention by that prefix
    _s("转型综合改革示范区", _REFORM, only=(REGISTRY, LINKER)),
    _s("综合改革示范区", _REFORM),
    _s("综改示范区", _REFORM, short=True, alias=_REFORM_ZONE),
    _s("综改区", _REFORM, short=True, alias=_REFORM_ZONE),
    # 示范区, 保税区 and 园区 are not read by the registry: they stay in its stem
    _s("示范区", ("综合改革示范区", "生态文化旅游示范区"), bare=True, only=(RULES, LINKER)),
    _s("综合保税区", _BONDED),
    _s("综保区", _BONDED, short=True),
    _s("保税区", _BONDED, own_kind=True, only=(RULES, LINKER)),
    _s("工业园区", _INDUSTRIAL, park=True),
    _s("产业园区", _INDUSTRIAL, park=True),
    _s("工业集中区", _INDUSTRIAL, only=(LINKER,)),
    _s("工业园", _INDUSTRIAL, park=True),
    _s("产业园", _INDUSTRIAL, loose=True, park=True),
    _s("工业区", _INDUSTRIAL, only=(LINKER,)),
    _s("园区", _INDUSTRIAL, loose=True, only=(RULES, LINKER)),
    # kinds of zone the schema has no type for (their records say 其他): the rules backend finds them by
    # their own type, so mentions of one kind group together; the linker reads them as kinds of their own below
    *(_s(text, (kind,), only=(RULES,), **flags) for text, kind, flags in (
        ("自由贸易试验区", _FREE_TRADE, {}), ("自贸试验区", _FREE_TRADE, {}), ("自贸区", _FREE_TRADE, {}),
        ("自由贸易港", "自由贸易港", {}), ("自贸港", "自由贸易港", {}),
        ("新片区", "片区", {"loose": True, "area": True}), ("片区", "片区", {"loose": True, "area": True}),
        ("分区", "片区", {"loose": True, "area": True}),
        ("新区", "新区", {}),
        ("经济合作区", "经济合作区", {}),
        ("合作区", "经济合作区", {"bare": True}),
        ("产业新城", "产业新城", {}),
    )),
    # kinds of zone the catalog lists on their own; the rules backend groups mentions by the type given
    *(_s(text, (kind,), own_kind=True, only=(RULES, LINKER)) for text, kind in (
        ("保税港区", "保税港区"), ("边境经济合作区", "经济合作区"), ("跨境经济合作区", "经济合作区"),
        ("互市贸易区", "互市贸易区"), ("出口加工区", "出口加工区"), ("保税物流园区", "保税物流园区"),
    )),
    # kinds of zone the catalog lists that extraction has no type for
    *(_s(text, own_kind=True, only=(LINKER,)) for text in ("旅游度假区", "投资区")),
)


def suffixes_for(reader: str) -> dict[str, ZoneSuffix]:
    """Return the suffixes ``reader`` sees, by text, longest first."""
    rows = sorted((s for s in SUFFIXES if reader in s.readers), key=lambda s: -len(s.text))
    return {s.text: s for s in rows}


_BY_READER = {reader: suffixes_for(reader) for reader in _ALL}
_LENGTHS = {reader: sorted({len(t) for t in rows}, reverse=True) for reader, rows in _BY_READER.items()}


def split_suffix(name: str, reader: str) -> tuple[str, ZoneSuffix | None]:
    """Return ``(stem, suffix)``: ``name`` cut before the longest suffix ``reader`` sees, or ``(name, None)``."""
    rows = _BY_READER[reader]
    for k in _LENGTHS[reader]:
        if k <= len(name) and (row := rows.get(name[-k:])) is not None:
            return name[:-k], row
    return name, None


def suffix_pattern(reader: str) -> str:
    """Return a regular expression alternation of the suffixes ``reader`` sees, longest first."""
    return "|".join(map(re.escape, _BY_READER[reader]))


PROVINCES = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
    "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
    "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
    "宁夏回族自治区", "新疆维吾尔自治区", "台湾省", "香港特别行政区", "澳门特别行政区",
)
_TAILS = ("省", "市", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区")
_TAIL_RE = re.compile(f"({'|'.join(_TAILS)}|特别行政区)$")


def short_province(full: str) -> str:
    """Return a province's name without its administrative tail (山西省 → 山西, 广西壮族自治区 → 广西)."""
    return _TAIL_RE.sub("", full)


_SHORT = {short_province(p): p for p in PROVINCES}
_FORMS = {p: p for p in PROVINCES} | _SHORT
# 广西自治区, 宁夏自治区: a short name with any tail, as names are written loosely (but not 特别行政区)
_ANY_TAIL = {short + tail: full for short, full in _SHORT.items() for tail in ("", *_TAILS)}
# every form by its first two characters (all province names have two or more), longest first
_BY_HEAD = {
    any_tail: {head: sorted((f for f in forms if f[:2] == head), key=len, reverse=True) for head in {f[:2] for f in forms}}
    for any_tail, forms in ((False, _FORMS), (True, _ANY_TAIL))
}


def province_prefix(text: str, *, min_rest: int = 1, any_tail: bool = False) -> tuple[str, str] | None:
    """Return ``(written form, full name)`` of the longest province ``text`` starts with, or None.

    The form is a province's full or short name (山西省, 山西); with ``any_tail`` it
    is instead a short name followed by nothing or by any of 省, 市, …自治区
    (广西自治区, but not 香港特别行政区). It leaves ``min_rest`` or more characters.
    """
    forms = _ANY_TAIL if any_tail else _FORMS
    for form in _BY_HEAD[any_tail].get(text[:2], ()):
        if len(text) - len(form) >= min_rest and text.startswith(form):
            return form, forms[form]
    return None


_SPACE = re.compile(r"\s+")


def fold_name(text: str) -> str:
    """Return a matching copy of a name: NFKC-folded (full-width forms) with all whitespace removed.

    Only for keys and comparisons: the copy's offsets are not the original's.
    """
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


_LEVELS = ("国家级", "省级", "市级")
_NATIONAL = ("国家", "国家级")
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")
# well-known short names that stand for one zone (综改区 → 山西转型综合改革示范区)
ALIASES = {s.text: s.alias for s in SUFFIXES if s.alias}


class ZoneName(NamedTuple):
    """A zone name cut into its parts by :func:`parse_name`.

    ``level``: 国家级 / 省级 / 市级 written before it; ``province``: the province a
    prefix (or the zone an alias stands for) names; ``body``: the name without level
    and suffix, as written; ``stem``: ``body`` without its province prefix (a
    municipality's name stays: 天津港); ``suffix``: the type suffix the reader saw.
    """

    level: str | None
    province: str | None
    body: str
    stem: str
    suffix: ZoneSuffix | None

    @property
    def types(self) -> tuple[str, ...]:
        """Every zone type the suffix may stand for, the usual reading first (empty without a suffix)."""
        return self.suffix.types if self.suffix else ()

    @property
    def type(self) -> str | None:
        """The zone type the name is read as: None without a suffix, :data:`OTHER` for a kind of its own."""
        if self.suffix is None:
            return None
        return OTHER if self.suffix.own_kind else self.suffix.type


def _province_of(body: str) -> tuple[str, str] | None:
    found = province_prefix(body, min_rest=0, any_tail=True)
    if found is None:
        return None
    form, full = found
    if form.endswith("市") and not full.endswith("市"):  # 吉林市 is a city, not 吉林省
        found = province_prefix(body[: len(form) - 1], min_rest=0)
        return found if found and body[len(found[0]):len(found[0]) + 1] != "市" else None
    return found


def clean_name(name: str) -> str:
    """Return the name :func:`parse_name` cuts: folded (:func:`fold_name`), bracketed notes dropped."""
    text = fold_name(name)
    if "(" in text:  # full-width brackets are folded to these
        text = _BRACKETS.sub("", text) or text
    return text


def parse_name(name: str, reader: str) -> ZoneName:
    """Return the :class:`ZoneName` of a zone name as ``reader`` sees its suffixes.

    The name is folded (full-width forms, spaces; bracketed notes dropped), a leading
    level word is read off, an alias (综改区) is replaced by the zone it stands for,
    and the longest suffix ``reader`` sees is split off before the province prefix.
    """
    text = clean_name(name)
    level = next((word for word in _LEVELS if text.startswith(word)), None)
    if level:
        text = text[len(level):]
    body, suffix = split_suffix(text, reader)
    if suffix is not None and body.endswith(_NATIONAL) and body.rindex("国家") >= 2:
        body, level = body[: body.rindex("国家")], level or "国家级"  # 贵阳国家高新区: a national zone's 国家
    found = _province_of(body)
    if suffix is not None and suffix.alias and body == (found[0] if found else ""):
        body, suffix = split_suffix(suffix.alias, reader)
        found = _province_of(body)
    if found is None:
        return ZoneName(level, None, body, body, suffix)
    form, full = found
    municipality = full.endswith("市") and not form.endswith("市")
    stem = body if municipality else body[len(form):]
    return ZoneName(level, full, body, stem, suffix)
