"""The ``kaifaqu`` command: a thin layer over the library API.

Each sub-command parses its flags, calls one library function and prints.
Machine-readable output goes to stdout; messages and progress go to stderr.
Exit codes: 0 all good, 1 something failed (a bad file, an article with an
error), 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import os
import sys

from ._cli_segment import add_segment as _add_segment, add_segmenter as _add_segmenter
from ._cli_zones import add_zones as _add_zones
from .core.errors import ConfigError, KaifaquError

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _print_err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- extract ---------------------------------------------------------------

def _print_failures(result) -> None:
    """One stderr line per bad input file and per article that failed."""
    from .extract.llm.breaker import NOT_SENT

    for line in result.input_errors:
        _print_err(line)
    stopped = [r for r in result.article_errors if NOT_SENT in str(r["error"])]
    for record in result.article_errors:
        if NOT_SENT not in str(record["error"]):
            _print_err(f"{record['source']} article {record['article_index']}: {record['error']}")
    if stopped:  # the circuit breaker opened: one line for all the articles it held back
        reason = str(stopped[0]["error"]).split(NOT_SENT, 1)[1]
        _print_err(f"kaifaqu: {len(stopped)} article(s) not sent: {reason}")


# --- extract (flags) -------------------------------------------------------

def _add_extract(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="extract grounded zone profiles into OUT/")
    p.add_argument("inputs", nargs="+", metavar="PAGE_OR_DIR", help="page files or directories of .txt pages")
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="output directory (profiles.jsonl, zones.jsonl...)")
    from .extract.registry import backend_names

    p.add_argument("--backend", default="auto", choices=list(backend_names(auto=True)),
                   help="auto (default): the model when one is configured, else the rules")
    p.add_argument("--model", help="model name (env KAIFAQU_MODEL)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint (env KAIFAQU_BASE_URL, OPENAI_BASE_URL)")
    p.add_argument("--mode", help="instructor mode: tools, json_schema, json, md_json (default: from the endpoint)")
    p.add_argument("--endpoint", help="endpoint kind when the URL does not tell: openai, deepseek, qwen, vllm, "
                                      "llamacpp, llamacpppython, lmstudio, ollama, local, generic")
    p.add_argument("--concurrency", type=int, default=8, help="articles in flight (default 8)")
    p.add_argument("--timeout", type=float, help="seconds per request (env KAIFAQU_TIMEOUT; default: from the "
                                                  "endpoint, long for local servers)")
    p.add_argument("--max-tokens", type=int, help="cap on the answer's tokens; a cut-off answer keeps the facts it "
                                                  "wrote in full (env KAIFAQU_MAX_TOKENS; default: from the endpoint)")
    p.add_argument("--temperature", type=float, help="sampling temperature (env KAIFAQU_TEMPERATURE; default 0)")
    p.add_argument("--reask", type=int, help="validation re-asks per article (default 2)")
    p.add_argument("--token-budget", type=int, help="split articles longer than this many tokens")
    p.add_argument("--max-chunks", type=int, help="an article splitting into more chunks than this is an error, "
                                                  "not sent (env KAIFAQU_MAX_CHUNKS; default 20)")
    p.add_argument("--prompt-version", metavar="VERSION", default=os.environ.get("KAIFAQU_PROMPT_VERSION") or None,
                   help="prompt set under prompts/ (env KAIFAQU_PROMPT_VERSION; default v2, the compact one; v1 is "
                        "the long one with a fuller worked example)")
    p.add_argument("--evidence", choices=["quote", "sentence"],
                   help="evidence form: quote (verbatim quotes, the default) or sentence (the model cites numbered "
                        "sentences, mapped to their text: shorter answers; env KAIFAQU_EVIDENCE)")
    p.add_argument("--dry-run", action="store_true", help="print pages, articles, chunks, requests and estimated "
                                                          "tokens; send nothing, write nothing")
    p.add_argument("--price", metavar="IN,OUT", help="with --dry-run: prices per million prompt and completion "
                                                     "tokens, to estimate the cost")
    p.add_argument("--strict", action="store_true", help="drop facts whose evidence is not found in the text")
    p.add_argument("--keep-ungrounded", action="store_true",
                   help="count facts whose evidence is not found in zones.jsonl and the exports too (by default "
                        "they stay in profiles.jsonl with grounded: false only)")
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
    p.add_argument("-q", "--quiet", action="store_true", help="no progress (a bar on a terminal, else a line every "
                                                              "50 articles or 30 s), only errors and the summary")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="log retries, mode fallbacks and their reasons to stderr (-vv: debug); keys are masked")
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


def _cmd_extract(args: argparse.Namespace) -> int:
    if args.verbose:
        from .outputs.logs import log_to_stderr

        log_to_stderr(args.verbose)
    from .extract.llm.config import ModelConfig
    from .run.batch import BatchConfig
    from .run.engine import run
    from .run.options import ExtractOptions

    overrides = {k: v for k, v in {"timeout": args.timeout, "reask": args.reask, "max_tokens": args.max_tokens,
                                   "temperature": args.temperature,
                                   "token_budget": args.token_budget, "endpoint": args.endpoint,
                                   "max_chunks": args.max_chunks, "evidence": args.evidence}.items()
                 if v is not None}
    urls = [u.strip() for u in (args.base_url or "").split(",") if u.strip()]
    if len(urls) > 1 and args.engine == "single":
        raise ConfigError("several --base-url replicas need --engine local or --engine ray")
    try:
        low, high = (int(v) for v in args.actors.split(","))
    except ValueError:
        raise ConfigError(f"--actors takes MIN,MAX (two integers), got {args.actors!r}") from None
    config = ModelConfig.resolve(model=args.model, base_url=urls[0] if urls else None, mode=args.mode, **overrides)
    rules_off = _rules_off(args.rules_off)
    progress = not args.quiet  # a bar on a terminal, else a line every N articles or seconds
    engine = "inline" if args.engine == "single" else args.engine
    options = ExtractOptions(
        backend=args.backend, concurrency=args.concurrency, strict=args.strict, use_cache=not args.no_cache,
        refresh=args.refresh, cache_dir=args.cache_dir, stitch=args.stitch, formats=tuple(args.format),
        keep_ungrounded=args.keep_ungrounded,
        catalogs=tuple(args.catalog), progress=progress, engine=engine, shards=args.shards,
        max_in_flight=args.max_in_flight, address=args.address, actors=(low, high), rules_off=rules_off,
        segmenter=args.segmenter)
    try:
        versions = {"prompt_version": args.prompt_version} if args.prompt_version else {}
        batch_config, note = BatchConfig.resolve(config, args.backend, base_urls=urls, options=options, **versions)
    except ConfigError as exc:
        flags = "pass --model" if "needs a model" in str(exc) else "the key is read from the environment only"
        raise ConfigError(f"{exc} ({flags})") from None
    if args.dry_run or args.price:
        return _dry_run(args, batch_config, note)
    result = run(args.inputs, args.out, batch_config, options, note=note)
    _print_err(f"kaifaqu: {result.backend_note}")
    mode = result.provenance.get("mode")
    if mode:
        _print_err(f"kaifaqu: endpoint profile {mode['endpoint_profile']}, mode {mode['mode']} ({mode['why']})")
    if engine != "inline":
        _print_err(f"kaifaqu: engine {engine}, {result.shards} shard(s)")
    for line in result.notes:
        _print_err(f"kaifaqu: {line}")
    _print_failures(result)
    usage = result.usage
    _print_err(
        f"kaifaqu: {result.pages} page(s), {result.articles} article(s), {result.failed} failed, "
        f"backend {result.backend}, {result.shards - result.shards_skipped} of {result.shards} shard(s) run "
        f"({result.articles_run} article(s)), {result.seconds:.2f}s; tokens prompt {usage.prompt_tokens} "
        f"(cached {usage.cached_prompt_tokens}) completion {usage.completion_tokens}, requests {usage.requests}, "
        f"retries {usage.retries} (reasks {usage.reasks}), rejected facts {usage.rejected}, "
        f"cache hits {result.cache_hits}"
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


def _dry_run(args: argparse.Namespace, batch_config, note: str) -> int:
    """``extract --dry-run``: the run's size and estimated cost, without sending or writing anything."""
    from .run.estimate import estimate_run, parse_price

    if args.price and not args.dry_run:
        raise ConfigError("--price only makes sense with --dry-run")
    price = parse_price(args.price) if args.price else None
    estimate = estimate_run(args.inputs, batch_config, stitch=args.stitch)
    _print_err(f"kaifaqu: {note}")
    for line in estimate.input_errors:
        _print_err(line)
    for line in estimate.lines(price):
        print(line)
    return EXIT_FAILED if estimate.input_errors or estimate.over_limit else EXIT_OK


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


