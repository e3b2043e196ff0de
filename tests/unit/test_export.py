"""CSV and SQLite exports: Excel-safe Chinese, real keys and foreign keys, atomic re-runs."""

from __future__ import annotations

import csv
import os
import sqlite3
from pathlib import Path

import pytest

from kaifaqu_llm.outputs import export as _export
from kaifaqu_llm.outputs.export import TABLES, article_id, write_csv, write_sqlite
from kaifaqu_llm.outputs.files import read_profiles
from kaifaqu_llm.zones.registry import build_registry

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "zones_out"
FACT_TABLES = ("industries", "indicators", "projects", "organizations", "people", "events")


@pytest.fixture()
def records() -> list[dict]:
    return read_profiles(FIXTURE / "profiles.jsonl")


@pytest.fixture()
def registry(records) -> list[dict]:
    return build_registry(records)


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_tables_have_bom_and_chinese_round_trips(tmp_path, records, registry):
    paths = write_csv(tmp_path, records, registry)
    assert sorted(p.name for p in paths) == sorted(f"{t}.csv" for t in TABLES)
    for path in paths:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path.name
        with open(path, encoding="utf-8-sig", newline="") as handle:
            assert next(csv.reader(handle)) == TABLES[path.stem]
    zones = _read_csv(tmp_path / "zones.csv")
    jincheng = next(z for z in zones if z["canonical"] == "晋城经济技术开发区")
    # 晋城 has three indicators, one of them ungrounded: not counted (nor exported) unless asked
    assert jincheng["aliases"] == "晋城经开区" and jincheng["city"] == "晋城" and jincheng["n_indicators"] == "2"
    indicators = _read_csv(tmp_path / "indicators.csv")
    assert len(indicators) == sum(1 for r in records for f in r["indicators"] if f["grounded"])
    assert all(row["grounded"] == "1" for row in indicators)
    first = indicators[0]
    assert first["evidence"] == "全区规模以上工业增加值总量114.0亿元，同比增长5.0%"
    assert first["article_id"] == "page_a.txt#0" and first["zone_id"] == jincheng["zone_id"]


def test_csv_keys_tie_facts_to_articles_and_zones(tmp_path, records, registry):
    write_csv(tmp_path, records, registry)
    article_ids = {a["article_id"] for a in _read_csv(tmp_path / "articles.csv")}
    zone_ids = {z["zone_id"] for z in _read_csv(tmp_path / "zones.csv")}
    assert article_ids == {article_id(r["source"], r["article_index"]) for r in records}
    for table in FACT_TABLES:
        for row in _read_csv(tmp_path / f"{table}.csv"):
            assert row["article_id"] in article_ids
            assert row["zone_id"] in zone_ids or (row["zone_id"] == "" and row["article_id"] == "page_b.txt#1")
            assert row["source"] and row["article_index"].isdigit()
    links = _read_csv(tmp_path / "article_zones.csv")
    # one link per (article, zone): page_b#0 names the reform zone twice (primary) and 晋城 in passing
    page_b = sorted((link["mention"], link["is_primary"]) for link in links if link["article_id"] == "page_b.txt#0")
    assert page_b == [("山西转型综合改革示范区", "1"), ("晋城经济技术开发区", "0")]


def test_sqlite_keys_foreign_keys_and_counts(tmp_path, records, registry):
    path = write_sqlite(tmp_path, records, registry)
    assert path == tmp_path / "kaifaqu.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA foreign_keys=ON")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    for table in FACT_TABLES:
        (count,) = db.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert count == sum(1 for r in records for f in r[table] if f["grounded"]), table
        targets = {row[2] for row in db.execute(f"PRAGMA foreign_key_list({table})")}
        assert targets == {"articles", "zones"}
        assert {row[1] for row in db.execute(f"PRAGMA index_list({table})")} >= {f"ix_{table}_article", f"ix_{table}_zone"}
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (len(records),)
    assert db.execute("SELECT count(*) FROM zones").fetchone() == (3,)

    # Chinese and numbers round-trip; the join goes through the keys
    rows = db.execute(
        "SELECT z.canonical, i.name, i.value, i.unit, i.start FROM indicators i JOIN zones z USING (zone_id) "
        "WHERE i.name = '规模以上工业增加值' ORDER BY i.source"
    ).fetchall()
    assert rows == [("晋城经济技术开发区", "规模以上工业增加值", 114.0, "亿元", 61),
                    ("晋城经济技术开发区", "规模以上工业增加值", 114.0, "亿元", 72)]
    (unassigned,) = db.execute("SELECT count(*) FROM organizations WHERE zone_id IS NULL").fetchone()
    assert unassigned == 1

    # foreign keys are enforced, not decorative
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO indicators (article_id, name) VALUES ('nowhere.txt#9', 'x')")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO article_zones (article_id, zone_id) VALUES ('page_a.txt#0', 'no-such-zone')")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO articles (article_id, source, article_index) VALUES ('page_a.txt#0', 'page_a.txt', 0)")
    db.close()


def test_rerun_replaces_files_and_leaves_no_temp_files(tmp_path, records, registry):
    write_csv(tmp_path, records, registry)
    write_sqlite(tmp_path, records, registry)
    fewer = [r for r in records if r["source"] == "page_a.txt"]
    write_csv(tmp_path, fewer, build_registry(fewer))
    write_sqlite(tmp_path, fewer, build_registry(fewer))
    assert len(_read_csv(tmp_path / "articles.csv")) == 2
    db = sqlite3.connect(tmp_path / "kaifaqu.sqlite")
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (2,)
    db.close()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "kaifaqu.sqlite").stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


def test_crash_mid_write_keeps_the_old_files(tmp_path, records, registry, monkeypatch):
    write_csv(tmp_path, records, registry)
    write_sqlite(tmp_path, records, registry)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    # a crash while the SQLite rows are being inserted
    real = _export._Attribution

    class Unwritable(real):
        def __init__(self, *args):
            super().__init__(*args)
            self.zone_rows = [*self.zone_rows, {"zone_id": object()}]

    monkeypatch.setattr(_export, "_Attribution", Unwritable)
    with pytest.raises(sqlite3.Error):
        write_sqlite(tmp_path, records, registry)
    # a crash while a CSV is being written out
    monkeypatch.setattr(_export, "_Attribution", real)
    monkeypatch.setattr(os, "fsync", explode)
    with pytest.raises(RuntimeError):
        write_csv(tmp_path, records[:1], registry)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before
    sqlite3.connect(tmp_path / "kaifaqu.sqlite").execute("SELECT count(*) FROM articles").fetchone()


def test_dangling_zone_reference_fails_the_sqlite_write(tmp_path, records, registry, monkeypatch):
    # rows pointing at a zone that has no row must fail the write, not produce a database with dangling keys
    class WithoutYanhu(_export._Attribution):
        def __init__(self, *args):
            super().__init__(*args)
            self.zone_rows = [z for z in self.zone_rows if z["canonical"] != "盐湖高新技术产业园"]

    monkeypatch.setattr(_export, "_Attribution", WithoutYanhu)
    with pytest.raises(sqlite3.IntegrityError):
        write_sqlite(tmp_path, records, registry)
    assert list(tmp_path.iterdir()) == []
