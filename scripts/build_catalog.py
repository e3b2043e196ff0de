#!/usr/bin/env python
"""Build the built-in zone catalog from the ten-column copy of the 2018 notice.

《中国开发区审核公告目录》(2018年版) lists 2,543 development zones with their code,
official name, province, approving body, type, approval month, approved area and
leading industries. This script reads a copy of it with the columns (found by header
name; order and extra columns free) 序号,代码,开发区名称,省份,城市/区县,批准级别,
开发区类型,批准时间,核准面积_公顷,主导产业 — the first ten columns of the public
dataset kaiwulaw/china-industrial-zones-atlas — and writes our catalog format
(docs/catalog.md) to ``kaifaqu_llm/data/zone_catalog.csv`` plus
``zone_catalog.meta.json`` recording the source, its checksum and the build date.

What is taken, and what is not:
- code, name, province, approving body, notice type, approval month, area and
  industries are the notice's facts, copied cell by cell and checked;
- 序号 is not a key (it restarts per section) and 城市/区县 is the place part of the
  name as the source cut it, not an administrative unit: neither is copied, and
  prefecture and county stay empty (zones get their city from zones.places);
- our ``type`` is the notice's type where it is one of ours, else read off the
  name (综合保税区), else 其他; the code's type digit is cross-checked against
  the notice's type and disagreements are reported;
- a date written twice (2000.04/2002.12) keeps the first; a code the source gives to
  two zones (S377018) stays with the first, the second is kept without a code.

Usage: python scripts/build_catalog.py [SOURCE.csv] [--out CATALOG.csv]
(SOURCE defaults to ../shared/catalog/china_development_zones_2018.csv next to the
repository). Exit 0 when every row converted, 1 when rows were skipped (they are
named on stderr), 2 when the source cannot be used.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

from kaifaqu_llm.core.errors import CatalogError  # noqa: E402
from kaifaqu_llm.zones.catalog import LEVELS, CatalogEntry, entry_from_row, write_catalog  # noqa: E402
from kaifaqu_llm.zones.names import LINKER, OTHER, parse_name  # noqa: E402

DEFAULT_SOURCE = REPO.parent / "shared" / "catalog" / "china_development_zones_2018.csv"
DEFAULT_OUT = REPO / "kaifaqu_llm" / "data" / "zone_catalog.csv"
SOURCE_NAME = "《中国开发区审核公告目录》(2018年版)"
SOURCE_COPY = "kaiwulaw/china-industrial-zones-atlas data/enriched.csv (first ten columns)"
SOURCE_COLUMNS = ("代码", "开发区名称", "省份", "批准级别", "开发区类型", "批准时间", "核准面积_公顷", "主导产业")
NOTICE_TYPES = {"经济技术开发区", "高新技术产业开发区", "经济开发区", "工业园区"}  # the notice's types that are ours
APPROVERS = {"G": "国务院", "S": "省政府"}


def our_type(name: str, notice_type: str) -> str:
    """Return our zone type for a notice row: its type when ours, else what the name says."""
    if notice_type in NOTICE_TYPES:
        return notice_type
    return parse_name(name, LINKER).type or OTHER


def _cell(row: dict[str, str | None], column: str) -> str:
    return (row.get(column) or "").strip()


def convert(source: Path) -> tuple[list[CatalogEntry], list[str], int]:
    """Convert a source CSV; return (entries, problems, source rows). Raises CatalogError if unusable."""
    try:
        text = source.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise CatalogError(f"{source}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise CatalogError(f"{source}: not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in SOURCE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CatalogError(f"{source}: missing column(s) {', '.join(missing)}; not a copy of the notice")
    entries: list[CatalogEntry] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    digit_types: dict[str, Counter[str]] = {}
    rows = 0
    for row in reader:
        rows += 1
        line = reader.line_num
        name, notice_type, code = _cell(row, "开发区名称"), _cell(row, "开发区类型"), _cell(row, "代码").upper()
        date = _cell(row, "批准时间")
        if "/" in date:
            problems.append(f"{source}: line {line}: {code} has two approval dates {date!r}; the first is kept")
            date = date.split("/")[0]
        if code in seen:
            problems.append(f"{source}: line {line}: {name} repeats code {code} of line {seen[code]}; "
                            f"kept without a code")
        ours = {
            "code": "" if code in seen else code, "official_name": name, "province": _cell(row, "省份"),
            "prefecture": "", "county": "", "level": LEVELS.get(code[:1], "") if code in seen else "",
            "approving_body": _cell(row, "批准级别"),
            "type": our_type(name, notice_type), "approval_date": date, "area_ha": _cell(row, "核准面积_公顷"),
            "industries": _cell(row, "主导产业"), "notice_type": notice_type,
        }
        try:
            if not code:
                raise CatalogError(f"{source}: line {line}: no code")
            entry = entry_from_row(ours, source, line)
        except CatalogError as exc:
            problems.append(f"{exc} (skipped)")
            continue
        entries.append(entry)
        if entry.synthetic:
            continue
        seen[code] = line
        if entry.approving_body != APPROVERS[code[0]]:
            problems.append(f"{source}: line {line}: {code} is approved by {entry.approving_body!r}, "
                            f"but its code says {APPROVERS[code[0]]} (kept)")
        digit_types.setdefault(code[0] + code[3], Counter())[notice_type] += 1
    # the code's type digit should name one notice type; a row that disagrees with its digit is reported
    for entry in entries:
        if entry.synthetic:
            continue
        usual = digit_types[entry.code[0] + entry.code[3]].most_common(1)[0][0]
        if entry.notice_type != usual:
            problems.append(f"{source}: line {entry.line}: {entry.code} has type {entry.notice_type!r}, "
                            f"but its type digit usually means {usual!r} (kept)")
    return entries, problems, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE,
                        help=f"source CSV, the notice's ten columns (default: {DEFAULT_SOURCE})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"catalog to write (default: {DEFAULT_OUT})")
    parser.add_argument("--source-name", default=SOURCE_NAME, help="what the source is, for the meta file")
    parser.add_argument("--source-copy", default=SOURCE_COPY, help="where the machine-readable copy came from")
    parser.add_argument("--date", default="2018", help="date (edition) of the source, for the meta file")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"build_catalog: {args.source}: not found. Put a copy of the notice with its ten columns there "
              f"(e.g. {SOURCE_COPY}) or pass its path.", file=sys.stderr)
        return 2
    try:
        entries, problems, rows = convert(args.source)
    except CatalogError as exc:
        print(f"build_catalog: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem, file=sys.stderr)
    written = write_catalog(entries, args.out)
    skipped = sum(p.endswith("(skipped)") for p in problems)
    meta = {
        "source": args.source_name,
        "date": args.date,
        "source_copy": args.source_copy,
        "source_file": args.source.name,
        "source_sha256": hashlib.sha256(args.source.read_bytes()).hexdigest(),
        "source_rows": rows,
        "rows": written,
        "skipped": skipped,
        "built": datetime.now(timezone.utc).date().isoformat(),
        "builder": "scripts/build_catalog.py",
        "notes": "notice facts only; prefecture and county left empty (城市/区县 is the name's place part); "
                 "a repeated code is kept on its first row only",
    }
    meta_path = args.out.with_name(args.out.stem + ".meta.json")
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"build_catalog: {written} zones from {rows} rows of {args.source} → {args.out} "
          f"({skipped} skipped, {len(problems) - skipped} notes)", file=sys.stderr)
    return 1 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
