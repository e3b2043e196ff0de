"""The fake OpenAI-compatible server in its own process, so it does not share the client's GIL.

    python -m benchmarks._server --latency 0.2 --limit 32

prints its base URL on the first line of stdout, serves until stdin closes, then
prints one JSON line of counters (requests, peak in flight, peak served, its CPU seconds).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["ServerProcess"]

_ROOT = Path(__file__).resolve().parent.parent


class ServerProcess:
    """``with ServerProcess(latency=0.2, limit=32) as server: ... server.url``; ``server.stats`` after exit."""

    def __init__(self, latency: float = 0.0, limit: int | None = None) -> None:
        self.latency, self.limit = latency, limit
        self.url = ""
        self.stats: dict = {}
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> ServerProcess:
        command = [sys.executable, "-m", "benchmarks._server", "--latency", str(self.latency)]
        if self.limit:
            command += ["--limit", str(self.limit)]
        self._proc = subprocess.Popen(command, cwd=_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        self.url = self._proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self._proc.kill()
            raise RuntimeError(f"fake server did not start (said {self.url!r})")
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._proc is not None
        out, _ = self._proc.communicate(input="", timeout=60)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        self.stats = json.loads(lines[-1]) if lines else {}


def main() -> None:
    parser = argparse.ArgumentParser(description="fake OpenAI-compatible server for the benchmarks")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--limit", type=int, default=None, help="requests served at once; the rest wait")
    args = parser.parse_args()
    sys.path.insert(0, str(_ROOT))
    from tests.support.fake_openai_server import FakeOpenAIServer

    with FakeOpenAIServer(latency=args.latency, max_concurrency=args.limit) as server:
        print(server.url, flush=True)
        sys.stdin.read()
        stats = {"requests": len(server.requests), "max_in_flight": server.max_in_flight,
                 "max_served": server.max_served, "cpu_seconds": time.process_time()}
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
