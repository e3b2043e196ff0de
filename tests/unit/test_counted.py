"""Ungrounded facts stay in profiles.jsonl but out of the aggregates (zones.jsonl, exports, report totals) unless
asked for with keep_ungrounded / --keep-ungrounded."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from kaifaqu_llm import extract
from kaifaqu_llm._cli import main
from kaifaqu_llm.core.fact_types import Indicator, Zone
from kaifaqu_llm.extract.backend import BackendResult, RulesBackend
from kaifaqu_llm.ground.counted import counted_record, counted_records
from kaifaqu_llm.outputs.export import table_rows
from kaifaqu_llm.outputs.files import read_profiles
from kaifaqu_llm.outputs.report import render_report
from kaifaqu_llm.zones.registry import build_registry

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "zones_out"
SEEDS = ROOT / "seeds"


def _fact(evidence: str, grounded: bool, **fields) -> dict:
    start = None if not grounded else 0
    return {**fields, "evidence": evidence, "grounded": grounded, "start": start,
            "end": None if start is None else len(evidence)}


def _records() -> list[dict]:
    """Article 0 names 甲 (grounded) and 乙 (only ungrounded); article 1 names 乙 only by an ungrounded mention."""
    return [
        {"source": "p.txt", "article_index": 0,
         "zones": [_fact("甲城经开区", True, mention="甲城经开区", primary=True),
                   _fact("乙县高新区", False, mention="乙县高新区", primary=False)],
         "indicators": [_fact("产值10亿元", True, name="产值", value=10, unit="亿元"),
                        _fact("产值99亿元", False, name="产值", value=99, unit="亿元")]},
        {"source": "p.txt", "article_index": 1,
         "zones": [_fact("乙县高新区", False, mention="乙县高新区", primary=True)],
         "people": [_fact("主任李四", True, name="李四", title="主任")]},
    ]


def test_a_zone_named_only_by_ungrounded_mentions_is_no_zone():
    registry = build_registry(_records())
    assert [z["canonical"] for z in registry] == ["甲城经开区", None]
    jia, bucket = registry
    assert [f["value"] for f in jia["indicators"]] == [10]  # the ungrounded 99 is not the zone's figure
    # article 1 names no grounded zone: its (grounded) person goes to the unassigned bucket, not lost
    assert bucket["unassigned"] and [p["name"] for p in bucket["people"]] == ["李四"]

    kept = build_registry(_records(), keep_ungrounded=True)
    assert {z["canonical"] for z in kept} == {"甲城经开区", "乙县高新区"}
    jia = next(z for z in kept if z["canonical"] == "甲城经开区")
    assert sorted(f["value"] for f in jia["indicators"]) == [10, 99]


def test_counted_records_keeps_the_shape_of_its_input():
    records = _records()
    assert counted_record(records[0])["indicators"] == records[0]["indicators"][:1]
    assert records[0]["indicators"][1]["grounded"] is False  # the record itself is untouched
    view = counted_records(records)
    assert list(view) == list(view)  # a list gives a re-iterable view (the registry reads it twice)
    once = counted_records(iter(records))
    assert iter(once) is once
    assert counted_records(records, keep_ungrounded=True) is records
    # a fact without a grounded key is taken at its word
    assert counted_record({"people": [{"name": "王五"}]})["people"] == [{"name": "王五"}]


def test_exports_and_report_totals_count_grounded_facts_unless_asked():
    records = _records()
    tables = table_rows(records, build_registry(records))
    assert [r["value"] for r in tables["indicators"]] == [10]
    assert [z["canonical"] for z in tables["zones"]] == ["甲城经开区"]
    assert {(r["article_id"], r["zone_id"]) for r in tables["article_zones"]} == {
        ("p.txt#0", tables["zones"][0]["zone_id"])}
    kept = table_rows(records, build_registry(records, keep_ungrounded=True), keep_ungrounded=True)
    assert sorted(r["value"] for r in kept["indicators"]) == [10, 99] and len(kept["zones"]) == 2

    def stats(html: str) -> dict[str, int]:
        return {label: int(n) for label, n in re.findall(r"<span>([^<]+) <b>(\d+)</b></span>", html)}

    default = stats(render_report(records, {}))
    assert default["开发区 zones"] == 1 and default["事实 facts"] == 3  # 甲, its grounded figure, 李四
    assert default["未定位 ungrounded (未计入 not counted)"] == 3
    asked = stats(render_report(records, {}, keep_ungrounded=True))
    assert asked["开发区 zones"] == 2 and asked["事实 facts"] == 6 and asked["未定位 ungrounded"] == 3


class _InventingBackend(RulesBackend):
    """The rules' answer plus an invented zone and an invented figure (as a model might add)."""

    name = "inventing"

    async def extract(self, article):
        result = await super().extract(article)
        profile = result.profile.model_copy(update={
            "zones": [*result.profile.zones, Zone(mention="虚构县经开区", evidence="虚构县经开区成立")],
            "indicators": [*result.profile.indicators,
                           Indicator(name="虚构产值", value=12345, unit="亿元", evidence="虚构产值12345亿元")]})
        return BackendResult(profile, usage=result.usage)


def _csv_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("keep", [False, True])
def test_extract_keeps_ungrounded_facts_in_profiles_only_unless_asked(tmp_path, keep):
    page = SEEDS / sorted(p.name for p in SEEDS.glob("*.txt"))[0]
    result = extract([page], tmp_path, backend=_InventingBackend(), formats=("csv",), keep_ungrounded=keep)
    assert result.ok
    records = read_profiles(tmp_path / "profiles.jsonl")
    invented = [f for r in records for f in r["indicators"] if f["name"] == "虚构产值"]
    assert invented and all(f["grounded"] is False for f in invented)  # always in profiles.jsonl
    zones = [json.loads(line) for line in (tmp_path / "zones.jsonl").read_text(encoding="utf-8").splitlines()]
    names = {n for z in zones for n in [z["canonical"], *z["aliases"]]}
    figures = [o for z in zones for f in z["indicators"] if f["name"] == "虚构产值" for o in f["occurrences"]]
    exported = [r for r in _csv_rows(tmp_path / "indicators.csv") if r["name"] == "虚构产值"]
    assert ("虚构县经开区" in names) is keep
    assert len(figures) == len(exported) == (len(invented) if keep else 0)


def test_cli_zones_and_report_take_keep_ungrounded(tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(FIXTURE, out)
    assert main(["zones", str(out), "--json"]) == 0
    default = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main(["zones", str(out), "--json", "--keep-ungrounded"]) == 0
    kept = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    def n_facts(zones):
        return sum(len(z["indicators"]) + len(z["events"]) for z in zones)

    assert n_facts(kept) == n_facts(default) + 2  # the fixture's two ungrounded facts
    assert all(f["grounded"] for z in default for f in z["indicators"] + z["events"])
    assert main(["report", str(out), "--keep-ungrounded", "-o", str(tmp_path / "r.html")]) == 0
    assert "未计入" not in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert main(["report", str(out)]) == 0
    assert "未计入 not counted" in (out / "report.html").read_text(encoding="utf-8")
