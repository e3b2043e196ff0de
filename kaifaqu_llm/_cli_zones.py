"""The ``kaifaqu zones`` sub-command: the development zones of an output folder (see ``_cli.py``)."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_zones"]


def add_zones(sub: argparse._SubParsersAction) -> None:
    """Add the ``zones`` sub-command to ``sub`` (returns nothing)."""
    p = sub.add_parser("zones", help="list the development zones of an output folder, merged across articles")
    p.add_argument("out", metavar="OUT", help="output folder of `kaifaqu extract` (profiles.jsonl or zones.jsonl)")
    p.add_argument("--json", action="store_true", help="print one JSON object per zone per line")
    p.add_argument("--keep-ungrounded", action="store_true",
                   help="count ungrounded facts and zone mentions too (built from profiles.jsonl)")
    p.add_argument("--unlinked", action="store_true",
                   help="only the zones that did not link to the catalog, with their candidates "
                        "(to add to a --catalog file, docs/catalog.md)")
    p.set_defaults(func=_cmd_zones)


def _zone_candidates(zone: dict) -> list[dict]:
    """Return the distinct catalog candidates the mentions of an unlinked zone were offered, best first."""
    best: dict[str, dict] = {}
    for mention in zone.get("mentions", []):
        for candidate in mention.get("link_candidates") or []:
            code = candidate.get("catalog_code")
            if code and (code not in best or candidate.get("score", 0) > best[code].get("score", 0)):
                best[code] = candidate
    return sorted(best.values(), key=lambda c: (-c.get("score", 0), c["catalog_code"]))


def _cmd_zones(args: argparse.Namespace) -> int:
    import json

    from .core.facts import zone_fact_kinds
    from .zones.registry import read_registry

    registry = read_registry(args.out, keep_ungrounded=args.keep_ungrounded)
    if args.unlinked:
        registry = [{**z, "link_candidates": _zone_candidates(z)} for z in registry
                    if not z.get("unassigned") and not z.get("catalog_code")]
    if args.json:
        for zone in registry:
            print(json.dumps(zone, ensure_ascii=False))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    if args.unlinked:
        for column in ("zone", "type", "province", "city", "candidates"):
            table.add_column(column)
        for zone in registry:
            offered = "; ".join(f"{c['catalog_code']} {c.get('official_name') or ''} {c.get('score')}"
                                + (f" ({c['reason']})" if c.get("reason") else "") for c in zone["link_candidates"])
            table.add_row(zone.get("canonical") or "", zone.get("type") or "", zone.get("province") or "",
                          zone.get("city") or "", offered)
    else:
        counted = [kind.name for kind in zone_fact_kinds()]
        for column in ("zone", "type", "city", "province", "level", "code"):
            table.add_column(column)
        for column in ["articles", *counted]:
            table.add_column(column, justify="right")
        for zone in registry:
            row = [zone.get("canonical") or "(unassigned)"]
            row += [zone.get(k) or "" for k in ("type", "city", "province", "level", "catalog_code")]
            row += [str(len(zone.get("sources", [])))] + [str(len(zone.get(c, []))) for c in counted]
            table.add_row(*row)
    Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200, highlight=False).print(table)
    return 0
