"""The shared zone-name knowledge: one suffix table read three ways, province prefixes, folding."""

from __future__ import annotations

import re

import pytest

from kaifaqu_llm.zones.names import (
    JINGKAI, LINKER, OTHER, PROVINCES, REGISTRY, RULES, SUFFIXES, fold_name, parse_name, province_prefix,
    short_province, split_suffix, suffix_pattern, suffixes_for,
)

READERS = (RULES, REGISTRY, LINKER)


def test_each_suffix_is_written_once_and_read_by_someone():
    texts = [s.text for s in SUFFIXES]
    assert len(texts) == len(set(texts))
    assert all(s.readers and s.readers <= set(READERS) for s in SUFFIXES)


def test_flags_agree_with_each_other():
    for s in SUFFIXES:
        assert not (s.short and s.bare), s.text
        assert s.full == (not (s.short or s.bare or s.loose)), s.text
        if s.alias:
            assert s.short and s.alias.endswith(s.types[0]), s.text
        if RULES in s.readers:  # the rules backend groups every mention by its family
            assert s.family is not None and s.types, s.text
        if not s.types:
            assert s.own_kind and s.readers == {LINKER}, s.text


@pytest.mark.parametrize(
    ("text", "type_", "types", "full"),
    [
        ("经济技术开发区", "经济技术开发区", ("经济技术开发区",), True),
        ("经开区", "经济技术开发区", JINGKAI, False),
        ("开发区", OTHER, JINGKAI, False),  # bare: says 开发区, not which kind
        ("示范区", OTHER, ("综合改革示范区", "生态文化旅游示范区"), False),
        ("产业园", "工业园区", ("工业园区",), False),
        ("保税区", "综合保税区", ("综合保税区",), True),
    ],
)
def test_readings_of_a_suffix(text, type_, types, full):
    row = next(s for s in SUFFIXES if s.text == text)
    assert (row.type, row.types, row.full) == (type_, types, full)


@pytest.mark.parametrize(
    ("name", "reader", "stem", "suffix"),
    [
        ("晋城经济技术开发区", RULES, "晋城", "经济技术开发区"),  # not 开发区
        ("盐湖高新技术产业开发区", LINKER, "盐湖", "高新技术产业开发区"),
        ("山西转型综合改革示范区", RULES, "山西转型", "综合改革示范区"),
        ("山西转型综合改革示范区", REGISTRY, "山西", "转型综合改革示范区"),
        ("左权示范区", REGISTRY, "左权示范区", None),
        ("左权示范区", LINKER, "左权", "示范区"),
        ("综改区", REGISTRY, "", "综改区"),
        ("运城", LINKER, "运城", None),
    ],
)
def test_split_suffix_takes_the_longest_suffix_the_reader_sees(name, reader, stem, suffix):
    got_stem, row = split_suffix(name, reader)
    assert (got_stem, row.text if row else None) == (stem, suffix)


@pytest.mark.parametrize("reader", READERS)
def test_pattern_and_split_agree(reader):
    pattern = re.compile(f"({suffix_pattern(reader)})$")
    for text in suffixes_for(reader):
        for name in ("太原" + text, "国家级运城" + text + "区", text):
            m = pattern.search(name)
            stem, row = split_suffix(name, reader)
            assert (m.group(1) if m else None) == (row.text if row else None), name
            assert stem == (name[: m.start()] if m else name)


def test_suffixes_for_lists_longest_first():
    for reader in READERS:
        lengths = [len(t) for t in suffixes_for(reader)]
        assert lengths == sorted(lengths, reverse=True)


def test_province_short_names():
    shorts = [short_province(p) for p in PROVINCES]
    assert len(set(shorts)) == len(PROVINCES) == 34
    assert {"山西", "内蒙古", "广西", "新疆", "香港"} <= set(shorts)


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("山西省晋城经开区", {}, ("山西省", "山西省")),
        ("山西综改区", {}, ("山西", "山西省")),
        ("天津港保税区", {}, ("天津", "天津市")),
        ("广西自治区北海工业园区", {}, ("广西", "广西壮族自治区")),
        ("广西自治区北海工业园区", {"any_tail": True}, ("广西自治区", "广西壮族自治区")),
        ("山西省综改区", {"min_rest": 2}, ("山西省", "山西省")),
        ("山西省综", {"min_rest": 2}, ("山西", "山西省")),  # the longest form that leaves enough
        ("山西省", {}, ("山西", "山西省")),
        ("晋城经开区", {}, None),
        ("香港特别行政区X", {"any_tail": True}, ("香港", "香港特别行政区")),
    ],
)
def test_province_prefix(text, kwargs, expected):
    assert province_prefix(text, **kwargs) == expected


def test_fold_name_is_a_matching_copy():
    assert fold_name("晋城 经开区") == fold_name("晋城经开区") == "晋城经开区"
    assert fold_name("ＡＢ　产业园\n") == "AB产业园"


@pytest.mark.parametrize(
    ("name", "reader", "parts"),
    [
        ("国家级晋城经开区", LINKER, ("国家级", None, "晋城", "晋城", "经开区")),
        ("山西省运城市盐湖区高新区", LINKER, (None, "山西省", "山西省运城市盐湖区", "运城市盐湖区", "高新区")),
        ("贵阳国家高新区", LINKER, ("国家级", None, "贵阳", "贵阳", "高新区")),  # a national zone's 国家
        ("综改区", LINKER, (None, "山西省", "山西", "", "转型综合改革示范区")),  # the zone the alias stands for
        ("山西综改示范区", REGISTRY, (None, "山西省", "山西", "", "转型综合改革示范区")),
        ("天津港保税区", LINKER, (None, "天津市", "天津港", "天津港", "保税区")),  # a municipality's name stays
        ("吉林市经开区", LINKER, (None, None, "吉林市", "吉林市", "经开区")),  # 吉林市 is a city, not 吉林省
        ("广西自治区北海工业园区", RULES, (None, "广西壮族自治区", "广西自治区北海", "北海", "工业园区")),
        ("喀什经济开发区（含新疆生产建设兵团片区）", LINKER, (None, None, "喀什", "喀什", "经济开发区")),
        ("晋城 经开区", REGISTRY, (None, None, "晋城", "晋城", "经开区")),
        ("跨境电商", LINKER, (None, None, "跨境电商", "跨境电商", None)),
    ],
)
def test_parse_name_is_the_one_parser(name, reader, parts):
    parsed = parse_name(name, reader)
    assert (parsed.level, parsed.province, parsed.body, parsed.stem,
            parsed.suffix.text if parsed.suffix else None) == parts


def test_parse_name_types():
    assert parse_name("太原武宿综保区", LINKER).type == "综合保税区"
    assert parse_name("洋浦保税港区", LINKER).type == OTHER  # a kind the catalog lists on its own
    assert parse_name("开发区", LINKER).types == JINGKAI and parse_name("开发区", LINKER).type == OTHER
    assert parse_name("跨境电商", LINKER).type is None


def test_catalog_and_linker_do_not_import_each_other():
    import ast
    from pathlib import Path

    zones = Path(__file__).resolve().parents[2] / "kaifaqu_llm" / "zones"
    imports = {}
    for module in ("catalog", "linker", "names", "places", "registry"):
        tree = ast.parse((zones / f"{module}.py").read_text(encoding="utf-8"))
        imports[module] = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert "linker" not in imports["catalog"] and "catalog" in imports["linker"]
    assert not {"catalog", "linker", "registry"} & (imports["names"] | imports["places"])
