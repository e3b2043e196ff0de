"""Peak memory of a rules run as the batch grows (issue #17): 4, 16 and 64 MB of pages.

Each size runs ``kaifaqu extract --backend rules`` in a fresh subprocess on
the first pages of one batch of seed copies (numbers shifted per copy), and
reads its peak RSS: the process reports its own ``VmHWM`` as it exits (Linux keeps
``ru_maxrss`` across ``exec``, so a child forked from a large benchmark process would
report the parent's size; ``wait4``'s figure is the fallback elsewhere). Memory should follow a
shard and the articles in flight, not the batch: the 16 MB run may use at most
1.3× the 4 MB run, and the 64 MB run less than 300 MB.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._corpus import first_pages, write_batch
from ._harness import Row, Section, fmt

__all__ = ["run", "peak_rss"]

SIZES_MB = (4.0, 16.0, 64.0)
QUICK_SIZES_MB = (0.1, 0.2, 0.4)
GROWTH_TARGET = 1.3  # peak RSS at 4× the pages, over the smallest run
CEILING_MB = 300.0
# ``python -m kaifaqu_llm`` that prints its own high-water RSS (this process's, since exec) on the way out.
_REPORTING_MAIN = (
    "import atexit, sys\n"
    "def _hwm():\n"
    "    try:\n"
    "        line = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
    "        sys.stderr.write('\\nVMHWM_KB ' + line.split()[1] + '\\n')\n"
    "    except (OSError, StopIteration):\n"
    "        pass\n"
    "atexit.register(_hwm)\n"
    "from kaifaqu_llm._cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def peak_rss(pages: Path, out: Path, *extra: str) -> dict:
    """Run ``kaifaqu extract --backend rules`` on ``pages`` in a fresh process; return its peak RSS (MB),
    seconds, exit status and ``profiles.jsonl`` line count."""
    command = [sys.executable, "-c", _REPORTING_MAIN, "extract", str(pages), "-o", str(out), "--backend", "rules",
               "-q", *extra]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""  # drain before waiting
    _, status, rusage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    profiles = out / "profiles.jsonl"
    lines = sum(1 for _ in profiles.open(encoding="utf-8")) if profiles.exists() else 0
    reported = [line.split()[1] for line in stderr.splitlines() if line.startswith("VMHWM_KB ")]
    rss_kb = int(reported[-1]) if reported else rusage.ru_maxrss
    stderr = "\n".join(line for line in stderr.splitlines() if not line.startswith("VMHWM_KB "))
    return {"rss_mb": rss_kb / 1024, "seconds": seconds, "exit": proc.returncode, "records": lines,
            "stderr": stderr.strip()[-300:]}


def run(quick: bool = False, *, sizes: tuple[float, ...] | None = None) -> Section:
    """Return the memory section: peak RSS of a rules run at each size, against the growth and ceiling targets."""
    sizes = sizes or (QUICK_SIZES_MB if quick else SIZES_MB)
    section = Section("memory", "7. Memory of a rules run as the batch grows")
    runs = []
    with tempfile.TemporaryDirectory(prefix="kaifaqu-bench-") as tmp:
        batch = Path(tmp) / "pages"
        write_batch(batch, max(sizes))
        for megabytes in sizes:
            pages = Path(tmp) / f"pages-{megabytes:g}"
            files, size = first_pages(batch, pages, megabytes)
            result = peak_rss(pages, Path(tmp) / f"out-{megabytes:g}")
            runs.append({"mb": size / 1e6, "files": files, **result})
    smallest = runs[0]["rss_mb"]
    for index, item in enumerate(runs):
        target, met = "", None
        if index == len(runs) - 1:
            target, met = f"< {CEILING_MB:g} MB", item["rss_mb"] < CEILING_MB
        elif index > 0:
            target, met = f"≤ {GROWTH_TARGET:g}× the {runs[0]['mb']:.0f} MB run", \
                item["rss_mb"] <= GROWTH_TARGET * smallest
        section.rows.append(Row(
            f"{item['mb']:.1f} MB of pages ({item['files']} pages): peak RSS",
            f"{item['rss_mb']:.0f} MB ({item['rss_mb'] / smallest:.2f}×; {fmt(item['seconds'], 1)} s, "
            f"{item['records']} records, exit {item['exit']})", target, met))
    section.notes.append(
        "Each size is a fresh `kaifaqu extract --backend rules -q` process on the first pages (sorted by name) of "
        "one batch of seed copies with shifted numbers; peak RSS is the high-water mark (VmHWM) of that process and includes the "
        "interpreter and every import. MB of pages are 10^6 bytes of UTF-8. Above 2 million characters of page "
        "text the run stops keeping article rows: it plans the shards in one pass and reads the pages again shard "
        "by shard, and records stream to shard files and are merged into profiles.jsonl line by line, so memory "
        "follows the largest shard, not the batch."
    )
    section.data = {"runs": runs, "growth": [r["rss_mb"] / smallest for r in runs]}
    return section
