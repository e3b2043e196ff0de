"""The fact-kind registry: a kind registered at run time flows through every stage; nothing lists kinds by hand."""

from __future__ import annotations

import ast
import csv
import json
import sqlite3
from pathlib import Path

import pytest
from pydantic import Field

import kaifaqu_llm
from kaifaqu_llm.core.document import Article, Page
from kaifaqu_llm.core.fact_types import Fact
from kaifaqu_llm.core.facts import EvalRow, FactKind, eval_rows, fact_kinds, fact_names, register, unregister
from kaifaqu_llm.core.matching import names_match
from kaifaqu_llm.core.record import ProfileRecord
from kaifaqu_llm.core.schema import ArticleProfile
from kaifaqu_llm.evaluate.gold import load_gold
from kaifaqu_llm.evaluate.scores import format_table, score_profiles
from kaifaqu_llm.extract.chunking import merge_chunk_profiles
from kaifaqu_llm.ground.records import build_record
from kaifaqu_llm.outputs.export import TABLES, write_csv, write_sqlite
from kaifaqu_llm.outputs.report import render_report
from kaifaqu_llm.zones.registry import build_registry, write_zones

PACKAGE = Path(kaifaqu_llm.__file__).parent
TEXT = "甲经开区\n## 甲经开区获评示范园区\n科学导报讯 近日,甲经开区获评省级绿色示范园区,奖金50万元。\n"


class Award(Fact):
    """An award the zone received (a toy kind for these tests)."""

    name: str = Field(description="奖项名称")
    level: str | None = Field(default=None, description="级别")
    prize: float | None = Field(default=None, description="奖金（万元）")


AWARDS = FactKind(
    "awards", Award, "开发区获得的奖项", identity=("name",), label="奖项", colour="#c0ffee",
    label_fields=("name", "level"), rules=False,
    eval_rows=(EvalRow("awards", "award", names_match, ("name",)),),
)


@pytest.fixture
def awards():
    register(AWARDS)
    try:
        yield AWARDS
    finally:
        unregister(AWARDS.name)


def _chunk(*awards: dict) -> ArticleProfile:
    return ArticleProfile.model_validate({
        "zones": [{"mention": "甲经开区", "type": "经济技术开发区", "primary": True, "evidence": "甲经开区获评"}],
        "awards": list(awards),
    })


def test_a_kind_registered_at_run_time_flows_through_every_stage(awards, tmp_path):
    green = {"name": "省级绿色示范园区", "level": "省级", "prize": 50, "evidence": "获评省级绿色示范园区,奖金50万元"}
    # chunk merge: the same award from two chunks is one fact (by the kind's identity)
    merged = merge_chunk_profiles([_chunk(green), _chunk({**green, "evidence": "省级绿色示范园区"})])
    assert [type(a) for a in merged.awards] == [Award] and merged.awards[0].prize == 50.0

    # grounding and the typed record
    page = Page(source="p.txt", text=TEXT)
    article = Article(source="p.txt", index=0, title="甲经开区获评示范园区", text=TEXT, start=0, end=len(TEXT))
    record = build_record(article, merged, {"p.txt": page}, backend="custom")
    award = record["awards"][0]
    assert award["grounded"] and TEXT[award["start"]:award["end"]] == "获评省级绿色示范园区,奖金50万元"
    assert ProfileRecord.model_validate(record).model_dump(mode="json") == record

    # zone registry and zones.jsonl
    registry = build_registry([record])
    zone = next(z for z in registry if z["canonical"] == "甲经开区")
    assert [a["name"] for a in zone["awards"]] == ["省级绿色示范园区"]
    assert zone["awards"][0]["occurrences"][0]["article_index"] == 0
    line = json.loads((write_zones(tmp_path, registry)).read_text(encoding="utf-8").splitlines()[0])
    assert line["awards"][0]["name"] == "省级绿色示范园区"

    # CSV and SQLite: a table with the model's columns, a count per zone, SQL types from the model
    assert TABLES["awards"][4:] == ["zone_id", "name", "level", "prize", "evidence", "grounded", "start", "end"]
    write_csv(tmp_path, [record], registry)
    with (tmp_path / "awards.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["name"], r["prize"], r["zone_id"]) for r in rows] == [("省级绿色示范园区", "50.0", zone["zone_id"])]
    with (tmp_path / "zones.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert next(csv.DictReader(handle))["n_awards"] == "1"
    connection = sqlite3.connect(write_sqlite(tmp_path, [record], registry))
    try:
        types = {row[1]: row[2] for row in connection.execute('PRAGMA table_info("awards")')}
        assert types["prize"] == "REAL" and types["name"] == "TEXT"
        assert connection.execute("SELECT name, prize FROM awards").fetchall() == [("省级绿色示范园区", 50.0)]
    finally:
        connection.close()

    # the review page: highlighted with the kind's label and colour, a filter box, a zone-table column
    html = render_report([record], {"p.txt": TEXT}, registry)
    assert 'class="hl c-awards"' in html and "--awards:#c0ffee;" in html
    assert 'value="awards" checked' in html and "<th>奖项</th>" in html

    # kaifaqu eval: a row of its own, matched by the kind's matcher
    gold = tmp_path / "gold"
    gold.mkdir()
    article_gold = {"index": 0, "title": "甲经开区获评示范园区", "body_start": "", "body_end": "", "authors": [],
                    "awards": [{"name": "绿色示范园区"}, {"name": "五星级园区"}]}
    (gold / "p.json").write_text(json.dumps({"source": "p.txt", "articles": [article_gold]}), encoding="utf-8")
    scores = score_profiles(load_gold(gold), [record])
    assert {k: scores["overall"]["awards"][k] for k in ("tp", "fp", "fn")} == {"tp": 1, "fp": 0, "fn": 1}
    assert "awards" in format_table(scores)


def test_unregistering_a_kind_removes_it_everywhere(awards):
    unregister(awards.name)
    try:
        assert "awards" not in fact_names() and "awards" not in TABLES
        profile = ArticleProfile.model_validate({"awards": [{"name": "x", "evidence": "x"}]})
        assert "awards" not in profile.model_dump()
    finally:
        register(awards)


def test_builtin_kinds_are_the_profile_record_and_table_fields():
    names = [kind.name for kind in fact_kinds()]
    assert names == ["zones", "industries", "indicators", "projects", "organizations", "people", "events"]
    assert list(ArticleProfile.model_fields) == [*names, "summary"]
    assert [n for n in ProfileRecord.model_fields if n in names] == names
    assert list(TABLES) == ["articles", "zones", "article_zones", *(k.name for k in fact_kinds() if k.attributed)]
    assert [row.name for row in eval_rows()] == [
        "zones", "industries", "indicators", "indicators_named", "projects", "organizations", "people", "events"]


def _kind_literals(path: Path) -> set[str]:
    names = set(fact_names())
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names}


def test_no_module_lists_the_kinds_by_hand():
    """Only the registry names several kinds as strings; a module naming one (``"zones"``) is about that kind."""
    offenders = {str(path.relative_to(PACKAGE)): sorted(found) for path in PACKAGE.rglob("*.py")
                 if path.name != "facts.py" and len(found := _kind_literals(path)) > 1}
    assert offenders == {}
