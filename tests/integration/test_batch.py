"""The engine-agnostic batch core: article rows → profile rows, against the fake server over real HTTP (no Ray)."""

from __future__ import annotations

import asyncio
import json
import pickle
from pathlib import Path

import pytest

from kaifaqu_llm import ExtractOptions, extract
from kaifaqu_llm.run.batch import (
    BatchConfig,
    article_rows,
    close_workers,
    doc_id_of,
    extract_rows,
    per_worker_in_flight,
    row_article,
)
from kaifaqu_llm.extract.llm.config import ModelConfig
from kaifaqu_llm.core.errors import ConfigError
from kaifaqu_llm.pages.reader import read_page
from kaifaqu_llm.pages.segment import segment
from tests.conftest import FAST_RETRY, REPO, TEST_API_KEY
from tests.support.fake_openai_server import FakeOpenAIServer, profile_reply, rate_limited, server_error, status_reply

SEEDS = sorted((REPO / "seeds").glob("*.txt"))


def _pages():
    return [read_page(p) for p in SEEDS]


def _config(*urls: str, tmp_path: Path, **values) -> BatchConfig:
    values = {"model": "fake-model", "mode": "JSON_SCHEMA", "retry": FAST_RETRY, "timeout": 5.0,
              "cache_dir": str(tmp_path / "cache"), **values}
    return BatchConfig(base_urls=urls, **values)


def _run(rows, config):
    async def go():
        try:
            return await extract_rows(rows, config)
        finally:
            await close_workers()

    return asyncio.run(go())


def _strip_usage(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "usage"}


def test_rows_round_trip_to_the_same_articles_and_page_absolute_regions() -> None:
    pages = _pages()
    rows = article_rows(pages, stitch=True)
    assert len({r["doc_id"] for r in rows}) == len(rows)
    by_source = {p.source: p for p in pages}
    stitched = 0
    for row in rows:
        assert set(row) == {"doc_id", "source", "article_index", "article_json", "regions_json"}
        article, views = row_article(json.loads(json.dumps(row)))  # rows survive a JSON (or Arrow) trip
        assert row["doc_id"] == doc_id_of(article) == f"{article.source}#{article.index}"
        stitched += len(article.parts) > 1
        for source, start, end in article.parts or ((article.source, article.start, article.end),):
            # the view has the page's own characters at the page's own offsets
            assert views[source].text[start:end] == by_source[source].text[start:end]
    assert len(rows) == sum(len(segment(p)) for p in pages) - stitched


def test_rules_rows_give_the_records_of_the_single_process_path(tmp_path) -> None:
    single = extract(SEEDS, None, options=ExtractOptions(backend="rules"))
    profile_rows = _run(article_rows(_pages()), BatchConfig(backend="rules"))
    records = [json.loads(p["record_json"]) for p in profile_rows]
    assert [p["error"] for p in profile_rows] == [None] * len(records)
    assert records == single.records  # same grounding offsets, same facts, same order


