"""Ray Data smoke test: a few hundred articles through async actors on a 2-CPU local Ray, then again from cache.

Skipped when Ray is not installed (``pip install 'kaifaqu-llm[ray]'``).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest

from kaifaqu_llm import ExtractOptions, ModelConfig, extract
from kaifaqu_llm.run.batch import BatchConfig
from kaifaqu_llm.run.shards import BatchOptions, extract_batch
from tests.conftest import FAST_RETRY, REPO
from tests.support.fake_openai_server import FakeOpenAIServer

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow  # starts a Ray cluster: about 25 s

COPIES = 14  # x 5 seed pages: 350 articles
BUDGET = 32


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def _pages(tmp_path):
    """Copies of the seed pages, every number shifted by the copy's index so that cache keys differ."""
    folder = tmp_path / "pages"
    folder.mkdir()
    for k in range(COPIES):
        for seed in sorted((REPO / "seeds").glob("*.txt")):
            text = re.sub(r"\d+", lambda m: str(int(m.group()) + k), seed.read_text(encoding="utf-8"))
            (folder / f"{k:02d}-{seed.name}").write_text(text, encoding="utf-8")
    return folder


def test_ray_extracts_then_reruns_from_shards_and_cache_without_asking(tmp_path, local_ray) -> None:
    pages, out = _pages(tmp_path), tmp_path / "out"
    options = BatchOptions(engine="ray", shards=8, max_in_flight=BUDGET, actors=(2, 2), stitch=False)
    with FakeOpenAIServer(latency=0.05) as server:
        config = BatchConfig(base_urls=(server.url,), model="fake-model", mode="JSON_SCHEMA", retry=FAST_RETRY,
                             timeout=10.0, cache_dir=str(tmp_path / "cache"))
        first = extract_batch([pages], out, config, options)
        asked = len(server.requests)
        assert first.ok, first.article_errors[:1]
        assert len(first.records) >= 300 and asked >= len({r["cache_key"] for r in first.records}) > 300
        assert 4 < server.max_in_flight <= BUDGET  # many requests per actor, never past the global budget
        profiles = (out / "profiles.jsonl").read_bytes()

        again = extract_batch([pages], out, config, options)  # every shard finished: nothing to run
        assert again.shards_skipped == options.shards and len(server.requests) == asked
        assert (out / "profiles.jsonl").read_bytes() == profiles

        shutil.rmtree(out / "shards")  # shards lost: the actors run every article again, from their cache
        cached = extract_batch([pages], out, config, options)
        assert cached.articles_run == len(first.records) and len(server.requests) == asked
        assert all(r["usage"]["cache_hit"] for r in cached.records)

        model = ModelConfig(model="fake-model", base_url=server.url, mode="JSON_SCHEMA", retry=FAST_RETRY)
        single = extract([pages], None, config=model,
                         options=ExtractOptions(backend="llm", cache_dir=str(tmp_path / "cache"), stitch=False))
        assert len(server.requests) == asked
    strip = lambda rs: [{k: v for k, v in r.items() if k != "usage"} for r in rs]  # noqa: E731
    assert strip(cached.records) == strip(first.records) == strip(single.records)
