"""Throughput of the rules extractor: MB of article text per second on one core.

    python benchmarks/bench_rules.py [--mb 5]

The seed pages are segmented once; their articles are then extracted over and
over until ``--mb`` megabytes (UTF-8) of article text have gone through
``extract_rules``. The issue's target is >= 1 MB/s. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from kaifaqu_llm._document import Page
from kaifaqu_llm._rules import extract_rules
from kaifaqu_llm._segmenter import segment

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0, help="megabytes of article text to extract (default 5)")
    args = parser.parse_args()
    pages = [Page(p.name, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    articles = [a for page in pages for a in segment(page)]
    size = sum(len(a.text.encode("utf-8")) for a in articles)
    rounds = max(1, round(args.mb * 1e6 / size))
    facts = 0
    started = time.perf_counter()
    for _ in range(rounds):
        for article in articles:
            profile = extract_rules(article)
            facts += sum(len(getattr(profile, k)) for k in ("zones", "indicators", "projects", "organizations",
                                                             "people", "events"))
    elapsed = time.perf_counter() - started
    total = size * rounds / 1e6
    print(f"{total:.2f} MB of article text ({len(articles) * rounds} articles, {facts} facts) "
          f"in {elapsed:.2f}s: {total / elapsed:.2f} MB/s")


if __name__ == "__main__":
    main()