def test_llm_rows_match_single_process_records_and_share_its_cache(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        config = _config(server.url, tmp_path=tmp_path)
        profile_rows = _run(article_rows(_pages()), config)
        asked = len(server.requests)
        assert asked >= len(profile_rows) > 10
        assert all(p["error"] is None and len(p["cache_key"]) == 64 for p in profile_rows)
        # the single-process path computes the same cache keys: it asks nothing
        model = ModelConfig(model="fake-model", base_url=server.url, mode="JSON_SCHEMA", retry=FAST_RETRY)
        single = extract(SEEDS, None, config=model,
                         options=ExtractOptions(backend="llm", cache_dir=str(tmp_path / "cache")))
        assert len(server.requests) == asked
    records = [json.loads(p["record_json"]) for p in profile_rows]
    assert [_strip_usage(r) for r in records] == [_strip_usage(r) for r in single.records]
    grounded = [f for r in records for f in r["zones"] if f["grounded"]]
    assert grounded, "the fake server quotes the article: its zones must ground"
    text = {p.source: p.text for p in _pages()}
    for record in records:
        for fact in record["zones"] + record["indicators"]:
            if fact["grounded"]:
                source = fact.get("evidence_source", record["source"])
                assert fact["start"] is not None and text[source][fact["start"]:fact["end"]]


def test_config_pickles_without_the_key_and_workers_read_it_from_their_env(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("KAIFAQU_TEST_KEY", TEST_API_KEY)
    with FakeOpenAIServer() as server:
        config = _config(server.url, tmp_path=tmp_path, api_key_env="KAIFAQU_TEST_KEY")
        blob = pickle.dumps(config)
        assert TEST_API_KEY.encode() not in blob and pickle.loads(blob) == config
        assert hash(config) == hash(pickle.loads(blob))
        _run(article_rows(_pages())[:2], config)
        assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {TEST_API_KEY}"}
    cached = b"".join(p.read_bytes() for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert TEST_API_KEY.encode() not in cached


def test_max_in_flight_bounds_all_concurrent_batches_of_one_worker(tmp_path) -> None:
    rows = article_rows(_pages(), stitch=False)
    with FakeOpenAIServer(latency=0.05) as server:
        config = _config(server.url, tmp_path=tmp_path, max_in_flight=3, use_cache=False)

        async def go():
            halves = await asyncio.gather(extract_rows(rows[::2], config), extract_rows(rows[1::2], config))
            await close_workers()
            return halves

        first, second = asyncio.run(go())
        assert server.max_in_flight == 3  # reached, never exceeded
    assert len(first) + len(second) == len(rows)
    assert [p["doc_id"] for p in first] == [r["doc_id"] for r in rows[::2]]  # in input order


def test_global_budget_split_per_worker() -> None:
    assert per_worker_in_flight(32, 2) == 16
    assert per_worker_in_flight(32, 3) == 11
    assert per_worker_in_flight(1, 4) == 1
    with pytest.raises(ConfigError):
        per_worker_in_flight(0, 2)


def test_replicas_are_round_robined_and_share_cache_keys(tmp_path) -> None:
    rows = article_rows(_pages(), stitch=False)[:8]
    with FakeOpenAIServer() as one, FakeOpenAIServer() as two:
        both = _run(rows, _config(one.url, two.url, tmp_path=tmp_path))
        assert len(one.requests) == len(two.requests) == 4
        # a run against the first replica alone finds every answer in the cache
        alone = _run(rows, _config(one.url, tmp_path=tmp_path))
        assert len(one.requests) == 4
    assert [p["cache_key"] for p in both] == [p["cache_key"] for p in alone]
    assert all(json.loads(p["record_json"])["usage"]["cache_hit"] for p in alone)


def test_rate_limits_are_retried_and_failures_stay_in_their_row(tmp_path) -> None:
    rows = article_rows(_pages(), stitch=False)[:4]
    fatal = status_reply(400, body={"error": {"message": "bad request", "type": "invalid_request_error"}})
    with FakeOpenAIServer(script=[rate_limited(retry_after=0), server_error(503), profile_reply(), fatal]) as server:
        config = _config(server.url, tmp_path=tmp_path, max_in_flight=1)
        profile_rows = _run(rows, config)
    records = [json.loads(p["record_json"]) for p in profile_rows]
    assert records[0]["error"] is None and records[0]["usage"]["retries"] == 2  # 429, 503, then an answer
    assert "HTTP 400" in profile_rows[1]["error"] and records[1]["error"] == profile_rows[1]["error"]
    assert records[1]["zones"] == [] and records[1]["source"] == rows[1]["source"]
    assert [r["error"] for r in records[2:]] == [None, None]


def test_a_bad_row_is_an_error_row_and_the_batch_goes_on(tmp_path) -> None:
    rows = article_rows(_pages(), stitch=False)[:3]
    broken = dict(rows[1], article_json="{not json")
    profile_rows = _run([rows[0], broken, rows[2]], BatchConfig(backend="rules"))
    assert profile_rows[1]["record_json"] is None and "bad article row" in profile_rows[1]["error"]
    assert profile_rows[0]["error"] is None and profile_rows[2]["error"] is None


def test_workers_are_rebuilt_on_a_new_event_loop(tmp_path) -> None:
    rows = article_rows(_pages(), stitch=False)[:3]
    with FakeOpenAIServer() as server:
        config = _config(server.url, tmp_path=tmp_path, use_cache=False)
        first = asyncio.run(extract_rows(rows, config))  # no close: the loop dies with its clients
        second = _run(rows, config)
        assert len(server.requests) == 6
    assert [p["error"] for p in first + second] == [None] * 6


def test_config_validation_and_backend_choice() -> None:
    with pytest.raises(ConfigError):
        BatchConfig(backend="llm")  # no model
    with pytest.raises(ConfigError):
        BatchConfig(backend="rules", max_in_flight=0)
    with pytest.raises(ConfigError):
        BatchConfig(backend="magic")
    local = ModelConfig(model="m", base_url="http://127.0.0.1:9/v1")
    config, note = BatchConfig.resolve(local, "auto", max_in_flight=4)
    assert config.backend == "llm" and config.base_urls == ("http://127.0.0.1:9/v1",) and "llm" in note
    assert BatchConfig.resolve(ModelConfig(), "auto")[0].backend == "rules"
    with pytest.raises(ConfigError):
        BatchConfig.resolve(ModelConfig(), "hybrid")
    replicas, _ = BatchConfig.resolve(local, "llm", base_urls=["http://127.0.0.1:9/v1/", "http://127.0.0.1:10/v1"])
    assert replicas.base_urls == ("http://127.0.0.1:9/v1", "http://127.0.0.1:10/v1")
    # replicas, budget and cache place do not change what a record says; the model does
    assert replicas.fingerprint() == config.fingerprint()
    assert BatchConfig.resolve(local.with_(model="other"), "llm")[0].fingerprint() != config.fingerprint()
