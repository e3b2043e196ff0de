"""Linking zone mentions to catalog entries: every zone of the seed pages, ambiguity, user catalogs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kaifaqu_llm.zones.catalog import Catalog, load_catalog
from kaifaqu_llm.zones.linker import MIN_SCORE, annotate_zones, link_zone, parse_zone_name, zone_place

DATA = Path(__file__).resolve().parents[1] / "data"
REPO = Path(__file__).resolve().parents[2]
GOLD = Path(__file__).resolve().parents[1] / "gold"
SEEDS = REPO / "seeds"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([DATA / "catalog_test.csv"], builtin=False)


# Every zone named on the seed pages: (mention, canonical) → code, or (None, place, type) when the
# 2018 notice does not list it (approved later, or not a zone of the notice at all).
LINKED = {
    ("晋城经开区", "晋城经济技术开发区"): "G141061",
    ("晋城经开区", None): "G141061",
    ("晋城经济技术开发区", None): "G141061",
    ("武宿综合保税区", None): "G143011",
    ("运城经开区", None): "S147018",
    ("临汾经济开发区", None): "S147015",
    ("临汾经开区", "临汾经济开发区"): "S147015",
    ("风陵渡经济开发区", "风陵渡经济开发区"): "S147020",
    ("朔州经济开发区", "朔州经济开发区"): "S147005",
    ("长治高新区", None): "G142057",
    ("大同经开区", "大同经济技术开发区"): "G141060",
    ("忻州经济开发区", None): "S147006",
    ("杭州经济技术开发区", None): "G331991",
    ("平湖经济技术开发区", None): "G331992",
}
# Zones that match an entry by place but name another type: renamed since 2018 (Shanxi's 2019-2020 reform made
# 山西运城经济开发区 the 运城经济技术开发区). Offered as candidates with the reason, never linked.
RENAMED = {
    ("运城经济技术开发区", "运城经济技术开发区"): "S147018",
    ("运城经济技术开发区", None): "S147018",
}
UNLINKED = {
    ("广灵经开区", "广灵经济技术开发区"): ("广灵", "经济技术开发区"),
    ("盐湖高新区", "盐湖高新技术产业园"): ("盐湖", "高新技术产业开发区"),  # not 山西运城盐湖工业园区
    ("盐湖高新区", None): ("盐湖", "高新技术产业开发区"),
    ("综改区", "综改区"): ("山西", "综合改革示范区"),
    ("山西综改示范区", None): ("山西", "综合改革示范区"),
    ("综改示范区", None): ("山西", "综合改革示范区"),
    ("霍州经开区", "霍州经济技术开发区"): ("霍州", "经济技术开发区"),
    ("灵石经济技术开发区", None): ("灵石", "经济技术开发区"),
    ("长子经开区", "长子经济技术开发区"): ("长子", "经济技术开发区"),
    ("阳城经开区", "阳城经济技术开发区"): ("阳城", "经济技术开发区"),
    ("襄汾经济技术开发区", "襄汾经济技术开发区"): ("襄汾", "经济技术开发区"),
    ("古县经济技术开发区", "古县经济技术开发区"): ("古县", "经济技术开发区"),
    ("垣曲经济技术开发区", None): ("垣曲", "经济技术开发区"),
    ("左权示范区", "左权生态文化旅游示范区"): ("左权", "生态文化旅游示范区"),
    ("平顺示范区", "平顺生态文化旅游示范区"): ("平顺", "生态文化旅游示范区"),
    ("右玉生态文化旅游示范区", "右玉生态文化旅游示范区"): ("右玉", "生态文化旅游示范区"),
    ("晋中新兴产业园", None): ("新兴", "工业园区"),  # a park in 晋中, not 晋中经济技术开发区
    ("潇河园区", "潇河产业园区"): ("潇河", "工业园区"),
    ("阳曲工业园区", None): ("阳曲", "工业园区"),
    ("甘亭工业园区", None): ("甘亭", "工业园区"),
    ("晋中新兴产业园区", None): ("新兴", "工业园区"),
    ("潇河园区", None): ("潇河", "工业园区"),
    # operating parks named with 产业园 (以X产业园为支撑): their own name is the stem; the notice lists none of them
    ("清控电子信息产业园", None): ("清控电子信息", "工业园区"),
    ("康新数智产业园", None): ("康新数智", "工业园区"),
    ("跨境电商产业园", None): ("跨境电商", "工业园区"),
    ("铝基综合循环产业园", None): ("铝基综合循环", "工业园区"),
    ("天津港保税区", None): ("天津港", "其他"),  # in the notice, but not in this test catalog
    ("唐槐园区", None): ("唐槐", "工业园区"),
}


@pytest.mark.parametrize(("names", "code"), LINKED.items(), ids=lambda v: str(v))
def test_seed_zone_links_to_its_notice_entry(catalog, names, code):
    link = link_zone(*names, catalog)
    assert link.catalog_code == code
    entry = catalog.get(code)
    assert (link.official_name, link.level, link.province) == (entry.official_name, entry.level, entry.province)
    assert link.city == (zone_place(entry.official_name, entry.province)[1] or entry.city)
    assert MIN_SCORE <= link.link_score <= 1.0 and link.candidates == []


@pytest.mark.parametrize(("names", "code"), RENAMED.items(), ids=lambda v: str(v))
def test_zone_named_with_another_type_is_a_candidate_with_the_reason(catalog, names, code):
    link = link_zone(*names, catalog)
    assert not link.linked and link.link_score is None
    (candidate,) = link.candidates
    assert candidate["catalog_code"] == code and candidate["score"] == 0.85
    assert candidate["reason"].startswith("same place, other type: 经济开发区")


@pytest.mark.parametrize(("names", "parsed"), UNLINKED.items(), ids=lambda v: str(v))
def test_zone_the_notice_does_not_list_stays_unlinked_with_place_and_type(catalog, names, parsed):
    link = link_zone(*names, catalog)
    assert not link.linked
    assert (link.catalog_code, link.official_name, link.level, link.province, link.city, link.link_score) == (None,) * 6
    assert link.candidates == []
    assert (link.place, link.type) == parsed


# Named things the rules extractor also cuts out of the seed pages that are descriptions, not zone names.
NOT_ZONES = {"花园式产业园区", "高端装备制造产业园", "信创产业园"}


def test_every_named_zone_the_rules_extractor_finds_on_the_seed_pages_is_covered(catalog):
    from kaifaqu_llm.extract.rules.zones import find_zone_mentions

    known = {n for pair in list(LINKED) + list(RENAMED) + list(UNLINKED) for n in pair if n}
    names = {m.text for page in SEEDS.glob("*.txt")
             for m in find_zone_mentions(page.read_text(encoding="utf-8")) if m.prefix}
    assert len(names) >= 25
    uncovered = names - known - NOT_ZONES
    assert not uncovered, f"add these seed names to LINKED / UNLINKED / NOT_ZONES: {sorted(uncovered)}"
    assert all(link_zone(name, None, catalog).catalog_code is None for name in NOT_ZONES)


def test_every_gold_zone_is_covered_and_links_as_expected(catalog):
    expected = {**LINKED, **{k: None for k in list(UNLINKED) + list(RENAMED)}}
    seen = 0
    for path in GOLD.glob("*.json"):
        for article in json.loads(path.read_text(encoding="utf-8"))["articles"]:
            for zone in article["zones"]:
                key = (zone["mention"], zone["canonical"])
                if zone["type"] == "产业园" and zone["canonical"].startswith(tuple(k[0] for k in expected)):
                    key_code = None  # a park inside a zone (襄汾…开发区高端装备制造产业园) is no catalog zone
                else:
                    assert key in expected, key
                    key_code = expected[key]
                assert link_zone(*key, catalog, zone_type=zone["type"], city=zone["city"]).catalog_code == key_code
                seen += 1
    assert seen == 11


# --- parsing ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("晋城经开区", ("晋城", None, None, "经济技术开发区", "晋城", ("经济技术开发区", "经济开发区"))),
        ("山西省晋城市经济技术开发区", ("晋城", "山西省", "晋城", "经济技术开发区", "晋城", ("经济技术开发区",))),
        ("山西临汾经济开发区", ("临汾", "山西省", None, "经济开发区", "临汾", ("经济开发区",))),
        ("运城市盐湖区高新区", ("盐湖区", None, "运城", "高新技术产业开发区", "运城盐湖区", ("高新技术产业开发区",))),
        ("武宿综保区", ("武宿", None, None, "综合保税区", "武宿", ("综合保税区",))),
        ("山西综改示范区", ("山西", "山西省", None, "综合改革示范区", "山西", ("综合改革示范区",))),
        ("吉林经济技术开发区", ("吉林", "吉林省", None, "经济技术开发区", "吉林", ("经济技术开发区",))),
        ("喀什经济开发区（含新疆生产建设兵团片区）", ("喀什", None, None, "经济开发区", "喀什", ("经济开发区",))),
        ("左权示范区", ("左权", None, None, "其他", "左权", ("其他",))),
        ("高新区", (None, None, None, "高新技术产业开发区", "", ("高新技术产业开发区",))),
    ],
)
def test_parse_zone_name_without_a_catalog(name, parts):
    p = parse_zone_name(name)
    assert (p.place, p.province, p.prefecture, p.type, p.stem, p.types) == parts


def test_parse_uses_the_catalogs_places_to_split_prefecture_and_county(catalog):
    from kaifaqu_llm.zones.linker import _index

    places = _index(catalog).places
    salt_lake = parse_zone_name("山西运城盐湖工业园区", places)
    assert (salt_lake.prefecture, salt_lake.place, salt_lake.stem) == ("运城", "盐湖", "运城盐湖")
    assert parse_zone_name("运城市盐湖区高新区", places).place == "盐湖"  # 盐湖区 is a county of the catalog
    assert parse_zone_name("太原武宿综合保税区", places).place == "武宿"
    assert parse_zone_name("国家级测试经开区", places).level == "国家级"


# --- scores and ambiguity ----------------------------------------------------------------

def test_abbreviated_name_matching_both_levels_returns_scored_candidates(catalog):
    link = link_zone("测试经开区", None, catalog)
    assert link.catalog_code is None and link.link_score is None
    assert [(c["catalog_code"], c["level"], c["score"]) for c in link.candidates] == [
        ("G141991", "国家级", 0.9), ("S147991", "省级", 0.9)]
    assert {c["official_name"] for c in link.candidates} == {"测试经济技术开发区", "山西测试经济开发区"}
    assert (link.place, link.type) == ("测试", "经济技术开发区")


@pytest.mark.parametrize(
    ("mention", "kwargs", "code"),
    [
        ("国家级测试经开区", {}, "G141991"),
        ("测试经开区", {"level": "国家级"}, "G141991"),
        ("测试经开区", {"level": "省级"}, "S147991"),
        ("测试经济技术开发区", {}, "G141991"),  # the full name of one of them wins
        ("测试经济开发区", {}, "S147991"),
    ],
)
def test_level_or_full_name_resolves_the_ambiguity(catalog, mention, kwargs, code):
    link = link_zone(mention, None, catalog, **kwargs)
    assert link.catalog_code == code and link.candidates == []


def test_exact_names_score_higher_than_expanded_or_family_matches(catalog):
    exact = link_zone("晋城经开区", "晋城经济技术开发区", catalog).link_score
    abbreviated = link_zone("晋城经开区", None, catalog).link_score
    family = link_zone("运城经济技术开发区", None, catalog).candidates[0]["score"]
    assert exact == 1.0 and abbreviated == 0.9 and family == 0.85


@pytest.mark.parametrize(
    ("mention", "code", "score"),
    [
        ("原平经开区", "S147023", 0.9),  # a provincial zone whose official name says 经济技术开发区
        ("祁县经开区", "S147012", 0.9),
        ("汾阳杏花村经开区", "S147024", 0.9),
        ("杏花村经开区", None, None),  # the place without its county's name: a candidate, below
        ("榆次工业园区", "S149011", 1.0),
        ("汾阳经开区", None, None),  # a county's name alone is not the zone named after a town in it
    ],
)
def test_provincial_names_and_county_prefixes(catalog, mention, code, score):
    link = link_zone(mention, None, catalog)
    assert (link.catalog_code, link.link_score) == (code, score)


def test_a_name_without_its_countys_is_a_candidate_with_the_reason(catalog):
    (candidate,) = link_zone("杏花村经开区", None, catalog).candidates
    assert (candidate["catalog_code"], candidate["score"]) == ("S147024", 0.81)
    assert candidate["reason"] == "the name without its county's: 汾阳杏花村经济技术开发区 in the catalog"


def test_a_loose_park_word_is_no_link_to_a_zone_of_another_name():
    catalog = load_catalog([], builtin=True)
    (candidate,) = link_zone("巴楚产业园", None, catalog).candidates
    assert candidate["official_name"] == "巴楚工业园区" and candidate["reason"].startswith("产业园 is a loose word")
    assert link_zone("兵团草湖产业园", None, catalog).catalog_code == "S659054"  # its official name


def test_a_city_names_the_one_zone_of_that_type_called_after_a_district(catalog):
    link = link_zone("太原综保区", None, catalog)
    assert link.catalog_code == "G143011" and link.link_score < link_zone("武宿综保区", None, catalog).link_score


def test_context_from_extraction_counts(catalog):
    assert link_zone("大同经开区", None, catalog, city="运城").catalog_code is None  # another city's zone
    assert link_zone("大同经开区", None, catalog, city="大同").catalog_code == "G141060"
    assert link_zone("晋城", None, catalog, zone_type="经济技术开发区").catalog_code == "G141061"
    assert link_zone("晋城", None, catalog).catalog_code is None  # no type, no link


def test_province_of_the_mention_must_agree(catalog):
    assert link_zone("浙江杭州经济技术开发区", None, catalog).catalog_code == "G331991"
    assert link_zone("山西杭州经济技术开发区", None, catalog).catalog_code is None


# --- user catalogs and no catalog ---------------------------------------------------------

def test_user_catalog_overrides_the_entry_a_mention_links_to():
    catalog = load_catalog([DATA / "catalog_test.csv", DATA / "catalog_user.csv"], builtin=False)
    renamed = link_zone("运城经开区", None, catalog)
    assert (renamed.catalog_code, renamed.official_name) == ("S147018", "运城经济技术开发区")
    assert renamed.link_score == 0.9  # now an exact type match: 经济技术开发区
    post_2018 = link_zone("古县经济技术开发区", None, catalog)
    assert (post_2018.catalog_code, post_2018.level, post_2018.city) == ("USER:古县经济技术开发区", "省级", "临汾")


def test_documented_example_catalog_links_post_2018_zones():
    catalog = load_catalog([REPO / "docs" / "catalog_example.csv"], builtin=False)
    assert link_zone("左权示范区", "左权生态文化旅游示范区", catalog).catalog_code == "USER:左权生态文化旅游示范区"
    assert link_zone("左权示范区", None, catalog).catalog_code == "USER:左权生态文化旅游示范区"
    assert link_zone("综改区", None, catalog).catalog_code == "USER:山西转型综合改革示范区"
    assert link_zone("山西综改示范区", None, catalog).official_name == "山西转型综合改革示范区"
    assert link_zone("平顺示范区", None, catalog).catalog_code is None


def test_empty_catalog_links_nothing_but_keeps_the_parse():
    empty = load_catalog([], builtin=False)
    link = link_zone("晋城经开区", "晋城经济技术开发区", empty)
    assert not link.linked and (link.place, link.type) == ("晋城", "经济技术开发区")


# --- annotating profile records -------------------------------------------------------------

def test_annotate_zones_fills_links_and_keeps_extracted_values_when_unlinked(catalog):
    zones = [
        {"mention": "晋城经开区", "canonical": "晋城经济技术开发区", "type": "经济技术开发区",
         "level": None, "province": "山西", "city": None, "primary": True},
        {"mention": "盐湖高新区", "canonical": "盐湖高新技术产业园", "type": "高新技术产业开发区",
         "level": "省级", "province": None, "city": "运城", "primary": True},
        {"mention": "测试经开区", "canonical": None, "type": "经济技术开发区", "primary": False},
    ]
    annotate_zones(zones, catalog)
    linked, unlinked, ambiguous = zones
    assert {k: linked[k] for k in ("catalog_code", "official_name", "level", "province", "city", "link_score",
                                   "place")} == {
        "catalog_code": "G141061", "official_name": "晋城经济技术开发区", "level": "国家级", "province": "山西省",
        "city": "晋城", "link_score": 1.0, "place": "晋城"}
    assert "link_candidates" not in linked and linked["primary"] is True
    assert (unlinked["catalog_code"], unlinked["official_name"], unlinked["link_score"]) == (None, None, None)
    # unlinked: what extraction found, and the province its place (盐湖, a district of 运城) implies
    assert (unlinked["level"], unlinked["province"], unlinked["city"], unlinked["place"]) == ("省级", "山西省", "运城", "盐湖")
    assert ambiguous["catalog_code"] is None and ambiguous["level"] is None and ambiguous["city"] is None
    assert [c["catalog_code"] for c in ambiguous["link_candidates"]] == ["G141991", "S147991"]
    json.dumps(zones, ensure_ascii=False)  # records stay JSON
    annotate_zones(zones, catalog)  # idempotent
    assert zones[0]["catalog_code"] == "G141061" and zones[2]["link_candidates"]
