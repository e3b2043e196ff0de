"""OUT/profiles.jsonl: atomic writes, merging across runs, several processes at once."""

import json
import multiprocessing
from pathlib import Path

import pytest

from kaifaqu_llm.core.errors import InputError
from kaifaqu_llm.outputs.files import atomic_write_text, merge_profiles, read_profiles


def _records(source, n, tag="a"):
    return [{"source": source, "article_index": i, "title": f"{tag}{i}", "note": "中文"} for i in range(n)]


def test_merge_replaces_a_pages_records_and_keeps_the_others(tmp_path):
    merge_profiles(tmp_path, _records("p1.txt", 3) + _records("p2.txt", 2), ["p1.txt", "p2.txt"])
    merged = merge_profiles(tmp_path, _records("p1.txt", 1, "b"), ["p1.txt"])
    assert [(r["source"], r["title"]) for r in merged] == [("p1.txt", "b0"), ("p2.txt", "a0"), ("p2.txt", "a1")]
    on_disk = read_profiles(tmp_path / "profiles.jsonl")
    assert on_disk == merged
    assert "中文" in (tmp_path / "profiles.jsonl").read_text(encoding="utf-8")


def test_atomic_write_leaves_no_temp_and_keeps_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "x.txt"
    atomic_write_text(target, "old")

    def boom(*_):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "profiles.jsonl"
    path.write_text('{"source": "a", "article_index": 0}\n{broken\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"profiles.jsonl:2: not a JSON record"):
        read_profiles(path)


def test_damaged_profiles_file_is_set_aside_not_lost(tmp_path):
    (tmp_path / "profiles.jsonl").write_text("garbage\n", encoding="utf-8")
    merge_profiles(tmp_path, _records("p.txt", 1), ["p.txt"])
    assert (tmp_path / "profiles.jsonl.damaged").read_text() == "garbage\n"
    assert len(read_profiles(tmp_path)) == 1


def _writer(out, source, rounds):
    for r in range(rounds):
        merge_profiles(out, _records(source, 5, f"r{r}-"), [source])


def test_two_processes_merging_into_one_out_lose_nothing(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), f"page{k}.txt", 15)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    records = read_profiles(tmp_path)
    assert sorted((r["source"], r["article_index"]) for r in records) == sorted(
        (f"page{k}.txt", i) for k in range(2) for i in range(5)
    )
    assert all(r["title"].startswith("r14-") for r in records)
    lines = (tmp_path / "profiles.jsonl").read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line) for line in lines) and len(lines) == 10
