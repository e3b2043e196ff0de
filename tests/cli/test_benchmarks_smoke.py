"""The benchmark harness runs end to end at tiny sizes and reports sane numbers (not a timed test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs every benchmark once at tiny sizes: about a minute

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, str, dict]:
    tmp = tmp_path_factory.mktemp("bench")
    results_md = ROOT / "benchmarks" / "results.md"
    before = results_md.read_bytes() if results_md.exists() else None
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(tmp / "r.md"), "--json", str(tmp / "r.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    after = results_md.read_bytes() if results_md.exists() else None
    assert before == after, "a --quick run must not rewrite the committed results.md"
    assert proc.returncode == 0, proc.stderr
    return proc, (tmp / "r.md").read_text(encoding="utf-8"), json.loads((tmp / "r.json").read_text(encoding="utf-8"))


def test_markdown_has_machine_and_every_section(quick_run) -> None:
    _, text, payload = quick_run
    assert "CPU(s)" in text and "openai" in text and "instructor" in text and "pydantic" in text
    for heading in ("1. Throughput", "2. Overhead", "3. Warm-cache", "4. Prompt tokens", "5. Segmenter",
                    "6. Built-in zone catalog", "7. Memory"):
        assert f"## {heading}" in text
    assert set(payload["sections"]) == {"throughput", "overhead", "warm_cache", "tokens", "speed", "catalog", "memory"}
    assert payload["quick"] is True and "Quick run" in text
    for section in payload["sections"].values():
        assert section["rows"] and all(row["value"] for row in section["rows"])


def test_catalog_load_is_measured_in_fresh_processes(quick_run) -> None:
    data = quick_run[2]["sections"]["catalog"]["data"]
    assert data["zones"] == 2543 and data["samples"] == 3
    assert 0 < data["cpu_min"] <= data["cpu_median"] and 0 < data["wall_min"] <= data["wall_median"]


def test_throughput_compares_every_level_with_the_baseline(quick_run) -> None:
    data = quick_run[2]["sections"]["throughput"]["data"]
    assert data["baseline_rate"] > 0
    assert set(data["levels"]) == {"1", "8", "32"}
    for level in data["levels"].values():
        assert level["records"] == data["articles"] and level["errors"] == 0 and level["rate"] > 0
    # every article asked once by the baseline (+1 warm-up) and once per level
    assert data["server"]["requests"] >= data["articles"] * 4 + 1
    assert data["server"]["max_served"] <= data["limit"]


def test_overhead_stages_add_up(quick_run) -> None:
    data = quick_run[2]["sections"]["overhead"]["data"]
    assert data["articles"] >= 10
    assert all(ms >= 0 for ms in data["stages_ms"].values())
    assert data["median_ms"] >= data["ours_median_ms"] > 0
    assert abs(sum(data["packages"].values()) - 1) < 1e-6


def test_warm_cache_sends_nothing(quick_run) -> None:
    data = quick_run[2]["sections"]["warm_cache"]["data"]
    assert data["cold_requests"] >= data["articles"] > 0
    assert data["warm_requests"] == 0 and data["cli_requests"] == 0 and data["cli_returncode"] == 0
    assert data["hits"] == data["articles"]


def test_tokens_and_ensure_ascii(quick_run) -> None:
    data = quick_run[2]["sections"]["tokens"]["data"]
    assert data["requests"] > 0 and data["fixed_tokens"] > 0
    assert data["batch_ratio"] > 1  # the prompt holds the article and more
    assert data["ascii_batch_ratio"] > data["batch_ratio"]  # escaping CJK costs tokens


def test_speed_and_memory(quick_run) -> None:
    data = quick_run[2]["sections"]["speed"]["data"]
    assert data["segmenter"]["mb_per_s"] > 0 and data["segmenter"]["articles"] > 0
    assert data["rules"]["mb_per_s"] > 0 and data["rules"]["facts"] > 0
    assert data["rss"]["exit"] == 0 and data["rss"]["records"] > 0 and data["rss"]["rss_mb"] > 10
    assert data["heap"]["peak"] > 0 and data["heap"]["failed"] == 0


def test_memory_runs_each_size_in_its_own_process(quick_run) -> None:
    runs = quick_run[2]["sections"]["memory"]["data"]["runs"]
    assert len(runs) == 3 and [r["mb"] for r in runs] == sorted(r["mb"] for r in runs)
    assert all(r["exit"] == 0 and r["records"] > 0 and r["rss_mb"] > 10 for r in runs)
    assert runs[0]["records"] < runs[-1]["records"]


def test_unknown_benchmark_is_a_usage_error() -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "nope"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "unknown benchmark" in proc.stderr
