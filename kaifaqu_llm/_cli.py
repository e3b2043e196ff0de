"""The ``kaifaqu`` command: a thin layer over the library API.

Each sub-command parses its flags, calls one library function and prints.
Machine-readable output goes to stdout; messages and progress go to stderr.
Exit codes: 0 all good, 1 something failed (a bad file, an article with an
error), 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys

from ._cli_segment import add_segment as _add_segment, add_segmenter as _add_segmenter
from .core.errors import ConfigError, KaifaquError

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _print_err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- extract ---------------------------------------------------------------

def _print_failures(result) -> None:
    """One stderr line per bad input file and per article that failed."""
    for line in result.input_errors:
        _print_err(line)
    for record in result.article_errors:
        _print_err(f"{record['source']} article {record['article_index']}: {record['error']}")


# --- extract (flags) -------------------------------------------------------

def _add_extract(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="extract grounded zone profiles into OUT/")
    p.add_argument("inputs", nargs="+", metavar="PAGE_OR_DIR", help="page files or directories of .txt pages")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="output directory (profiles.jsonl, zones.jsonl...)")
    p.add_argument("--backend", default="auto", choices=["auto", "llm", "rules", "hybrid"],
                   help="auto (default): the model when one is configured, else the rules")
    p.add_argument("--model", help="model name (env KAIFAQU_MODEL)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint (env KAIFAQU_BASE_URL, OPENAI_BASE_URL)")
    p.add_argument("--mode", help="instructor mode: tools, json_schema, json, md_json (default: from the endpoint)")
    p.add_argument("--endpoint", help="endpoint kind when the URL does not tell: openai, deepseek, qwen, vllm, "
                                      "llamacpp, llamacpppython, lmstudio, ollama, local, generic")
    p.add_argument("--concurrency", type=int, default=8, help="articles in flight (default 8)")
    p.add_argument("--timeout", type=float, help="seconds per request (env KAIFAQU_TIMEOUT; default: from the "
                                                  "endpoint, long for local servers)")
    p.add_argument("--max-tokens", type=int, help="cap on the answer's tokens; a cut-off answer is an error for its "
                                                  "article (env KAIFAQU_MAX_TOKENS; default: from the endpoint)")
    p.add_argument("--temperature", type=float, help="sampling temperature (env KAIFAQU_TEMPERATURE; default 0)")
    p.add_argument("--reask", type=int, help="validation re-asks per article (default 2)")
    p.add_argument("--token-budget", type=int, help="split articles longer than this many tokens")
    p.add_argument("--strict", action="store_true", help="drop facts whose evidence is not found in the text")
    p.add_argument("--cache-dir", help="cache directory (env KAIFAQU_CACHE_DIR, else the user cache dir)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--refresh", action="store_true", help="ask the model again and overwrite cached answers")
    p.add_argument("--format", action="append", default=[], choices=["jsonl", "csv", "sqlite"],
                   help="extra outputs besides profiles.jsonl (repeatable)")
    p.add_argument("--catalog", action="append", default=[], metavar="FILE.csv",
                   help="user zone catalog extending / overriding the built-in one (repeatable)")
    _add_segmenter(p)
    p.add_argument("--rules-off", metavar="NAME[,NAME]", default="",
                   help="switch rules of the rules backend off by name (list: `kaifaqu eval --list-rules`; "
                        "env KAIFAQU_RULES_OFF)")
    stitching = p.add_mutually_exclusive_group()
    stitching.add_argument("--stitch", dest="stitch", action="store_true",
                           help="join a (下转X版) article to its (上接Y版) fragment on another given page; the pair is "
                                "chosen from editions in file names, then shared wording (docs: _stitch.py)")
    stitching.add_argument("--no-stitch", dest="stitch", action="store_false", help="keep every page's articles apart "
                                                                                      "(the default)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, only errors and the summary")
    scale = p.add_argument_group("scale-out (docs/scale-out.md)")
    scale.add_argument("--engine", default="single", choices=["single", "local", "ray"],
                       help="single (default): this process; local: resumable shards in this process; "
                            "ray: resumable shards on Ray Data actors (pip install 'kaifaqu-llm[ray]')")
    scale.add_argument("--address", help="Ray cluster to join: auto, or ray://HOST:10001 (default: a local Ray)")
    scale.add_argument("--actors", default="1,2", metavar="MIN,MAX", help="Ray actor pool size (default 1,2)")
    scale.add_argument("--shards", type=int, default=16, help="output shards, the unit of resume (default 16)")
    scale.add_argument("--max-in-flight", type=int, metavar="N",
                       help="requests in flight across all workers (default: --concurrency); each Ray actor "
                            "gets ceil(N / MAX actors). --base-url may list replicas: URL1,URL2")
    p.set_defaults(func=_cmd_extract)


def _cmd_extract_batch(args: argparse.Namespace, config, urls: list[str], progress: bool) -> int:
    from .run.batch import BatchConfig
    from .run.shards import BatchOptions, extract_batch

    try:
        low, high = (int(v) for v in args.actors.split(","))
    except ValueError:
        raise ConfigError(f"--actors takes MIN,MAX (two integers), got {args.actors!r}") from None
    batch_config, note = BatchConfig.resolve(
        config, args.backend, base_urls=urls, max_in_flight=args.max_in_flight or args.concurrency,
        cache_dir=args.cache_dir, use_cache=not args.no_cache, refresh=args.refresh, strict=args.strict,
        catalogs=tuple(args.catalog))
    options = BatchOptions(engine=args.engine, shards=args.shards, max_in_flight=args.max_in_flight or args.concurrency,
                           address=args.address, actors=(low, high), stitch=args.stitch,
                           formats=tuple(args.format), progress=progress)
    result = extract_batch(args.inputs, args.out, batch_config, options)
    _print_err(f"kaifaqu: {note}")
    _print_err(f"kaifaqu: engine {args.engine}, {options.shards} shard(s)")
    _print_failures(result)
    usage = result.usage
    _print_err(
        f"kaifaqu: {result.pages} page(s), {len(result.records)} article(s), {result.failed} failed, "
        f"{result.shards - result.shards_skipped} of {result.shards} shard(s) run ({result.articles_run} "
        f"article(s)), {result.seconds:.2f}s; tokens prompt {usage.prompt_tokens} (cached "
        f"{usage.cached_prompt_tokens}) completion {usage.completion_tokens}, requests {usage.requests}, "
        f"retries {usage.retries}"
    )
    _print_err(f"kaifaqu: wrote {', '.join(str(p) for p in result.written)}")
    return EXIT_OK if result.ok else EXIT_FAILED


def _cmd_extract(args: argparse.Namespace) -> int:
    from .extract.llm.config import ModelConfig
    from .run.pipeline import ExtractOptions, extract

    overrides = {k: v for k, v in {"timeout": args.timeout, "reask": args.reask, "max_tokens": args.max_tokens,
                                   "temperature": args.temperature,
                                   "token_budget": args.token_budget, "endpoint": args.endpoint}.items()
                 if v is not None}
    urls = [u.strip() for u in (args.base_url or "").split(",") if u.strip()]
    if len(urls) > 1 and args.engine == "single":
        raise ConfigError("several --base-url replicas need --engine local or --engine ray")
    config = ModelConfig.resolve(model=args.model, base_url=urls[0] if urls else None, mode=args.mode, **overrides)
    rules_off = _rules_off(args.rules_off)
    progress = False
    if not args.quiet:
        from .outputs.progress import progress_enabled

        progress = progress_enabled(quiet=args.quiet)
    if args.engine != "single":
        if args.segmenter == "model":
            raise ConfigError("--segmenter model runs with --engine single only (the shard engines use the layout)")
        return _cmd_extract_batch(args, config, urls, progress)
    options = ExtractOptions(
        backend=args.backend, concurrency=args.concurrency, strict=args.strict, use_cache=not args.no_cache,
        refresh=args.refresh, cache_dir=args.cache_dir, stitch=args.stitch, formats=tuple(args.format),
        catalogs=tuple(args.catalog), progress=progress, rules_off=rules_off, segmenter=args.segmenter,
    )
    result = extract(args.inputs, args.out, config=config, options=options)
    _print_err(f"kaifaqu: {result.backend_note}")
    for note in result.notes:
        _print_err(f"kaifaqu: {note}")
    _print_failures(result)
    usage = result.usage
    _print_err(
        f"kaifaqu: {result.pages} page(s), {len(result.records)} article(s), {result.failed} failed, "
        f"backend {result.backend}, {result.seconds:.2f}s; tokens prompt {usage.prompt_tokens} "
        f"(cached {usage.cached_prompt_tokens}) completion {usage.completion_tokens}, requests {usage.requests}, "
        f"retries {usage.retries} (reasks {usage.reasks}), rejected facts {usage.rejected}, "
        f"cache hits {sum(1 for r in result.records if r['usage'].get('cache_hit'))}"
    )
    if result.written:
        _print_err(f"kaifaqu: wrote {', '.join(str(p) for p in result.written)}")
    return EXIT_OK if result.ok else EXIT_FAILED


def _rules_off(spec: str) -> tuple[str, ...]:
    """Return the rule names of ``--rules-off``, also set in the environment so that worker processes see them."""
    if not spec:
        return ()
    import os

    from .extract.rules.registry import RULES_ENV, parse_rule_names

    try:
        names = tuple(sorted(parse_rule_names(spec)))
    except ValueError as exc:
        raise ConfigError(f"--rules-off: {exc}") from None
    os.environ[RULES_ENV] = ",".join(names)
    return names


# --- schema ----------------------------------------------------------------

def _add_schema(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print or write the JSON Schemas of the profile (schemas/)")
    p.add_argument("--write", metavar="DIR", help="write one .json file per schema into DIR")
    p.set_defaults(func=_cmd_schema)


def _cmd_schema(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from .outputs.files import atomic_write_text
    from .core.schema import export_json_schemas

    schemas = export_json_schemas()
    if not args.write:
        print(json.dumps(schemas, ensure_ascii=False, indent=2))
        return EXIT_OK
    for name, schema in schemas.items():
        path = atomic_write_text(Path(args.write) / name, json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
        _print_err(f"kaifaqu: wrote {path}")
    return EXIT_OK


# --- zones -----------------------------------------------------------------

def _add_zones(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("zones", help="list the development zones of an output folder, merged across articles")
    p.add_argument("out", metavar="OUT", help="output folder of `kaifaqu extract` (profiles.jsonl or zones.jsonl)")
    p.add_argument("--json", action="store_true", help="print one JSON object per zone per line")
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

    registry = read_registry(args.out)
    if args.unlinked:
        registry = [{**z, "link_candidates": _zone_candidates(z)} for z in registry
                    if not z.get("unassigned") and not z.get("catalog_code")]
    if args.json:
        for zone in registry:
            print(json.dumps(zone, ensure_ascii=False))
        return EXIT_OK
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
    return EXIT_OK


# --- report ----------------------------------------------------------------

def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a self-contained HTML page to review every fact in its text")
    p.add_argument("out", metavar="OUT", help="output folder of `kaifaqu extract`")
    p.add_argument("-o", "--output", default=None, metavar="HTML", help="the HTML file to write (default OUT/report.html)")
    p.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .outputs.report import write_report

    path = write_report(args.out, args.output or Path(args.out) / "report.html")
    _print_err(f"kaifaqu: wrote {path}")
    return EXIT_OK


# --- eval --------------------------------------------------------------------

def _add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="score profiles (or a segmentation) against gold annotations")
    p.add_argument("profiles", nargs="?", metavar="PROFILES.jsonl", help="OUT/profiles.jsonl to score")
    p.add_argument("--ablate-rules", metavar="PAGES_DIR", help="run the rules backend on the pages of PAGES_DIR "
                   "once with all rules and once with each rule off; print what each rule is worth (F1 change)")
    p.add_argument("--list-rules", action="store_true", help="print the rules backend's named rules and exit")
    p.add_argument("--gold", metavar="DIR", help="directory of gold annotation files (*.json); required to score")
    p.add_argument("--segments", metavar="SEGMENTS.json", help="score `kaifaqu segment --json` output instead")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.set_defaults(func=_cmd_eval)


def _cmd_eval(args: argparse.Namespace) -> int:
    import json

    from .evaluate.scores import format_segment_table, format_table, load_segments, score_profiles
    from .outputs.files import read_profiles
    from .evaluate.gold import load_gold

    if args.list_rules:
        return _cmd_rules_eval(args)
    if not args.gold:
        raise ConfigError("eval: --gold DIR is required")
    if args.ablate_rules:
        return _cmd_rules_eval(args)
    if bool(args.profiles) == bool(args.segments):
        raise ConfigError("eval: give either PROFILES.jsonl or --segments SEGMENTS.json")
    gold = load_gold(args.gold)
    if args.segments:
        from .evaluate.segments import score_segmentation

        scores = score_segmentation(gold, load_segments(args.segments))
        text = format_segment_table(scores)
    else:
        scores = score_profiles(gold, read_profiles(args.profiles))
        text = format_table(scores)
    if args.json:
        print(json.dumps(scores, ensure_ascii=False, indent=2))
    else:
        print(text)
    return EXIT_OK


def _cmd_rules_eval(args: argparse.Namespace) -> int:
    import json

    from .evaluate.ablation import ablate_rules, format_ablation, format_rule_list
    from .evaluate.gold import load_gold

    if args.list_rules:
        print(format_rule_list())
        return EXIT_OK
    result = ablate_rules(load_gold(args.gold), args.ablate_rules)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else format_ablation(result))
    return EXIT_OK


# --- registry of sub-commands ------------------------------------------------

_COMMANDS = [_add_segment, _add_extract, _add_schema, _add_zones, _add_report, _add_eval]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``kaifaqu`` command."""
    parser = argparse.ArgumentParser(
        prog="kaifaqu",
        description="Evidence-grounded development-zone profiles from OCR'd Chinese newspaper pages.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in _COMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``kaifaqu`` command and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        _print_err(f"kaifaqu: {exc}")
        return EXIT_USAGE
    except KaifaquError as exc:
        _print_err(f"kaifaqu: {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _print_err("kaifaqu: interrupted")
        return 130
    except BrokenPipeError:
        # stdout closed early (``kaifaqu zones OUT --json | head``): not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
