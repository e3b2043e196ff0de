"""Benchmarks: our own cost beside the model's. Numbers, not tests.

    python -m benchmarks              # run all, rewrite benchmarks/results.md
    python -m benchmarks throughput   # one (or several) by name, print markdown
    python -m benchmarks --quick      # tiny sizes (the smoke test uses this)

Each benchmark module has ``run(quick=False) -> Section``. The model server is
``tests/support/fake_openai_server.py`` on 127.0.0.1, answering valid profiles after a
fixed latency; nothing touches the network.
"""

from __future__ import annotations

__all__ = ["BENCHMARKS"]

# name -> module, in the order results.md lists them
BENCHMARKS = {
    "throughput": "benchmarks.throughput",
    "overhead": "benchmarks.overhead",
    "warm_cache": "benchmarks.warm_cache",
    "tokens": "benchmarks.tokens",
    "speed": "benchmarks.speed",
    "catalog": "benchmarks.catalog",
    "memory": "benchmarks.memory",
}
