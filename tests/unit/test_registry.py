"""The zone registry: alias resolution, fact attribution and merging, zones.jsonl and `kaifaqu zones`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kaifaqu_llm._cli import main
from kaifaqu_llm.outputs.files import read_profiles
from kaifaqu_llm.zones.registry import UNASSIGNED, build_registry, read_registry, write_zones, zone_name

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "zones_out"


@pytest.fixture()
def records() -> list[dict]:
    return read_profiles(FIXTURE / "profiles.jsonl")


def _zone(registry, canonical):
    return next(z for z in registry if z["canonical"] == canonical)


@pytest.mark.parametrize(
    "names",
    [
        ["晋城经开区", "晋城经济技术开发区", "山西省晋城经济技术开发区", "国家级晋城经开区", "晋城市晋城经开区"],
        ["盐湖高新区", "盐湖高新技术产业开发区", "盐湖高新技术产业园", "运城市盐湖高新区"],
        ["山西综改示范区", "山西转型综合改革示范区", "山西综改区"],
        ["武宿综保区", "太原市武宿综合保税区"],
    ],
)
def test_aliases_reduce_to_one_key(names):
    keys = {(zone_name(n).stem, zone_name(n).type) for n in names}
    assert len(keys) == 1, keys


def test_place_prefix_kept_when_nothing_would_remain():
    assert zone_name("山西综改区").stem == "山西"
    assert zone_name("山西省综合保税区").stem == "山西省"
    assert zone_name("临汾经济开发区") == zone_name("临汾经济开发区")
    assert zone_name("临汾经济开发区").type == "经济开发区"
    # a known city of the zone is stripped even without 市
    assert zone_name("运城盐湖高新区", places=["运城"]).stem == "盐湖"
    assert zone_name("运城盐湖高新区").stem == "运城盐湖"


def test_full_width_and_spaces_do_not_split_zones():
    assert zone_name("晋城 经开区") == zone_name("晋城经开区")


def test_fixture_registry_merges_aliases_across_pages(records):
    registry = build_registry(records)
    names = [z["canonical"] for z in registry if not z.get("unassigned")]
    assert sorted(names) == ["山西转型综合改革示范区", "晋城经济技术开发区", "盐湖高新技术产业园"]
    reform = _zone(registry, "山西转型综合改革示范区")
    # the bare abbreviation 综改区 joins the only 综合改革示范区 of the data
    assert reform["aliases"] == ["山西综改示范区", "综改区"]
    assert {(s["source"], s["article_index"]) for s in reform["sources"]} == {("page_a.txt", 1), ("page_b.txt", 0)}
    jincheng = _zone(registry, "晋城经济技术开发区")
    assert jincheng["aliases"] == ["晋城经开区"]
    assert jincheng["city"] == "晋城" and jincheng["type"] == "经济技术开发区"
    assert all("catalog_code" not in z for z in registry)


def test_facts_go_to_primary_zone_and_indicator_subject(records):
    registry = build_registry(records)
    yanhu = _zone(registry, "盐湖高新技术产业园")
    reform = _zone(registry, "山西转型综合改革示范区")
    # page_a#1 names 山西综改示范区 only in passing: its facts are 盐湖's
    assert [f["name"] for f in yanhu["organizations"]] == ["邮储银行运城分行"]
    # its second event is ungrounded: kept in the record, not counted in the zone unless asked
    assert len(yanhu["events"]) == 1 and reform["events"][0]["source"] == "page_b.txt"
    kept = _zone(build_registry(records, keep_ungrounded=True), "盐湖高新技术产业园")
    assert [e["grounded"] for e in kept["events"]] == [True, False]
    # on page_b#0 the indicator whose subject is 晋城经济技术开发区 goes to that zone, not the primary one
    assert [f["name"] for f in reform["indicators"]] == ["新签约项目"]


def test_duplicate_facts_merge_with_every_occurrence(records):
    jincheng = _zone(build_registry(records), "晋城经济技术开发区")
    value_added = [f for f in jincheng["indicators"] if f["name"] == "规模以上工业增加值"]
    assert len(value_added) == 1
    occurrences = value_added[0]["occurrences"]
    assert [(o["source"], o["article_index"]) for o in occurrences] == [("page_a.txt", 0), ("page_b.txt", 0)]
    for occurrence in occurrences:
        text = (FIXTURE / "pages" / occurrence["source"]).read_bytes().decode("utf-8")
        assert text[occurrence["start"]: occurrence["end"]] == occurrence["evidence"]
    # the first occurrence's provenance is on the fact itself
    assert value_added[0]["source"] == "page_a.txt" and value_added[0]["grounded"] is True


@pytest.mark.parametrize("keep_ungrounded", [False, True])
def test_every_fact_is_kept_exactly_once_per_owner(records, keep_ungrounded):
    registry = build_registry(records, keep_ungrounded=keep_ungrounded)
    for category in ("industries", "indicators", "projects", "organizations", "people", "events"):
        in_records = sum(1 for r in records for f in r[category] if keep_ungrounded or f["grounded"])
        in_registry = sum(len(f["occurrences"]) for z in registry for f in z[category])
        assert in_records == in_registry, category


def test_article_without_zones_goes_to_unassigned(records):
    registry = build_registry(records)
    bucket = registry[-1]
    assert bucket["zone_id"] == UNASSIGNED and bucket["unassigned"] is True
    assert bucket["sources"] == [{"source": "page_b.txt", "article_index": 1, "primary": False}]
    assert [f["name"] for f in bucket["organizations"]] == ["石药银湖制药有限公司"]


def test_no_primary_zone_means_first_zone(records):
    record = {"source": "p.txt", "article_index": 0,
              "zones": [{"mention": "阳城经开区", "primary": False}, {"mention": "古县经开区", "primary": False}],
              "people": [{"name": "李四", "title": "主任", "evidence": "主任李四", "grounded": True, "start": 0, "end": 4}]}
    registry = build_registry([record])
    assert [z["canonical"] for z in registry if z["people"]] == ["阳城经开区"]


def test_ambiguous_jingkaiqu_joins_the_only_matching_zone():
    records = [
        {"source": "a.txt", "article_index": 0, "zones": [{"mention": "临汾经济开发区", "primary": True}]},
        {"source": "b.txt", "article_index": 0, "zones": [{"mention": "临汾经开区", "primary": True}]},
        {"source": "c.txt", "article_index": 0, "zones": [{"mention": "运城经开区", "primary": True},
                                                          {"mention": "运城经济技术开发区", "primary": False}]},
    ]
    registry = build_registry(records)
    assert len(registry) == 2
    linfen = next(z for z in registry if z["canonical"].startswith("临汾"))
    assert linfen["canonical"] == "临汾经济开发区" and linfen["aliases"] == ["临汾经开区"]
    assert len(linfen["sources"]) == 2


def test_catalog_links_key_the_registry():
    linked = {"catalog_code": "S141000", "official_name": "山西运城经济技术开发区", "level": "国家级",
              "province": "山西", "city": "运城", "link_score": 0.93}
    records = [
        {"source": "a.txt", "article_index": 0, "zones": [{"mention": "运城经开区", "primary": True, **linked}]},
        # another name linked to the same catalog entry is the same zone
        {"source": "b.txt", "article_index": 0, "zones": [{"mention": "运城开发区", "primary": True, **linked}]},
        {"source": "c.txt", "article_index": 0,
         "zones": [{"mention": "某某产业园", "primary": True, "catalog_code": None, "link_score": None}]},
    ]
    registry = build_registry(records)
    yuncheng = next(z for z in registry if z["zone_id"] == "S141000")
    assert yuncheng["official_name"] == yuncheng["canonical"] == "山西运城经济技术开发区"
    assert yuncheng["link_score"] == 0.93 and yuncheng["level"] == "国家级" and len(yuncheng["sources"]) == 2
    assert yuncheng["type"] == "经济技术开发区"
    unlinked = next(z for z in registry if z["zone_id"] != "S141000")
    assert unlinked["catalog_code"] is None and unlinked["link_score"] is None


def test_catalog_name_decides_the_type():
    linked = {"catalog_code": "S147018", "official_name": "山西运城经济开发区", "level": "省级", "link_score": 0.9}
    records = [{"source": "a.txt", "article_index": 0,
                "zones": [{"mention": "运城经开区", "type": "经济技术开发区", "primary": True, **linked}]}]
    (zone,) = build_registry(records)
    assert (zone["zone_id"], zone["canonical"], zone["type"]) == ("S147018", "山西运城经济开发区", "经济开发区")


def test_zone_ids_are_stable_across_runs(records):
    first = [z["zone_id"] for z in build_registry(records)]
    second = [z["zone_id"] for z in build_registry(list(reversed(records)))]
    assert sorted(first) == sorted(second)


def test_write_zones_round_trips(tmp_path, records):
    registry = build_registry(records)
    path = write_zones(tmp_path, registry)
    assert path == tmp_path / "zones.jsonl"
    assert read_registry(tmp_path) == registry
    assert "晋城经济技术开发区" in path.read_text(encoding="utf-8")  # ensure_ascii=False
    assert [p.name for p in tmp_path.iterdir()] == ["zones.jsonl"]


def test_cli_zones_table_and_json(capsys):
    assert main(["zones", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:7] == ["zone", "type", "city", "province", "level", "code", "articles"]
    assert any(line.split()[:3] == ["晋城经济技术开发区", "经济技术开发区", "晋城"] for line in lines)
    assert any(line.startswith("(unassigned)") for line in lines)

    assert main(["zones", str(FIXTURE), "--json"]) == 0
    zones = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [z["zone_id"] for z in zones] == [z["zone_id"] for z in build_registry(read_profiles(FIXTURE))]


def test_cli_zones_shows_code_level_province_and_lists_the_unlinked(tmp_path, capsys):
    from kaifaqu_llm.zones.catalog import load_catalog
    from kaifaqu_llm.zones.linker import annotate_zones

    zones = [{"mention": "晋城经开区", "canonical": "晋城经济技术开发区", "type": "经济技术开发区", "primary": True},
             {"mention": "运城经济技术开发区", "canonical": None, "type": "经济技术开发区", "primary": False},
             {"mention": "长子经开区", "canonical": "长子经济技术开发区", "type": "经济技术开发区", "primary": False}]
    annotate_zones(zones, load_catalog())
    record = {"source": "p.txt", "article_index": 0, "zones": zones}
    (tmp_path / "profiles.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["zones", str(tmp_path)]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["晋城经济技术开发区", "经济技术开发区", "晋城", "山西省", "国家级", "G141061"] in [r[:6] for r in rows]
    assert main(["zones", str(tmp_path), "--unlinked"]) == 0
    out = capsys.readouterr().out
    assert "晋城" not in out and "长子经济技术开发区" in out  # 长子: not in the 2018 list, no candidate
    assert "S147018 山西运城经济开发区 0.85 (same place, other type" in out
    assert main(["zones", str(tmp_path), "--unlinked", "--json"]) == 0
    unlinked = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(z["canonical"], z["province"], z["city"]) for z in unlinked] == [
        ("运城经济技术开发区", "山西省", "运城"), ("长子经济技术开发区", "山西省", "长治")]
    assert [c["catalog_code"] for c in unlinked[0]["link_candidates"]] == ["S147018"]


def test_cli_zones_missing_folder_is_one_line(tmp_path, capsys):
    assert main(["zones", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(tmp_path) in err


def test_sparse_records_do_not_break_registry_or_exports(tmp_path):
    import sqlite3

    from kaifaqu_llm.outputs.export import write_csv, write_sqlite

    records = [
        {"source": "a.txt", "article_index": 0, "zones": None, "indicators": None},
        {"source": "a.txt", "article_index": 1, "zones": [{"mention": "", "canonical": None}],
         "people": [{"name": "王五"}]},  # no evidence, no offsets
        {"source": "b.txt", "article_index": 0, "error": "ResponseError: no valid profile",
         "zones": [{"mention": "综保区", "primary": True}]},  # bare abbreviation with no full zone to join
    ]
    registry = build_registry(records)
    assert [z["canonical"] for z in registry] == ["综保区", None]
    assert registry[-1]["zone_id"] == UNASSIGNED
    assert [(s["source"], s["article_index"]) for s in registry[-1]["sources"]] == [("a.txt", 0), ("a.txt", 1)]
    assert registry[-1]["people"][0]["start"] is None
    write_csv(tmp_path, records, registry)
    db = sqlite3.connect(write_sqlite(tmp_path, records, registry))
    assert db.execute("SELECT name, zone_id, evidence FROM people").fetchall() == [("王五", None, None)]
    assert db.execute("SELECT error FROM articles WHERE source = 'b.txt'").fetchone() == ("ResponseError: no valid profile",)
