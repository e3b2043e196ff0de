"""Throughput of the scale-out engines against the fake server with a fixed latency: articles per second.

    python benchmarks/bench_scaleout.py [--copies 14] [--latency 0.2] [--budget 32] [--engines single,local,ray]

The seed pages are copied ``--copies`` times (every number shifted by the copy's
index, so cache keys differ; 5 pages x 14 copies = 350 articles) and extracted
with an empty cache by each engine in turn, ``--budget`` requests in flight in
total: ``single`` is ``kaifaqu extract`` (one process, asyncio), ``local`` the
sharded batch core in one process, ``ray`` two Ray Data actors on a local
``ray.init(num_cpus=2)`` (its start-up is timed separately). The fake server
runs in this process; a warm-up extraction runs first. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kaifaqu_llm import BatchConfig, BatchOptions, ExtractOptions, ModelConfig, extract, extract_batch  # noqa: E402
from tests.support.fake_openai_server import FakeOpenAIServer  # noqa: E402


def _pages(folder: Path, copies: int) -> Path:
    folder.mkdir(parents=True)
    for k in range(copies):
        for seed in sorted((ROOT / "seeds").glob("*.txt")):
            text = re.sub(r"\d+", lambda m: str(int(m.group()) + k), seed.read_text(encoding="utf-8"))
            (folder / f"{k:03d}-{seed.name}").write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=14, help="copies of the 5 seed pages (default 14: 350 articles)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the server takes per request")
    parser.add_argument("--budget", type=int, default=32, help="requests in flight in total")
    parser.add_argument("--engines", default="single,local,ray")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kaifaqu-bench-"))
    pages = _pages(work / "pages", args.copies)
    with FakeOpenAIServer(latency=args.latency) as server:
        # warm-up: imports, prompt and schema loading are paid once, not by whichever engine runs first
        extract([sorted(pages.iterdir())[0]], None, config=ModelConfig(model="fake", base_url=server.url, mode="JSON_SCHEMA"),
                options=ExtractOptions(backend="llm", use_cache=False, stitch=False))
        for engine in args.engines.split(","):
            cache, out = work / engine / "cache", work / engine / "out"
            before = len(server.requests)
            server.max_in_flight = 0
            setup = 0.0
            if engine == "single":
                model = ModelConfig(model="fake", base_url=server.url, mode="JSON_SCHEMA")
                started = time.perf_counter()
                result = extract([pages], out, config=model, options=ExtractOptions(
                    backend="llm", concurrency=args.budget, cache_dir=str(cache), stitch=False))
            else:
                if engine == "ray":
                    import ray

                    started = time.perf_counter()
                    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
                    setup = time.perf_counter() - started
                config = BatchConfig(base_urls=(server.url,), model="fake", mode="JSON_SCHEMA", cache_dir=str(cache))
                started = time.perf_counter()
                result = extract_batch([pages], out, config, BatchOptions(
                    engine=engine, shards=16, max_in_flight=args.budget, actors=(2, 2), stitch=False))
            seconds = time.perf_counter() - started
            n = len(result.records)
            print(f"{engine:>6}: {n} articles, {len(server.requests) - before} requests, {seconds:.2f}s, "
                  f"{n / seconds:.1f} articles/s, peak {server.max_in_flight} in flight, {result.failed} failed"
                  + (f" (ray.init {setup:.1f}s not included)" if setup else ""), flush=True)


if __name__ == "__main__":
    main()
