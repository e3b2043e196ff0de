"""What the built-in zone catalog adds to a run: reading it, the place gazetteer, the linker's index.

Each sample is a fresh Python process that has imported the package and then times
its first zone link, which reads ``kaifaqu_llm/data/zone_catalog.csv`` (2,543 rows)
and ``places.csv``, builds the linker's index and links one name: the whole one-time
cost a run pays. Wall and CPU (process) time are both reported: on a busy machine
the wall clock also counts waiting for a core.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from ._harness import Row, Section, fmt

__all__ = ["run", "load_times"]

TARGET_MS = 50.0
_PROBE = r"""
import json, time
import kaifaqu_llm
from kaifaqu_llm.zones.catalog import load_catalog
from kaifaqu_llm.zones.linker import link_zone
wall, cpu = time.perf_counter(), time.process_time()
catalog = load_catalog()
code = link_zone("晋城经开区", "晋城经济技术开发区", catalog).catalog_code
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "code": code,
                  "zones": len(catalog)}))
"""


def load_times(samples: int) -> dict:
    """Return the median and best wall / CPU milliseconds of the first link in ``samples`` fresh processes."""
    runs = []
    for _ in range(samples):
        out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(out))
    assert all(r["code"] == "G141061" for r in runs), runs
    wall = [r["wall"] * 1000 for r in runs]
    cpu = [r["cpu"] * 1000 for r in runs]
    return {"samples": samples, "zones": runs[0]["zones"], "wall_median": statistics.median(wall),
            "wall_min": min(wall), "cpu_median": statistics.median(cpu), "cpu_min": min(cpu)}


def run(quick: bool = False) -> Section:
    """Return the catalog section: the one-time cost of the built-in catalog in a run."""
    times = load_times(3 if quick else 15)
    section = Section("catalog", "6. Built-in zone catalog: one-time load cost")
    section.rows += [
        Row(f"first zone link in a fresh process (catalog {times['zones']} zones + gazetteer + index), CPU",
            f"median {fmt(times['cpu_median'], 1)} ms, best {fmt(times['cpu_min'], 1)} ms ({times['samples']} runs)",
            f"< {TARGET_MS:g} ms", times["cpu_median"] < TARGET_MS),
        Row("the same, wall clock", f"median {fmt(times['wall_median'], 1)} ms, best {fmt(times['wall_min'], 1)} ms"),
    ]
    section.notes.append("A run pays this once, on its first zone; a run that links no zone pays nothing "
                         "(the catalog is read on first use).")
    section.data = times
    return section
