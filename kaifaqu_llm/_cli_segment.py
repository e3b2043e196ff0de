"""The ``kaifaqu segment`` sub-command and the ``--segmenter`` flag ``extract`` shares (see ``_cli.py``)."""

from __future__ import annotations

import argparse

__all__ = ["add_segment", "add_segmenter"]


def add_segment(sub: argparse._SubParsersAction) -> None:
    """Add the ``segment`` sub-command to ``sub`` (returns nothing)."""
    p = sub.add_parser("segment", help="cut pages into articles")
    p.add_argument("pages", nargs="+", metavar="PAGE", help="page files (or directories of .txt pages)")
    p.add_argument("--json", action="store_true", help="print one JSON array, one object per page")
    p.add_argument("--stitch", action="store_true",
                   help="join (下转X版) articles with their (上接X版) fragments on the other pages given")
    add_segmenter(p)
    p.add_argument("--model", help="model name (env KAIFAQU_MODEL)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint (env KAIFAQU_BASE_URL, OPENAI_BASE_URL)")
    p.add_argument("--cache-dir", help="cache directory (env KAIFAQU_CACHE_DIR, else the user cache dir)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.set_defaults(func=_cmd_segment)


def add_segmenter(p: argparse.ArgumentParser) -> None:
    """Add ``--segmenter layout|model|auto`` to the parser ``p`` (returns nothing)."""
    p.add_argument("--segmenter", default="auto", choices=["auto", "layout", "model"],
                   help="how pages are cut into articles: layout (the layout rules), model (the model reads each "
                        "page's lines; an answer the layout contradicts falls back to the layout for that page), "
                        "auto (default): the model when one is configured, else the layout")


def _model_split(args: argparse.Namespace, infos: dict):
    """Return a ``split`` for :func:`segment_paths` that asks the model segmenter (None: the layout runs)."""
    if args.segmenter == "layout":
        return None
    from .extract.llm.config import ModelConfig
    from .extract.llm.segmenter import page_splitter

    config = ModelConfig.resolve(model=args.model, base_url=args.base_url)
    return page_splitter(args.segmenter, config, cache_dir=args.cache_dir, use_cache=not args.no_cache, into=infos)


def _segment_table(page, articles) -> str:
    import unicodedata

    def cut(text, width):
        # pad to a display width: CJK characters take two terminal columns
        out, used = "", 0
        for ch in (text or "-").replace("\n", " "):
            w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
            if used + w > width - 1:
                out, used = out + "…", used + 1
                break
            out, used = out + ch, used + w
        return out + " " * max(0, width - used)

    lines = [f"{page.source}  ({page.encoding}, {len(articles)} articles)"]
    for a in articles:
        marks = " ".join(x for x in (a.continued_from and f"上接{a.continued_from}",
                                     a.continues_to and f"下转{a.continues_to}") if x)
        lines.append(f"  {a.index:>3}  {cut(a.title, 44)}  {cut(a.zone_header, 22)}  "
                     f"{cut(' '.join(a.authors), 16)}  {cut(marks, 18)}  {len(a.text):>6} chars  "
                     f"[{a.start}:{a.end}]")
    return "\n".join(lines)


def _cmd_segment(args: argparse.Namespace) -> int:
    import json

    from ._cli import EXIT_FAILED, EXIT_OK, _print_err

    from .extract.llm.segmenter import summary
    from .pages.segment import segment_paths

    infos: dict = {}
    results, errors = segment_paths(args.pages, stitch=args.stitch, split=_model_split(args, infos))
    for message in errors:
        _print_err(message)
    for info in infos.values():
        if info.note:
            _print_err(f"{info.page.path or info.page.source}: segmented by layout: {info.note}")
    if summary(list(infos.values())):
        _print_err(f"kaifaqu: {summary(list(infos.values()))}")
    if args.json:
        out = []
        for page, articles in results:
            items = []
            for a in articles:
                item = a.to_json()
                if len(a.parts) > 1:
                    item["parts"] = [list(part) for part in a.parts]
                items.append(item)
            out.append({"source": page.source, "encoding": page.encoding, "articles": items})
            if page.source in infos:
                out[-1]["segmenter"] = infos[page.source].to_json()
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        print("\n\n".join(_segment_table(page, articles) for page, articles in results))
    for page, _articles in results:
        if not page.text.strip():
            _print_err(f"{page.path or page.source}: blank page (no articles)")
    return EXIT_FAILED if errors else EXIT_OK
