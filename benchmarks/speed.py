"""Segmenter and rules-backend throughput (MB/s, one core) and peak memory on a 50 MB batch.

Throughput: the seed pages, repeated (numbers shifted per copy) to about 5 MB of
UTF-8, are segmented page by page; their articles then go through the rules
extractor. Memory: a batch of
seed copies is written to a temp dir and run through ``kaifaqu extract
--backend rules`` in a subprocess (peak RSS from ``wait4``), then through
``extract()`` under ``tracemalloc`` in another subprocess (peak Python heap).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kaifaqu_llm.extract.rules.backend import extract_rules
from kaifaqu_llm.core.schema import FACT_LISTS
from kaifaqu_llm.pages.segment import segment

from ._corpus import first_pages, seed_pages, variant_page, write_batch
from ._harness import Row, Section, fmt

__all__ = ["run", "segmenter_speed", "rules_speed"]

SEGMENTER_TARGET = 5.0
RULES_TARGET = 1.0

_TRACEMALLOC = """
import json, sys, time, tracemalloc
tracemalloc.start()
from kaifaqu_llm.run import pipeline as _pipeline
started = time.perf_counter()
result = _pipeline.extract([sys.argv[1]], sys.argv[2], backend="rules")
current, peak = tracemalloc.get_traced_memory()
print(json.dumps({"peak": peak, "records": len(result.records), "failed": result.failed,
                  "seconds": time.perf_counter() - started}))
"""


def _pages(megabytes: float) -> list:
    seeds = seed_pages()
    size = sum(len(p.text.encode("utf-8")) for p in seeds)
    copies = max(1, round(megabytes * 1e6 / size))
    return [variant_page(page, k) for k in range(copies) for page in seeds]


def segmenter_speed(megabytes: float) -> dict:
    """Return MB/s of page text through ``segment`` (and how many MB / articles / seconds)."""
    pages = _pages(megabytes)
    size = sum(len(p.text.encode("utf-8")) for p in pages)
    articles = 0
    started = time.perf_counter()
    for page in pages:
        articles += len(segment(page))
    seconds = time.perf_counter() - started
    return {"mb": size / 1e6, "seconds": seconds, "mb_per_s": size / 1e6 / seconds, "articles": articles}


def rules_speed(megabytes: float) -> dict:
    """Return MB/s of article text through ``extract_rules`` (and how many MB / facts / seconds)."""
    articles = [a for page in _pages(megabytes) for a in segment(page)]
    size = sum(len(a.text.encode("utf-8")) for a in articles)
    facts = 0
    started = time.perf_counter()
    for article in articles:
        profile = extract_rules(article)
        facts += sum(len(getattr(profile, name)) for name in FACT_LISTS)
    seconds = time.perf_counter() - started
    return {"mb": size / 1e6, "seconds": seconds, "mb_per_s": size / 1e6 / seconds, "facts": facts,
            "articles": len(articles)}


def _peak_rss(batch: Path, out: Path) -> dict:
    command = [sys.executable, "-m", "kaifaqu_llm", "extract", str(batch), "-o", str(out), "--backend", "rules", "-q"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, rusage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    lines = sum(1 for _ in (out / "profiles.jsonl").open(encoding="utf-8")) if (out / "profiles.jsonl").exists() else 0
    return {"rss_mb": rusage.ru_maxrss / 1024, "seconds": seconds, "exit": os.waitstatus_to_exitcode(status),
            "records": lines, "stderr": stderr.strip()[-300:]}


def _peak_heap(batch: Path, out: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", _TRACEMALLOC, str(batch), str(out)], capture_output=True, text=True,
                          timeout=1800)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        return {"error": proc.stderr.strip()[-300:]}
    return json.loads(lines[-1])


def run(quick: bool = False, *, batch_mb: float | None = None, heap_mb: float | None = None) -> Section:
    """Return the speed section: segmenter and rules MB/s, peak RSS and heap on a batch."""
    megabytes = 0.2 if quick else 5.0
    batch_mb = batch_mb or (0.5 if quick else 50.0)
    heap_mb = heap_mb or (0.3 if quick else 5.0)  # tracemalloc slows Python several times over: a tenth of the batch
    section = Section("speed", "5. Segmenter and rules throughput, memory on a batch")
    seg = segmenter_speed(megabytes)
    rules = rules_speed(megabytes)
    section.rows += [
        Row("segmenter", f"{fmt(seg['mb_per_s'])} MB/s ({fmt(seg['mb'])} MB of pages, {seg['articles']} articles, "
            f"{fmt(seg['seconds'])} s)", f"> {SEGMENTER_TARGET:g} MB/s", seg["mb_per_s"] > SEGMENTER_TARGET),
        Row("rules backend (extract_rules), one core", f"{fmt(rules['mb_per_s'])} MB/s ({fmt(rules['mb'])} MB of "
            f"article text, {rules['facts']} facts, {fmt(rules['seconds'])} s)", f"≥ {RULES_TARGET:g} MB/s",
            rules["mb_per_s"] >= RULES_TARGET),
    ]
    with tempfile.TemporaryDirectory(prefix="kaifaqu-bench-") as tmp:
        batch = Path(tmp) / "pages"
        files, size = write_batch(batch, batch_mb)
        rss = _peak_rss(batch, Path(tmp) / "out-cli")
        heap_files, heap_size = first_pages(batch, Path(tmp) / "heap-pages", heap_mb)
        heap = _peak_heap(Path(tmp) / "heap-pages", Path(tmp) / "out-heap")
    label = f"{size / 1e6:.1f} MB batch ({files} pages)"
    heap_label = f"{heap_size / 1e6:.1f} MB batch ({heap_files} pages)"
    section.rows += [
        Row(f"`kaifaqu extract --backend rules`, {label}: peak RSS", f"{rss['rss_mb']:.0f} MB "
            f"({fmt(rss['seconds'], 1)} s, {fmt(size / 1e6 / rss['seconds'])} MB/s end to end, {rss['records']} "
            f"records, exit {rss['exit']})"),
        Row(f"`extract()` under tracemalloc, {heap_label}: peak Python heap",
            f"{heap['peak'] / 1e6:.0f} MB ({fmt(heap['seconds'], 1)} s under tracemalloc)" if "peak" in heap
            else f"failed: {heap['error']}"),
    ]
    section.notes.append(
        "MB are 10^6 bytes of UTF-8 text. Segmenter speed counts whole pages; rules speed counts article text "
        "(what the extractor reads). The memory batch is seed copies with shifted numbers, written to a temp dir "
        "and deleted afterwards; peak RSS includes the interpreter and every import, the tracemalloc peak only "
        "Python allocations made after start-up, measured on the first tenth of the batch because tracemalloc slows "
        "extraction several times over. The whole batch is read, segmented and stitched before "
        "extraction, and all records are kept until OUT/ is written, so memory grows with the batch."
    )
    section.data = {"segmenter": seg, "rules": rules, "batch": {"files": files, "bytes": size}, "rss": rss,
                    "heap_batch": {"files": heap_files, "bytes": heap_size},
                    "heap": heap}
    return section
