"""Opt-in: one page through a real model server, as a user would run it. Numbers, not a test.

    python -m benchmarks.real_model --base-url http://127.0.0.1:8089/v1 --model qwen \
        --page seeds/003_5b0f5a14abdb20ea.txt --mode md_json [--pythonpath OLD_CHECKOUT] [--gold DIR] [--label after]

It runs ``kaifaqu extract PAGE`` in a subprocess (no cache, one article at a time) and
reads what the run wrote, so the same script measures any version of the tool: point
``--python`` at another checkout's interpreter, or ``--pythonpath`` at another checkout, to
measure "before". Reported: articles with a record (no error), the share of facts grounded in
the page, facts kept and rejected, reasks, requests, seconds per article, and with ``--gold DIR``
page-level F1 per category (scored by this checkout). The server is
not started here: see the README's recipe for a real small model (llama-cpp-python).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FACT_LISTS = ("zones", "industries", "indicators", "projects", "organizations", "people", "events")


def _scores(records: list[dict], gold_dir: str | None) -> dict | None:
    """Return page-level F1 per category of ``records`` against the gold in ``gold_dir`` (this checkout's scorer)."""
    if not gold_dir:
        return None
    from kaifaqu_llm.evaluate.gold import load_gold
    from kaifaqu_llm.evaluate.scores import score_profiles

    sources = {str(r.get("source")) for r in records}
    gold = {page: g for page, g in load_gold(gold_dir).items() if page in sources}  # the pages this run read
    overall = score_profiles(gold, records)["overall"]
    return {name: row["f1"] for name, row in overall.items()}


def measure(page: str, base_url: str, model: str, mode: str | None, python: str, max_tokens: int,
            extra: tuple[str, ...] = (), gold_dir: str | None = None, keep: str | None = None,
            pythonpath: str | None = None) -> dict:
    """Return the figures of one extraction of ``page`` against ``base_url`` (see the module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        command = [python, "-m", "kaifaqu_llm", "extract", str(Path(page).resolve()), "-o", str(out),
                   "--base-url", base_url,
                   "--model", model, "--no-cache", "--concurrency", "1", "-q"]
        if mode:
            command += ["--mode", mode]
        command += list(extra)
        env = {**os.environ, "KAIFAQU_MAX_TOKENS": str(max_tokens)}
        if pythonpath:  # the version measured; this script keeps scoring with its own checkout
            env["PYTHONPATH"] = pythonpath
        started = time.perf_counter()
        # run outside any checkout: `python -m` puts the working directory first on sys.path, ahead of
        # PYTHONPATH, so a run from this checkout would import this version whatever PYTHONPATH says
        finished = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp)
        seconds = time.perf_counter() - started
        records = [json.loads(line) for line in (out / "profiles.jsonl").read_text(encoding="utf-8").splitlines()] \
            if (out / "profiles.jsonl").exists() else []
        if keep and out.exists():
            shutil.copytree(out, keep, dirs_exist_ok=True)
    facts = [fact for record in records for name in FACT_LISTS for fact in record.get(name) or []]
    usage = [record.get("usage") or {} for record in records]
    return {
        "exit": finished.returncode, "articles": len(records),
        "valid_articles": sum(1 for r in records if not r.get("error")),
        "errors": sorted({(r["error"] or "")[:80] for r in records if r.get("error")}),
        "facts": len(facts), "grounded_share": round(sum(1 for f in facts if f.get("grounded")) / len(facts), 3)
        if facts else None,
        "rejected": sum(len(r.get("rejected") or []) for r in records),
        "requests": sum(u.get("requests", 0) for u in usage),
        "reasks": sum(u.get("reasks", 0) for u in usage) if any("reasks" in u for u in usage) else None,
        "retries": sum(u.get("retries", 0) for u in usage),
        "seconds": round(seconds, 1), "seconds_per_article": round(seconds / len(records), 1) if records else None,
        "f1": _scores(records, gold_dir),
        "stderr_tail": finished.stderr.strip().splitlines()[-3:],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.real_model", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", default="local")
    parser.add_argument("--page", default="seeds/003_5b0f5a14abdb20ea.txt")
    parser.add_argument("--mode", default=None, help="e.g. md_json; default: the endpoint profile's choice")
    parser.add_argument("--python", default=sys.executable, help="the interpreter (and so the version) to measure")
    parser.add_argument("--max-tokens", type=int, default=1536)
    parser.add_argument("--label", default="")
    parser.add_argument("--cli-arg", action="append", default=[], metavar="ARG",
                        help="one more argument for `kaifaqu extract` (repeat), e.g. --cli-arg=--segmenter=layout")
    parser.add_argument("--gold", metavar="DIR", help="score the records against this gold directory (F1 per category)")
    parser.add_argument("--keep", metavar="DIR", help="copy the run's output directory here")
    parser.add_argument("--pythonpath", metavar="DIR",
                        help="PYTHONPATH for the measured run only, e.g. another checkout of the tool (\"before\")")
    args = parser.parse_args(argv)
    result = measure(args.page, args.base_url, args.model, args.mode, args.python, args.max_tokens,
                     tuple(args.cli_arg), args.gold, args.keep, args.pythonpath)
    print(json.dumps({"label": args.label, "page": args.page, "mode": args.mode, **result}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
