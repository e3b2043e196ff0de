"""Warm-cache re-run: extract the seeds twice with one cache directory; the second run must send nothing.

The first run fills a fresh cache from the fake server; the second run (in this
process, then again as the ``kaifaqu extract`` CLI in a subprocess, as a user
would run it) must answer every article from the cache: zero requests, < 1 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kaifaqu_llm.extract.llm.config import ModelConfig
from kaifaqu_llm.run.pipeline import ExtractOptions, extract

from ._corpus import SEEDS
from ._harness import Row, Section, fmt

__all__ = ["run"]

TARGET_SECONDS = 1.0


def run(quick: bool = False) -> Section:
    """Return the warm-cache section: requests and wall time of a second run on the seeds."""
    sys.path.insert(0, str(SEEDS.parent))
    from tests.support.fake_openai_server import FakeOpenAIServer

    section = Section("warm_cache", "3. Warm-cache re-run of the seeds")
    with FakeOpenAIServer() as server, tempfile.TemporaryDirectory(prefix="kaifaqu-bench-") as tmp:
        cache = str(Path(tmp) / "cache")
        config = ModelConfig.resolve(model="fake-model", base_url=server.url, env={})
        options = ExtractOptions(backend="llm", cache_dir=cache)
        cold = extract([SEEDS], Path(tmp) / "cold", config=config, options=options)
        cold_requests = len(server.requests)
        started = time.perf_counter()
        warm = extract([SEEDS], Path(tmp) / "warm", config=config, options=options)
        warm_seconds = time.perf_counter() - started
        warm_requests = len(server.requests) - cold_requests
        hits = sum(1 for r in warm.records if r["usage"]["cache_hit"])
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KAIFAQU_", "OPENAI_"))}
        command = [sys.executable, "-m", "kaifaqu_llm", "extract", str(SEEDS), "-o", str(Path(tmp) / "cli"),
                   "--backend", "llm", "--model", "fake-model", "--base-url", server.url, "--cache-dir", cache, "-q",
                   "--segmenter", "layout"]  # the cold run (library default) cut the pages with the layout
        before = len(server.requests)
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        cli_seconds = time.perf_counter() - started
        cli_requests = len(server.requests) - before
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import kaifaqu_llm._cli, kaifaqu_llm.extract.llm.backend"], env=env, timeout=300,
                       check=True)
        import_seconds = time.perf_counter() - started
    n = len(warm.records)
    section.rows += [
        Row("cold run: requests (fills the cache)", f"{cold_requests} for {len(cold.records)} articles"),
        Row("warm run in-process: requests", str(warm_requests), "0", warm_requests == 0),
        Row("warm run in-process: cache hits", f"{hits} / {n}", f"{n} / {n}", hits == n),
        Row("warm run in-process: wall time", f"{fmt(warm_seconds, 3)} s", f"< {TARGET_SECONDS:g} s",
            warm_seconds < TARGET_SECONDS),
        Row("warm run as `kaifaqu extract` subprocess: requests", str(cli_requests), "0",
            cli_requests == 0 and proc.returncode == 0),
        Row("warm run as `kaifaqu extract` subprocess: wall time", f"{fmt(cli_seconds, 3)} s",
            f"< {TARGET_SECONDS:g} s", cli_seconds < TARGET_SECONDS and proc.returncode == 0),
        Row("— of which Python start-up + imports", f"{fmt(import_seconds, 3)} s"),
    ]
    section.notes.append(
        f"The {len(list(SEEDS.glob('*.txt')))} seed pages ({n} articles after stitching), llm backend against the "
        "fake server in a thread of this process, a fresh cache directory filled by the cold run. The subprocess "
        "time is what a user waits for, Python start-up and imports included (a run answered from the cache "
        "never imports openai, which alone takes about a second)"
        + (f"; the CLI exited {proc.returncode}: {proc.stderr.strip()[-300:]}" if proc.returncode else "") + "."
    )
    section.data = {"cold_requests": cold_requests, "warm_requests": warm_requests, "warm_seconds": warm_seconds,
                    "cli_requests": cli_requests, "cli_seconds": cli_seconds, "cli_returncode": proc.returncode,
                    "hits": hits, "articles": n}
    return section