# --- report ----------------------------------------------------------------

def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a self-contained HTML page to review every fact in its text")
    p.add_argument("out", metavar="OUT", help="output folder of `kaifaqu extract`")
    p.add_argument("-o", "--output", default=None, metavar="HTML", help="the HTML file to write (default OUT/report.html)")
    p.add_argument("--keep-ungrounded", action="store_true",
                   help="count ungrounded facts in the zones and totals too (they are always listed)")
    p.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .outputs.report import write_report

    path = write_report(args.out, args.output or Path(args.out) / "report.html",
                        keep_ungrounded=args.keep_ungrounded)
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
    p.add_argument("--segments", metavar="SEGMENTS.json", nargs="?", const="",
                   help="score a segmentation instead: a `kaifaqu segment --json` file, or, given bare after "
                        "PROFILES.jsonl, the layout segmentation of the pages that run read (its manifest.json)")
    p.add_argument("--misses", action="store_true",
                   help="also list, per page and category, the gold facts missed (-) and the facts found that "
                        "match no gold fact (+)")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.set_defaults(func=_cmd_eval)


def _cmd_eval(args: argparse.Namespace) -> int:
    import json

    from .evaluate.scores import format_misses, format_segment_table, format_table, load_segments, score_profiles
    from .outputs.files import read_profiles
    from .evaluate.gold import load_gold

    if args.list_rules:
        return _cmd_rules_eval(args)
    if not args.gold:
        raise ConfigError("eval: --gold DIR is required")
    if args.ablate_rules:
        return _cmd_rules_eval(args)
    of_run = args.segments == ""  # bare --segments: the pages the run of PROFILES.jsonl read
    if (args.segments is None and not args.profiles) or (of_run and not args.profiles) \
            or (args.profiles and args.segments and not of_run):
        raise ConfigError("eval: give PROFILES.jsonl, --segments SEGMENTS.json, or PROFILES.jsonl --segments")
    gold = load_gold(args.gold)
    if args.segments is not None:
        from .evaluate.segments import score_segmentation, segments_of_run

        pages = segments_of_run(args.profiles) if of_run else load_segments(args.segments)
        scores = score_segmentation(gold, pages)
        text = format_segment_table(scores)
    else:
        scores = score_profiles(gold, read_profiles(args.profiles), misses=args.misses)
        text = format_table(scores)
        if args.misses:
            text += "\n\n" + format_misses(scores)
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
    from . import __version__

    parser.add_argument("--version", action="version", version=f"kaifaqu {__version__}")
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
