"""Two ``kaifaqu extract`` processes at once over one cache directory and one OUT: nothing lost, nothing torn."""

from __future__ import annotations

from collections import Counter

import pytest

from kaifaqu_llm.extract.cache import ProfileCache
from tests.support.cli_harness import CONTRACT_KEYS, article_texts, kaifaqu, llm_args, read_jsonl_strictly, start_kaifaqu
from tests.conftest import REPO
from tests.support.fake_openai_server import FakeOpenAIServer

PAGES = sorted((REPO / "seeds").glob("*.txt"))
FIRST, SECOND = PAGES[:3], PAGES[2:]  # page 2 is extracted by both


@pytest.mark.slow
def test_two_processes_share_cache_and_out(tmp_path) -> None:
    union = article_texts(PAGES, stitch=False)
    out, cache = tmp_path / "out", tmp_path / "cache"
    with FakeOpenAIServer(latency=0.03) as server:
        common = ["-o", out, *llm_args(server, concurrency=3), "--cache-dir", cache, "--no-stitch",
                  "--format", "csv", "--format", "sqlite"]
        procs = [start_kaifaqu("extract", *pages, *common) for pages in (FIRST, SECOND)]
        results = [proc.communicate(timeout=120) for proc in procs]
        for proc, (_, stderr) in zip(procs, results):
            assert proc.returncode == 0, stderr
        asked = len(server.requests)

        records = read_jsonl_strictly(out / "profiles.jsonl")
        keys = Counter((r["source"], r["article_index"]) for r in records)
        assert set(keys) == set(union), "an article of one of the runs is missing"
        assert max(keys.values()) == 1, "an article is in profiles.jsonl twice"
        assert all(CONTRACT_KEYS <= set(r) and r["error"] is None for r in records)
        # each process asked at most once per article it had; the shared page may have been asked twice
        overlap = sum(1 for source, _ in union if source == PAGES[2].name)
        assert len(union) <= asked <= len(union) + overlap
        assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]

        # the shared cache is whole: every entry reads back, and a third run is served from it alone (a shard
        # either process finished with exactly the third run's pages is skipped whole, its lines kept as they were)
        with ProfileCache(cache) as shared:
            assert len(shared) == len(union)
        third = kaifaqu("extract", *PAGES, *common)
        assert third.returncode == 0, third.stderr
        assert len(server.requests) == asked, "the third run asked the server again"
    again = read_jsonl_strictly(out / "profiles.jsonl")
    first = {(r["source"], r["article_index"]): r for r in records}
    assert len(again) == len(union)
    assert all(r["usage"]["cache_hit"] or r == first[(r["source"], r["article_index"])] for r in again)
    strip = lambda r: {k: v for k, v in r.items() if k != "usage"}  # noqa: E731
    assert sorted(map(str, map(strip, again))) == sorted(map(str, map(strip, records)))
