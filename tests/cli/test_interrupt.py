"""Interruption: a batch stopped mid-run (SIGINT, SIGKILL) loses nothing and corrupts nothing.

After the stop, ``OUT/profiles.jsonl`` holds only complete lines of complete
pages (or the file as it was before the run). A re-run over the same cache asks
the server only for the articles that were not cached yet (shards finished
before the stop are skipped whole) and leaves exactly one line per article.
"""

from __future__ import annotations

import signal
from collections import Counter, defaultdict

import pytest

from kaifaqu_llm.extract.cache import ProfileCache
from tests.support.cli_harness import (
    CONTRACT_KEYS,
    article_texts,
    kaifaqu,
    llm_args,
    read_jsonl_strictly,
    start_kaifaqu,
    wait_until,
)
from tests.conftest import REPO
from tests.support.fake_openai_server import FakeOpenAIServer

PAGES = sorted((REPO / "seeds").glob("*.txt"))


def _pages_of(texts):
    pages = defaultdict(set)
    for source, index in texts:
        pages[source].add(index)
    return pages


def _assert_whole_pages(records, texts, before=()):
    """Every line is a record; every page present is complete; no article twice."""
    keys = Counter((r["source"], r["article_index"]) for r in records)
    assert not keys or max(keys.values()) == 1, "duplicate lines"
    by_page = _pages_of(keys)
    expected = _pages_of(texts)
    for source, indices in by_page.items():
        assert indices == expected[source], f"{source}: a page is in profiles.jsonl only in part"
    for record in records:
        assert CONTRACT_KEYS <= set(record) and record["error"] is None
    for line in before:
        assert line in records, "a line written before the run was lost"


def _cached(cache_dir) -> int:
    with ProfileCache(cache_dir) as cache:
        return len(cache)


def _rerun_completes(server, out, cache, texts):
    """Re-run the whole batch on the same server and cache; return how many articles the cache held before.

    A shard finished before the stop is skipped whole: its lines stay as they
    were (their usage too). Every other article is a cache hit when the stopped
    run cached it, and asked of the server only when it was not cached.
    """
    cached = _cached(cache)
    profiles = out / "profiles.jsonl"
    finished = {(r["source"], r["article_index"]): r for r in (read_jsonl_strictly(profiles) if profiles.exists()
                                                                else [])}
    server.latency, before = 0.0, len(server.requests)
    proc = kaifaqu("extract", *PAGES, "-o", out, *llm_args(server), "--cache-dir", cache)
    asked = len(server.requests) - before
    assert proc.returncode == 0, proc.stderr
    records = read_jsonl_strictly(out / "profiles.jsonl")
    assert len(records) == len(texts)
    assert {(r["source"], r["article_index"]) for r in records} == set(texts)
    _assert_whole_pages(records, texts)
    assert all(r["usage"]["requests"] == 0 for r in records if r["usage"]["cache_hit"])
    rerun = [r for r in records if finished.get((r["source"], r["article_index"])) != r]
    assert all(r["usage"]["cache_hit"] or r["usage"]["requests"] >= 1 for r in rerun)
    # One request per seed article: each request of the rerun is an article new to the cache, so nothing the
    # stopped run cached was asked for again (asking it again would not grow the cache).
    assert asked == _cached(cache) - cached, "an article cached by the stopped run was asked for again"
    assert len({request.article for request in server.requests[before:]}) == asked, "an article was asked twice"
    return cached


def test_sigint_keeps_finished_pages_and_the_rerun_finishes_the_rest(tmp_path) -> None:
    texts = article_texts(PAGES)
    out, cache = tmp_path / "out", tmp_path / "cache"
    with FakeOpenAIServer(latency=0.15) as server:
        proc = start_kaifaqu("extract", *PAGES, "-o", out, *llm_args(server, concurrency=2), "--cache-dir", cache)
        wait_until(lambda: len(server.requests) >= 10, what="ten requests")
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        assert "interrupted" in stderr
        assert len(server.requests) < len(texts), "the run was not stopped mid-way"
        records = read_jsonl_strictly(out / "profiles.jsonl")
        assert records, "pages finished before the interrupt were not kept"
        _assert_whole_pages(records, texts)
        cached = _rerun_completes(server, out, cache, texts)
    assert 0 < cached < len(texts)


@pytest.mark.slow
@pytest.mark.parametrize("after_requests", [5, 13])
def test_sigkill_leaves_whole_lines_and_the_rerun_finishes(tmp_path, after_requests) -> None:
    texts = article_texts(PAGES)
    out, cache = tmp_path / "out", tmp_path / "cache"
    # A page extracted by an earlier run must survive the killed run untouched. Every page is its own shard or
    # nearly (16 shards), so the killed run merges into profiles.jsonl page by page: many writes to land in.
    with FakeOpenAIServer() as server:
        earlier = kaifaqu("extract", PAGES[0], "-o", out, *llm_args(server), "--cache-dir", tmp_path / "other")
        assert earlier.returncode == 0, earlier.stderr
    before = read_jsonl_strictly(out / "profiles.jsonl")
    assert before
    with FakeOpenAIServer(latency=0.05) as server:
        proc = start_kaifaqu("extract", *PAGES[1:], "-o", out, *llm_args(server, concurrency=2), "--cache-dir", cache)
        wait_until(lambda: len(server.requests) >= after_requests, what=f"{after_requests} requests")
        proc.kill()
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        records = read_jsonl_strictly(out / "profiles.jsonl")
        _assert_whole_pages(records, texts, before=before)
        # what a kill landing inside the atomic write of profiles.jsonl leaves (it may or may not have here)
        (out / ".profiles.jsonl.k1ll3d.tmp").write_text('{"source": "half a li', encoding="utf-8")
        _rerun_completes(server, out, cache, texts)
    leftovers = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert not leftovers, f"temporary files left in OUT: {leftovers}"
