"""The profile cache: canonical keys, JSON values (never pickles), several processes at once."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

from kaifaqu_llm.extract.cache import ProfileCache, cache_key, canonical_json

PROFILE = {"zones": [{"mention": "晋城经开区", "evidence": "晋城经开区规上工业增加值114.0亿元"}], "summary": "摘要"}


def test_key_is_sha256_of_canonical_json() -> None:
    a = cache_key({"model": "m", "article": {"text": "开发区", "title": None}, "params": {"temperature": 0.0}})
    b = cache_key({"params": {"temperature": 0.0}, "article": {"title": None, "text": "开发区"}, "model": "m"})
    assert a == b and len(a) == 64 and int(a, 16) >= 0
    assert cache_key({"model": "m", "article": {"text": "开发区。"}}) != cache_key({"model": "m", "article": {"text": "开发区"}})
    assert canonical_json({"b": 1, "a": "经开区"}) == '{"a":"经开区","b":1}'  # sorted, compact, CJK unescaped


def test_round_trip_and_miss(tmp_path: Path) -> None:
    with ProfileCache(tmp_path / "c") as cache:
        assert cache.get("absent") is None
        cache.set("k", PROFILE)
        assert cache.get("k") == PROFILE and "k" in cache and len(cache) == 1
        cache.set("k", {"summary": "新"})
        assert cache.get("k") == {"summary": "新"}
    with ProfileCache(tmp_path / "c") as reopened:
        assert reopened.get("k") == {"summary": "新"}


def test_values_are_json_text_never_pickles(tmp_path: Path) -> None:
    with ProfileCache(tmp_path) as cache:
        cache.set("k", PROFILE)
    rows = sqlite3.connect(tmp_path / "cache.db").execute("SELECT key, mode, value FROM Cache").fetchall()
    assert rows, "nothing stored"
    for key, mode, value in rows:
        assert isinstance(key, str)
        assert mode in (1, 3), "diskcache MODE_RAW / MODE_TEXT; 4 would be MODE_PICKLE"
        assert "晋城经开区" in value  # readable JSON, CJK unescaped


def test_unreadable_value_is_a_miss(tmp_path: Path) -> None:
    import diskcache

    with diskcache.Cache(str(tmp_path)) as raw:
        raw.set("broken", "{not json")
        raw.set("list", "[1, 2]")
    with ProfileCache(tmp_path) as cache:
        assert cache.get("broken") is None and cache.get("list") is None


def _writer(directory: str, worker: int, count: int) -> None:
    with ProfileCache(Path(directory)) as cache:
        for i in range(count):
            cache.set(f"{worker}-{i}", {"worker": worker, "i": i, "text": "开发区" * 50})
            cache.get(f"{(worker + 1) % 4}-{i}")


def test_several_processes_share_one_directory(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_writer, args=(str(tmp_path), w, 50)) for w in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    with ProfileCache(tmp_path) as cache:
        assert len(cache) == 200
        assert all(cache.get(f"{w}-{i}")["i"] == i for w in range(4) for i in range(50))


def test_a_failing_cache_never_fails_the_caller(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    import shutil

    directory = tmp_path / "cache"
    cache = ProfileCache(directory)
    cache.set("k", PROFILE)
    cache.close()
    shutil.rmtree(directory)
    directory.write_text("a file where the cache directory was", encoding="utf-8")  # reconnecting must fail
    assert cache.get("k") is None
    cache.set("k", PROFILE)  # logged, not raised
    assert "read failed" in caplog.text and "write failed" in caplog.text
