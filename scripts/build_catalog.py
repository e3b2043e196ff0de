#!/usr/bin/env python
"""Build the built-in zone catalog from a machine-readable copy of the 2018 notice.

《中国开发区审核公告目录》(2018年版) lists 2,543 development zones with their code,
official name, province, approving body, type, approval month, approved area and
leading industries. This script reads a copy of it in the column layout of the
public dataset kaiwulaw/china-industrial-zones-atlas (``data/enriched.csv``:
序号,代码,开发区名称,省份,城市/区县,批准级别,开发区类型,批准时间,核准面积_公顷,
主导产业,…,格式化地址,…) and writes our own catalog format (docs/catalog.md) to
``kaifaqu_llm/data/zone_catalog.csv`` plus ``zone_catalog.meta.json`` recording
the source, its checksum and the build date.

What is taken, and what is not:
- code, name, province, approving body, notice type, approval month, area and
  industries are the notice's facts, copied cell by cell and checked;
- prefecture and county come from the copy's geocoded address (格式化地址) only
  when that address lies in the zone's own province: the geocoding is known to
  be unreliable, and its coordinates are not used at all;
- our ``type`` is the notice's type where it is one of ours, else read off the
  name (综合保税区), else 其他; the code's type digit is cross-checked against
  the notice's type and disagreements are reported.

Usage: python scripts/build_catalog.py [SOURCE.csv] [--out CATALOG.csv]
(SOURCE defaults to ../shared/catalog/enriched.csv next to the repository).
Exit 0 when every row converted, 1 when rows were skipped (they are named on
stderr), 2 when the source cannot be used.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

from kaifaqu_llm.zones.catalog import CatalogEntry, entry_from_row, write_catalog  # noqa: E402
from kaifaqu_llm.core.errors import CatalogError  # noqa: E402
from kaifaqu_llm.zones.linker import parse_zone_name  # noqa: E402

DEFAULT_SOURCE = REPO.parent / "shared" / "catalog" / "enriched.csv"
DEFAULT_OUT = REPO / "kaifaqu_llm" / "data" / "zone_catalog.csv"
SOURCE_NAME = "《中国开发区审核公告目录》(2018年版)"
SOURCE_COPY = "kaiwulaw/china-industrial-zones-atlas data/enriched.csv"
SOURCE_COLUMNS = ("代码", "开发区名称", "省份", "批准级别", "开发区类型", "批准时间", "核准面积_公顷", "主导产业", "格式化地址")
NOTICE_TYPES = {"经济技术开发区", "高新技术产业开发区", "经济开发区", "工业园区"}  # the notice's types that are ours
MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}
APPROVERS = {"G": "国务院", "S": "省政府"}

_PREFECTURE = re.compile(r"^(.{2,9}?(?:自治州|地区|盟|市))")
_COUNTY = re.compile(r"^(.{1,7}?(?:自治县|自治旗|区|县|市|旗))")
_NOT_A_PLACE = re.compile(r"开发|园|经济|工业|高新|保税|示范|合作|贸易|口岸|产业|基地|加工")


def admin_from_address(address: str, province: str) -> tuple[str | None, str | None]:
    """Return (prefecture, county) read from a geocoded address in ``province``, or Nones."""
    address = (address or "").strip()
    if not province or not address.startswith(province):
        return None, None  # geocoded into another province: not trusted
    rest = address[len(province):]
    if province in MUNICIPALITIES:
        prefecture = province
    else:
        match = _PREFECTURE.match(rest)
        if not match or _NOT_A_PLACE.search(match.group(1)):
            return None, None
        prefecture = match.group(1)
        rest = rest[match.end():]
    match = _COUNTY.match(rest)
    county = match.group(1) if match and not _NOT_A_PLACE.search(match.group(1)) else None
    return prefecture, county


def our_type(name: str, notice_type: str) -> str:
    """Return our zone type for a notice row: its type when ours, else what the name says."""
    if notice_type in NOTICE_TYPES:
        return notice_type
    return parse_zone_name(name).type or "其他"


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
        raise CatalogError(f"{source}: missing column(s) {', '.join(missing)}; not the atlas layout")
    entries: list[CatalogEntry] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    digit_types: dict[str, Counter[str]] = {}
    rows = 0
    for row in reader:
        rows += 1
        line = reader.line_num
        name = (row["开发区名称"] or "").strip()
        province = (row["省份"] or "").strip()
        notice_type = (row["开发区类型"] or "").strip()
        code = (row["代码"] or "").strip().upper()
        prefecture, county = admin_from_address(row["格式化地址"], province)
        ours = {
            "code": code, "official_name": name, "province": province, "prefecture": prefecture or "",
            "county": county or "", "level": "", "approving_body": (row["批准级别"] or "").strip(),
            "type": our_type(name, notice_type), "approval_date": row["批准时间"], "area_ha": row["核准面积_公顷"],
            "industries": row["主导产业"], "notice_type": notice_type,
        }
        try:
            if not code:
                raise CatalogError(f"{source}: line {line}: no code")
            entry = entry_from_row(ours, source, line)
        except CatalogError as exc:
            problems.append(f"{exc} (skipped)")
            continue
        if entry.code in seen:
            problems.append(f"{source}: line {line}: duplicate code {entry.code}, first on line {seen[entry.code]} (skipped)")
            continue
        if entry.approving_body != APPROVERS[entry.code[0]]:
            problems.append(f"{source}: line {line}: {entry.code} is approved by {entry.approving_body!r}, "
                            f"but its code says {APPROVERS[entry.code[0]]} (kept)")
        seen[entry.code] = line
        digit_types.setdefault(entry.code[0] + entry.code[3], Counter())[notice_type] += 1
        entries.append(entry)
    # the code's type digit should name one notice type; a row that disagrees with its digit is reported
    for entry in entries:
        counts = digit_types[entry.code[0] + entry.code[3]]
        usual = counts.most_common(1)[0][0]
        if entry.notice_type != usual:
            problems.append(f"{source}: line {entry.line}: {entry.code} has type {entry.notice_type!r}, "
                            f"but its type digit usually means {usual!r} (kept)")
    return entries, problems, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE,
                        help=f"source CSV in the atlas layout (default: {DEFAULT_SOURCE})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"catalog to write (default: {DEFAULT_OUT})")
    parser.add_argument("--source-name", default=SOURCE_NAME, help="what the source is, for the meta file")
    parser.add_argument("--source-copy", default=SOURCE_COPY, help="where the machine-readable copy came from")
    parser.add_argument("--date", default="2018", help="date (edition) of the source, for the meta file")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"build_catalog: {args.source}: not found. Put a copy of the notice in the atlas layout there "
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
        "notes": "prefecture/county from the copy's 格式化地址 only when it lies in the zone's province; "
                 "coordinates not used",
    }
    meta_path = args.out.with_name(args.out.stem + ".meta.json")
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"build_catalog: {written} zones from {rows} rows of {args.source} → {args.out} "
          f"({skipped} skipped, {len(problems) - skipped} notes)", file=sys.stderr)
    return 1 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
