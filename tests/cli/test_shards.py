"""Deterministic shards and resume: the sharded driver with the local engine, against the fake server (no Ray)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections import Counter

import pytest

from kaifaqu_llm.run.batch import BatchConfig, article_rows
from kaifaqu_llm.core.errors import ConfigError
from kaifaqu_llm.pages.reader import read_page
from kaifaqu_llm.run.shards import (
    BatchOptions,
    extract_batch,
    local_engine,
    plan_shards,
    read_shard,
    shard_of,
    shard_paths,
)
from tests.support.cli_harness import CONTRACT_KEYS, kaifaqu, read_jsonl_strictly
from tests.conftest import FAST_RETRY, REPO
from tests.support.fake_openai_server import FakeOpenAIServer, server_error

SEEDS = sorted((REPO / "seeds").glob("*.txt"))
SHARDS = 4


def _config(server: FakeOpenAIServer, tmp_path, **values) -> BatchConfig:
    return BatchConfig(base_urls=(server.url,), model="fake-model", mode="JSON_SCHEMA", retry=FAST_RETRY,
                       timeout=5.0, cache_dir=str(tmp_path / "cache"), **values)


def _options(**values) -> BatchOptions:
    return BatchOptions(**{"shards": SHARDS, "max_in_flight": 4, "stitch": False, **values})


def _files(out) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "shards").iterdir())}


def test_shard_of_is_a_stable_hash_mod_n() -> None:
    source = "2024-05-30_3.txt"
    expected = int(hashlib.sha256(source.encode()).hexdigest()[:16], 16) % 16
    assert shard_of(source, 16) == expected
    counts = Counter(shard_of(f"page-{i}.txt", 8) for i in range(4000))
    assert set(counts) == set(range(8)) and min(counts.values()) > 400  # roughly even
    assert shard_paths("OUT", 3, 16)[0].as_posix() == "OUT/shards/part-00003-of-00016.jsonl"


def test_plan_digest_follows_rows_and_settings(tmp_path) -> None:
    rows = article_rows([read_page(p) for p in SEEDS], stitch=False)
    plans = plan_shards(rows, tmp_path, SHARDS, "fp")
    assert sorted(r["doc_id"] for p in plans for r in p.rows) == sorted(r["doc_id"] for r in rows)
    assert all(shard_of(r["source"], SHARDS) == p.index for p in plans for r in p.rows)  # whole pages
    assert not any(p.done for p in plans)
    again = plan_shards(list(reversed(rows)), tmp_path, SHARDS, "fp")
    assert [p.digest for p in again] == [p.digest for p in plans]  # order of arrival does not matter
    other = plan_shards(rows, tmp_path, SHARDS, "another model")
    assert all(a.digest != b.digest for a, b in zip(plans, other))
    edited = [dict(r, article_json=r["article_json"].replace("园区", "园")) if i == 0 else r
              for i, r in enumerate(rows)]
    changed = {p.index for p, q in zip(plans, plan_shards(edited, tmp_path, SHARDS, "fp")) if p.digest != q.digest}
    assert changed == {shard_of(rows[0]["source"], SHARDS)}
    with pytest.raises(ConfigError):
        plan_shards(rows, tmp_path, 0, "fp")


def test_rerun_skips_finished_shards_asks_nothing_and_writes_the_same_output(tmp_path) -> None:
    out = tmp_path / "out"
    with FakeOpenAIServer() as server:
        config = _config(server, tmp_path)
        first = extract_batch(SEEDS, out, config, _options(formats=("csv",)))
        asked = len(server.requests)
        assert first.ok and first.shards_skipped == 0 and first.articles_run == len(first.records) > 10
        profiles = (out / "profiles.jsonl").read_bytes()
        shards = _files(out)
        assert len(shards) == 2 * SHARDS
        second = extract_batch(SEEDS, out, config, _options(formats=("csv",)))
        assert len(server.requests) == asked
        assert second.shards_skipped == SHARDS and second.articles_run == 0
        assert (out / "profiles.jsonl").read_bytes() == profiles and _files(out) == shards
        # lost shard files: those shards run again, served by the cache
        shutil.rmtree(out / "shards")
        third = extract_batch(SEEDS, out, config, _options(formats=("csv",)))
        assert len(server.requests) == asked and third.articles_run == len(first.records)
    records = read_jsonl_strictly(out / "profiles.jsonl")
    assert all(r["usage"]["cache_hit"] for r in records)  # the only difference: what each record cost
    strip = lambda rs: [{k: v for k, v in r.items() if k != "usage"} for r in rs]  # noqa: E731
    assert strip(records) == strip(first.records)
    assert all(CONTRACT_KEYS <= set(r) and r["error"] is None for r in records)
    assert len({(r["source"], r["article_index"]) for r in records}) == len(records)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [p["source"] for p in manifest["pages"]] == [p.name for p in SEEDS]
    assert (out / "zones.jsonl").is_file() and (out / "zones.csv").is_file()
    assert not list(out.rglob("*.tmp"))


def test_a_killed_run_resumes_with_the_shards_it_finished(tmp_path) -> None:
    out = tmp_path / "out"
    with FakeOpenAIServer() as server:
        config = _config(server, tmp_path)

        def dies_midway(rows, cfg, options, on_rows):
            delivered = []

            def count(batch):
                on_rows(batch)
                delivered.extend(batch)
                if len(delivered) >= len(rows) // 2:
                    raise KeyboardInterrupt  # a killed driver

            local_engine(rows, cfg, options, count)

        with pytest.raises(KeyboardInterrupt):
            extract_batch(SEEDS, out, config, _options(batch_size=2), engine=dies_midway)
        finished = {p.name for p in (out / "shards").glob("*.done")}
        assert 0 < len(finished) < SHARDS
        asked = len(server.requests)
        resumed = extract_batch(SEEDS, out, config, _options())
        assert resumed.ok and resumed.shards_skipped == len(finished)
        # the unfinished shards ran again; articles answered before the kill came from the cache
        assert len(server.requests) - asked <= resumed.articles_run
        total = len(server.requests)
    fresh = extract_batch(SEEDS, tmp_path / "fresh", config, _options())
    strip = lambda rs: [{k: v for k, v in r.items() if k != "usage"} for r in rs]  # noqa: E731
    assert strip(resumed.records) == strip(fresh.records)
    assert total >= len(fresh.records)


def test_failed_articles_carry_errors_and_only_their_shards_run_again(tmp_path) -> None:
    out = tmp_path / "out"
    with FakeOpenAIServer() as server:
        server.push(*[server_error(500)] * FAST_RETRY.attempts)  # the first article asked fails for good
        config = _config(server, tmp_path, max_in_flight=1)
        first = extract_batch(SEEDS, out, config, _options(max_in_flight=1))
        assert not first.ok and len(first.article_errors) == 1
        failed = first.article_errors[0]
        assert "HTTP 500" in failed["error"] and failed["zones"] == []
        bad_shard = shard_of(failed["source"], SHARDS)
        manifest = json.loads(shard_paths(out, bad_shard, SHARDS)[1].read_text(encoding="utf-8"))
        assert manifest["errors"] == 1
        asked = len(server.requests)
        second = extract_batch(SEEDS, out, config, _options(max_in_flight=1))
        assert second.ok and second.shards_skipped == SHARDS - 1
        assert len(server.requests) == asked + 1  # only the failed article is asked again
    assert [r for r in read_shard(out, bad_shard, SHARDS) if r["error"]] == []


def test_a_stale_manifest_does_not_skip_a_changed_shard(tmp_path) -> None:
    out = tmp_path / "out"
    first = extract_batch(SEEDS, out, BatchConfig(backend="rules"), _options())
    done = shard_paths(out, 0, SHARDS)[1]
    done.write_text(json.dumps({**json.loads(done.read_text()), "input_digest": "0" * 64}), encoding="utf-8")
    second = extract_batch(SEEDS, out, BatchConfig(backend="rules"), _options())
    assert second.shards_skipped == SHARDS - 1 and second.records == first.records
    strict = extract_batch(SEEDS, out, BatchConfig(backend="rules", strict=True), _options())
    assert strict.shards_skipped == 0, "a setting that shapes records must invalidate every shard"


def test_cli_engine_local_with_two_replicas(tmp_path) -> None:
    out = tmp_path / "out"
    with FakeOpenAIServer() as one, FakeOpenAIServer() as two:
        args = ["extract", *SEEDS, "-o", out, "--engine", "local", "--shards", "3", "--max-in-flight", "4",
                "--backend", "llm", "--model", "fake", "--base-url", f"{one.url},{two.url}",
                "--cache-dir", tmp_path / "cache", "-q", "--segmenter", "layout"]  # balance of the articles' requests
        run = kaifaqu(*args)
        assert run.returncode == 0, run.stderr
        assert one.requests and two.requests
        assert abs(len(one.requests) - len(two.requests)) <= 2
        again = kaifaqu(*args)
        assert again.returncode == 0 and "0 of 3 shard(s) run" in again.stderr
        single = kaifaqu("extract", *SEEDS, "-o", tmp_path / "single", "--base-url", f"{one.url},{two.url}",
                         "--model", "fake", "-q")
        assert single.returncode == 2 and "--engine" in single.stderr
    assert len(list((out / "shards").glob("part-*-of-00003.jsonl"))) == 3
    assert read_jsonl_strictly(out / "profiles.jsonl")


def test_engine_ray_without_ray_installed_says_how_to_install_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(ConfigError, match=r"pip install 'kaifaqu-llm\[ray\]'"):
        extract_batch(SEEDS, tmp_path / "out", BatchConfig(backend="rules"), _options(engine="ray"))
    with pytest.raises(ConfigError):
        BatchOptions(engine="spark")
    with pytest.raises(ConfigError):
        BatchOptions(actors=(3, 2))
