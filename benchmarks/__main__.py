"""``python -m benchmarks [NAME ...] [--quick] [--output FILE] [--json FILE]``: run benchmarks, write markdown."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

from . import BENCHMARKS
from ._harness import Section, machine, machine_markdown

RESULTS = Path(__file__).resolve().parent / "results.md"


def render(sections: list[Section], info: dict, quick: bool) -> str:
    """Return results.md: the machine paragraph, a summary of targets, then one section per benchmark."""
    lines = ["# Benchmarks", "", machine_markdown(info), ""]
    if quick:
        lines += ["**Quick run (tiny sizes): these numbers are not representative.**", ""]
    lines += ["Run `python -m benchmarks` (all, about 5 minutes on 2 cores; rewrites this file) or "
              "`python -m benchmarks NAME` (" + ", ".join(BENCHMARKS) + ").", ""]
    targets = [(s, r) for s in sections for r in s.rows if r.met is not None]
    met = sum(1 for _, r in targets if r.met)
    lines += [f"Targets met: {met} of {len(targets)}."]
    lines += [f"- not met: {s.title} — {r.metric}: {r.value} (target {r.target})" for s, r in targets if not r.met]
    lines.append("")
    lines += [section.markdown() for section in sections]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run ({', '.join(BENCHMARKS)}); "
                        "default all")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness, numbers meaningless")
    parser.add_argument("--output", metavar="FILE", help="write the markdown here (default: benchmarks/results.md "
                        "for a full run of all, else stdout only)")
    parser.add_argument("--json", metavar="FILE", help="also write every section's raw numbers as JSON")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)} (choose from {', '.join(BENCHMARKS)})")
    names = args.names or list(BENCHMARKS)
    sections = []
    for name in names:
        print(f"running {name}...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        section = importlib.import_module(BENCHMARKS[name]).run(quick=args.quick)
        section.seconds = time.perf_counter() - started
        sections.append(section)
        print(section.markdown(), flush=True)
    info = machine()
    text = render(sections, info, args.quick)
    output = Path(args.output) if args.output else (RESULTS if not args.names and not args.quick else None)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    if args.json:
        payload = {"machine": info, "quick": args.quick,
                   "sections": {s.name: {"rows": [r.__dict__ for r in s.rows], "data": s.data, "seconds": s.seconds}
                                for s in sections}}
        Path(args.json).write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
