"""The extraction pipeline: pages in, grounded profile records out.

    read page → segment → (stitch) → backend (llm | rules | hybrid) → ground → OUT/

:func:`extract` is the library entry point behind ``kaifaqu extract``. Articles
run concurrently (a fixed pool of workers, ``ExtractOptions.concurrency`` in
flight) and come back in input order. A page that cannot be read becomes one line
in ``ExtractResult.input_errors``; an article that cannot be extracted becomes a
record with ``error`` set. Nothing is dropped silently: ``ExtractResult.failed``
counts both.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..extract.backend import Backend, BackendResult, RulesBackend, Usage
from ..core.document import Article, Page
from ..core.errors import ConfigError, InputError, redact
from ..outputs.files import atomic_write_text, merge_profiles
from ..ground.records import build_record, error_record

__all__ = [
    "BACKENDS", "ExtractOptions", "ExtractResult", "RunOutcome", "extract", "extract_async", "choose_backend",
    "article_record", "extract_article", "resolve_backend",
]

BACKENDS = ("auto", "llm", "rules", "hybrid")
_CHECKPOINT_SECONDS = 20.0


@dataclass(frozen=True)
class ExtractOptions:
    """How to run an extraction (everything but the model configuration)."""

    backend: str = "auto"
    concurrency: int = 8
    strict: bool = False
    use_cache: bool = True
    refresh: bool = False
    cache_dir: str | None = None
    stitch: bool = False
    formats: tuple[str, ...] = ()
    catalogs: tuple[str, ...] = ()
    progress: bool = False
    rules_off: tuple[str, ...] = ()  # rule names (extract/rules/lexicons/rules.json) the rules backend skips
    # layout (the library's default, as before) | model | auto (the model when the run uses one; the CLI's default)
    segmenter: str = "layout"

    def __post_init__(self) -> None:
        if self.segmenter not in ("auto", "layout", "model"):
            raise ConfigError(f"unknown segmenter {self.segmenter!r} (choose from auto, layout, model)")
        if self.backend not in BACKENDS:
            raise ConfigError(f"unknown backend {self.backend!r} (choose from {', '.join(BACKENDS)})")
        if self.concurrency < 1:
            raise ConfigError("concurrency must be at least 1")
        unknown = set(self.formats) - {"jsonl", "csv", "sqlite"}
        if unknown:
            raise ConfigError(f"unknown format(s): {', '.join(sorted(unknown))} (choose csv, sqlite)")
        if self.rules_off:
            from ..extract.rules.registry import parse_rule_names

            try:
                parse_rule_names(self.rules_off)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None


class RunOutcome:
    """What every kind of run can say about failures (needs ``records`` and ``input_errors``)."""

    records: list[dict]
    input_errors: list[str]

    @property
    def article_errors(self) -> list[dict]:
        """Records whose article could not be extracted."""
        return [r for r in self.records if r.get("error")]

    @property
    def failed(self) -> int:
        """Bad input files plus failed articles."""
        return len(self.input_errors) + len(self.article_errors)

    @property
    def ok(self) -> bool:
        """True when every page was read and every article extracted."""
        return self.failed == 0


@dataclass
class ExtractResult(RunOutcome):
    """What a run produced: records in input order, bad inputs, totals and files written."""

    records: list[dict]
    backend: str
    backend_note: str
    input_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    pages: int = 0
    seconds: float = 0.0
    written: list[Path] = field(default_factory=list)


def resolve_backend(name: str, config: Any | None, base_urls: Sequence[str] = ()) -> tuple[str, str]:
    """Return ``(backend, note)`` for ``--backend name``: the backend that runs (rules, llm or hybrid) and
    a line saying what ran and why. Raises :class:`ConfigError` when a model is needed and none is configured.
    """
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r} (choose from {', '.join(BACKENDS)})")
    configured = config is not None and config.is_configured
    if name == "auto" and not configured:
        return "rules", ("no model configured: using the rules backend. To use a model set KAIFAQU_MODEL and "
                         "KAIFAQU_BASE_URL (and KAIFAQU_API_KEY for a hosted API), or pass --model/--base-url.")
    if name == "rules":
        return "rules", "using the rules backend"
    if not configured:
        raise ConfigError(
            f"--backend {name} needs a model: set KAIFAQU_MODEL (and KAIFAQU_BASE_URL / KAIFAQU_API_KEY) "
            "or pass --model and --base-url"
        )
    name = "llm" if name == "auto" else name
    where = ", ".join(base_urls) or config.base_url or "the OpenAI API"
    return name, redact(f"using the {name} backend: model {config.model} at {where}", *config.secrets())


def choose_backend(name: str, config: Any | None, options: ExtractOptions) -> tuple[Backend, str, str]:
    """Return ``(backend, backend_name, note)`` for ``--backend name``; ``note`` says what ran and why."""
    name, note = resolve_backend(name, config)
    if name == "rules":
        return RulesBackend(options.rules_off), "rules", note
    from ..extract.cache import ProfileCache
    from ..extract.llm.config import resolve_cache_dir
    from ..extract.llm.backend import LLMBackend

    cache = ProfileCache(resolve_cache_dir(options.cache_dir)) if options.use_cache else None
    return LLMBackend(config, cache=cache, refresh=options.refresh), name, note


def _read_inputs(inputs: Iterable[str | os.PathLike[str] | Page]) -> tuple[list[Page], list[str]]:
    from ..pages.reader import iter_page_paths, read_page

    pages: list[Page] = []
    errors: list[str] = []
    paths: list[Any] = []
    for item in inputs:
        if isinstance(item, Page):
            pages.append(item)
            continue
        try:
            paths.extend(iter_page_paths([item]))
        except InputError as exc:
            errors.append(str(exc))
    for path in paths:
        try:
            pages.append(read_page(path))
        except InputError as exc:
            errors.append(str(exc))
    unique: dict[str, Page] = {}
    for page in pages:
        if page.source in unique:
            errors.append(f"{page.path or page.source}: another input has the same file name; names must be unique")
        else:
            unique[page.source] = page
    return list(unique.values()), errors


def _segment_pages(pages: list[Page], stitch: bool, by_page: dict[str, list[Article]] | None = None) -> list[Article]:
    from ..pages.segment import segment

    by_page = by_page or {page.source: segment(page) for page in pages}
    if stitch and len(pages) > 1:
        from ..pages.stitch import stitch as stitch_articles

        return stitch_articles(by_page)
    return [article for page in pages for article in by_page[page.source]]


def _pages_without_articles(pages: list[Page], articles: list[Article]) -> list[str]:
    """Return one line per page that yields no article (blank, or no text the segmenter keeps)."""
    covered = {a.source for a in articles} | {part[0] for a in articles for part in a.parts}
    lines = []
    for page in pages:
        if page.source not in covered:
            problem = "blank page (no text)" if not page.text.strip() else (
                f"no article found in {len(page.text)} characters of text")
            lines.append(f"{page.path or page.source}: {problem}")
    return lines


async def extract_article(backend: Backend, article: Article) -> BackendResult:
    """Return ``backend``'s result for ``article``; an unexpected exception becomes the result's error."""
    try:
        return await backend.extract(article)
    except Exception as exc:  # noqa: BLE001 - a backend bug must not sink the batch
        return BackendResult(None, error=f"{exc.__class__.__name__}: {exc}")


def article_record(article: Article, result: BackendResult, pages: Mapping[str, Page], *, backend_name: str,
                   model: str | None, prompt_version: str | None, strict: bool, rules: RulesBackend | None = None,
                   catalog: Any | None = None) -> dict:
    """Return the grounded profile record of one article (the ``profiles.jsonl`` contract).

    Shared by :func:`extract` and the batch core (``_batch.extract_rows``). With
    ``rules`` (the hybrid backend) the record gets a ``crosscheck``; with a
    ``catalog`` its zones are linked.
    """
    common = dict(backend=backend_name, model=model, prompt_version=prompt_version, usage=result.usage.to_json())
    extra = {k: v for k, v in (("cache_key", result.cache_key), ("rejected", result.rejected)) if v} or None
    if result.profile is None:
        return error_record(article, result.error or "no profile", extra=extra, **common)
    try:
        record = build_record(article, result.profile, pages, strict=strict, extra=extra, **common)
        if rules is not None:
            from ..extract.hybrid import cross_check

            record["crosscheck"] = cross_check(result.profile, rules.extract_sync(article), article.text)
        if catalog is not None:
            from ..zones.linker import annotate_zones

            annotate_zones(record["zones"], catalog)
    except Exception as exc:  # noqa: BLE001 - a record that cannot be built is its article's error, not the batch's
        return error_record(article, f"could not build the record: {exc.__class__.__name__}: {exc}", extra=extra,
                            **common)
    return record


class _Run:
    """One extraction run: drives the backend over the articles and collects records."""

    def __init__(self, backend: Backend, backend_name: str, pages: dict[str, Page], options: ExtractOptions,
                 out_dir: Path | None) -> None:
        self.backend, self.backend_name = backend, backend_name
        self.pages, self.options, self.out_dir = pages, options, out_dir
        self.rules = RulesBackend(options.rules_off) if backend_name == "hybrid" else None
        self.catalog = _load_catalog(options.catalogs)
        self.usage = Usage()
        self._pending_pages: dict[str, int] = {}
        self._done_pages: list[str] = []
        self._records: dict[int, dict] = {}
        self._last_checkpoint = time.monotonic()

    def _record(self, article: Article, result: BackendResult) -> dict:
        return article_record(article, result, self.pages, backend_name=self.backend_name,
                              model=getattr(self.backend, "model", None),
                              prompt_version=getattr(self.backend, "prompt_version", None),
                              strict=self.options.strict, rules=self.rules, catalog=self.catalog)

    async def run(self, articles: list[Article], progress: Any) -> list[dict]:
        for article in articles:
            self._pending_pages[article.source] = self._pending_pages.get(article.source, 0) + 1
        queue: asyncio.Queue[tuple[int, Article]] = asyncio.Queue()
        for item in enumerate(articles):
            queue.put_nowait(item)

        async def worker() -> None:
            while True:
                try:
                    position, article = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                result = await extract_article(self.backend, article)
                record = self._record(article, result)
                self.usage.add(result.usage)
                self._records[position] = record
                progress.advance(cache_hit=result.usage.cache_hit, retries=result.usage.retries,
                                 tokens=result.usage.total_tokens)
                self._page_done(article.source)

        workers = [asyncio.create_task(worker()) for _ in range(min(self.options.concurrency, len(articles)) or 1)]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
        return [self._records[i] for i in range(len(articles))]

    def _page_done(self, source: str) -> None:
        self._pending_pages[source] -= 1
        if self._pending_pages[source] == 0:
            self._done_pages.append(source)
        if self.out_dir is not None and time.monotonic() - self._last_checkpoint > _CHECKPOINT_SECONDS:
            self.checkpoint()

    def checkpoint(self) -> None:
        """Merge the records of every fully extracted page into OUT/profiles.jsonl."""
        if self.out_dir is None or not self._done_pages:
            return
        done = set(self._done_pages)
        records = [r for r in self._records.values() if r["source"] in done]
        merge_profiles(self.out_dir, records, done)
        self._last_checkpoint = time.monotonic()


def _load_catalog(files: Sequence[str]) -> Any | None:
    try:
        from ..zones.catalog import load_catalog
    except ImportError:
        return None
    return load_catalog([Path(f) for f in files])


class _NoProgress:
    def advance(self, **_: Any) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return _NoProgress()
    from ..outputs.progress import Progress

    return Progress(total, enabled=True)


def _write_outputs(out: Path, records: list[dict], pages: list[Page], input_errors: list[str],
                   result_backend: str, usage: Usage, formats: Sequence[str]) -> list[Path]:
    merged = merge_profiles(out, records, [p.source for p in pages])
    written = [out / "profiles.jsonl"]
    manifest = {
        "backend": result_backend,
        "pages": [
            {"source": p.source, "path": p.path, "encoding": p.encoding,
             "sha256": hashlib.sha256(p.text.encode("utf-8")).hexdigest(),
             "articles": sum(1 for r in records if r["source"] == p.source)}
            for p in pages
        ],
        "input_errors": input_errors,
        "usage": usage.to_json(),
    }
    written.append(atomic_write_text(out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2)))
    try:
        from ..zones.registry import build_registry, write_zones
    except ImportError:
        return written
    registry = build_registry(merged)
    written.append(write_zones(out, registry))
    if "csv" in formats:
        from ..outputs.export import write_csv

        written.extend(write_csv(out, merged, registry))
    if "sqlite" in formats:
        from ..outputs.export import write_sqlite

        written.append(write_sqlite(out, merged, registry))
    return written


async def extract_async(
    inputs: Iterable[str | os.PathLike[str] | Page],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    config: Any | None = None,
    options: ExtractOptions | None = None,
    backend: Backend | None = None,
) -> ExtractResult:
    """Extract grounded profile records from pages (files, directories or :class:`Page` objects).

    Returns an :class:`ExtractResult`; with ``out_dir`` also writes ``profiles.jsonl``,
    ``zones.jsonl``, ``manifest.json`` and the requested export formats there.
    ``backend`` overrides the choice made from ``options.backend`` (for custom backends).
    """
    options = options or ExtractOptions()
    started = time.perf_counter()
    if backend is None:
        if config is None and (options.backend != "rules" or options.segmenter == "model"):
            from ..extract.llm.config import ModelConfig

            config = ModelConfig.resolve()
        backend, backend_name, note = choose_backend(options.backend, config, options)
    else:
        backend_name, note = getattr(backend, "name", "custom"), f"using the {getattr(backend, 'name', 'custom')} backend"
    pages, input_errors = _read_inputs(inputs)
    from ..extract.llm.segmenter import segment_with, summary

    segments = await segment_with(pages, options.segmenter, config, model_backend=backend_name != "rules",
                                  cache_dir=options.cache_dir, use_cache=options.use_cache, refresh=options.refresh,
                                  concurrency=options.concurrency)
    articles = _segment_pages(pages, options.stitch, {s.page.source: s.articles for s in segments})
    input_errors += _pages_without_articles(pages, articles)
    out = Path(out_dir) if out_dir is not None else None
    run = _Run(backend, backend_name, {p.source: p for p in pages}, options, out)
    for s in segments:
        run.usage.add(s.usage)
    progress = _progress(len(articles), options.progress)
    try:
        records = await run.run(articles, progress)
    finally:
        progress.close()
        await backend.aclose()
        if out is not None:
            run.checkpoint()  # an interrupted run keeps every page it finished
    result = ExtractResult(records=records, backend=backend_name, backend_note=note, input_errors=input_errors,
                           usage=run.usage, pages=len(pages))
    notice = getattr(run.catalog, "notice", None)
    result.notes += [notice] if notice else []
    result.notes += [line for line in [summary(segments)] if line]
    result.notes += [f"{s.page.path or s.page.source}: segmented by layout: {s.note}" for s in segments if s.note]
    if out is not None:
        result.written = _write_outputs(out, records, pages, input_errors, backend_name, run.usage, options.formats)
    result.seconds = time.perf_counter() - started
    return result


def extract(
    inputs: Iterable[str | os.PathLike[str] | Page],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    config: Any | None = None,
    options: ExtractOptions | None = None,
    backend: str | Backend | None = None,
    **option_overrides: Any,
) -> ExtractResult:
    """Run :func:`extract_async` to completion and return its :class:`ExtractResult`.

    ``backend`` is a backend name (``"auto"``, ``"llm"``, ``"rules"``, ``"hybrid"``) or a
    :class:`Backend` object; other keywords set :class:`ExtractOptions` fields, e.g.
    ``extract(["seeds/"], "out", backend="rules", concurrency=4)``.
    """
    if isinstance(backend, str):
        option_overrides["backend"] = backend
        backend = None
    options = replace(options or ExtractOptions(), **option_overrides)
    return asyncio.run(extract_async(inputs, out_dir, config=config, options=options, backend=backend))
