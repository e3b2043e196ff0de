"""One run engine: pages in, OUT/ written, through the same rows, collector, shards and result for every engine.

    read pages → segment (stitch) → article rows → shards (resume) → engine → records streamed to OUT/

Engines (:data:`ENGINES`) differ only in where :class:`~.batch.Worker` runs:
``inline`` in the caller's event loop, ``local`` in a new event loop of this
process, ``ray`` on Ray Data actors. Pages are read twice when the batch is
large: once to plan the shards (rows hashed, text dropped), then shard by
shard to extract, so memory follows a shard, not the batch (``--stitch``
needs every page at once and keeps them).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..extract.backend import Usage
from ..outputs.files import PROFILES_FILE
from .batch import BatchConfig, Worker, _worker, close_workers, per_worker_in_flight
from .options import ExtractOptions
from .preflight import check_segment_server, check_servers, preflight
from .rows import PageSource, article_row, model_cuts, page_problem, segment_pages
from .shards import Collector, ShardPlan, new_plans, shard_of

__all__ = ["ExtractResult", "BatchResult", "RunOutcome", "run_async", "run", "extract_batch", "inline_engine",
           "local_engine", "engine_for"]

# Below this many characters of page text the planning pass keeps the rows instead of reading pages again.
KEEP_ROWS_CHARS = 2_000_000
Engine = Callable[[Any, BatchConfig, ExtractOptions, Callable[[list[dict]], None]], None]


class RunOutcome:
    """What every run can say about failures (needs ``article_errors`` and ``input_errors``)."""

    input_errors: list[str]
    article_errors: list[dict]

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
    """What a run produced: counts, bad inputs, failed articles, totals and files written.

    ``records`` (in ``profiles.jsonl`` order) are the lines of this run's pages
    in ``profiles.jsonl``, read when asked for, so a large run never holds them
    all; a small run, and a run without an output directory, keeps them.
    """

    backend: str = ""
    backend_note: str = ""
    input_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    pages: int = 0
    seconds: float = 0.0
    written: list[Path] = field(default_factory=list)
    shards: int = 0
    shards_skipped: int = 0
    articles_run: int = 0
    articles: int = 0
    cache_hits: int = 0
    article_errors: list[dict] = field(default_factory=list)
    out_dir: Path | None = None
    plans: list[ShardPlan] = field(default_factory=list, repr=False)
    kept_records: list[dict] | None = field(default=None, repr=False)
    provenance: dict = field(default_factory=dict, repr=False)  # this run's entry in manifest.json "runs"

    @property
    def records(self) -> list[dict]:
        """Every record of this run (skipped shards included), ordered by source then article index."""
        if self.kept_records is not None:
            return self.kept_records
        if self.out_dir is None:
            return []
        return [json.loads(line) for line in _run_lines(self.out_dir, self.plans)]


def _run_lines(out: Path, plans: Sequence[ShardPlan]) -> Iterator[str]:
    """Yield the lines of ``OUT/profiles.jsonl`` of this run's pages, in file order.

    Read from ``profiles.jsonl`` (replaced atomically) and not from the shard
    files, which another process writing into the same OUT may have replaced
    with shards of other pages.
    """
    from ..outputs.files import _line_key

    sources = {source for plan in plans for source in plan.sources}
    path = out / PROFILES_FILE
    if not sources or not path.exists():
        return
    with open(path, encoding="utf-8-sig") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line.strip() and _line_key(line)[0] in sources:
                yield line


class _Rows:
    """The article rows of the shards still to run, in shard order: kept, or read again page by page."""

    def __init__(self, source: PageSource, plans: Sequence[ShardPlan], kept: bool,
                 cuts: dict[str, list] | None = None) -> None:
        self.source, self.plans, self.kept, self.cuts = source, [p for p in plans if not p.done], kept, cuts

    def __len__(self) -> int:
        return sum(len(plan.articles) for plan in self.plans)

    def __iter__(self) -> Iterator[dict]:
        for plan in self.plans:
            if self.kept:
                yield from plan.rows
                continue
            for position in plan.positions:
                page = self.source.read(position)
                for article in segment_pages([page], False, self.cuts):
                    yield article_row(article, {page.source: page})


def _plan(source: PageSource, options: ExtractOptions, fingerprint: str, out: Path,
          cuts: dict[str, list] | None = None) -> tuple[list[ShardPlan], list[dict], list[str], bool]:
    """Return ``(plans, manifest page entries, page problems, rows kept)`` after one pass over the pages
    (``cuts``: the model segmenter's articles by page source, see :func:`.rows.model_cuts`)."""
    plans, infos, problems = new_plans(options.shards), [], []
    keep, chars = True, 0

    def page_info(page) -> dict:
        return {"source": page.source, "path": page.path, "encoding": page.encoding,
                "sha256": hashlib.sha256(page.text.encode("utf-8")).hexdigest()}

    if options.stitch:
        numbered = list(source.numbered())
        pages = [page for _, page in numbered]
        articles = segment_pages(pages, True, cuts)
        by_source = {page.source: page for page in pages}
        covered = {a.source for a in articles} | {part[0] for a in articles for part in a.parts}
        for position, page in numbered:
            plan = plans[shard_of(page.source, options.shards)]
            plan.sources.append(page.source)
            plan.positions.append(position)
            infos.append(page_info(page))
            if page.source not in covered:
                problems.append(page_problem(page))
        for article in articles:
            plans[shard_of(article.source, options.shards)].add_row(article_row(article, by_source), True)
    else:
        for position, page in source.numbered():
            articles = segment_pages([page], False, cuts)
            if not articles:
                problems.append(page_problem(page))
            plan = plans[shard_of(page.source, options.shards)]
            plan.sources.append(page.source)
            plan.positions.append(position)
            infos.append(page_info(page))
            chars += len(page.text)
            if keep and chars > KEEP_ROWS_CHARS:
                keep = False
                for other in plans:
                    other.rows = []
            for article in articles:
                plan.add_row(article_row(article, {page.source: page}), keep)
    for plan in plans:
        plan.seal(out, fingerprint)
    return plans, infos, problems, keep


async def _drive(rows: Iterable[dict], worker: Worker, on_rows: Callable[[list[dict]], None]) -> None:
    """Run every row through ``worker``, at most twice its in-flight bound pending, reporting each as it ends."""
    limit = worker.config.max_in_flight * 2
    pending: set[asyncio.Task] = set()
    iterator = iter(rows)
    try:
        while True:
            while len(pending) < limit and (row := next(iterator, None)) is not None:
                pending.add(asyncio.create_task(worker.run(dict(row))))
            if not pending:
                return
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            on_rows([task.result() for task in done])
    finally:
        for task in pending:
            task.cancel()


async def inline_engine(rows: Iterable[dict], config: BatchConfig, options: ExtractOptions,
                        on_rows: Callable[[list[dict]], None], backends: Sequence[Any] = ()) -> None:
    """Run the rows in the running event loop, calling ``on_rows`` as each article finishes."""
    worker = Worker(config, backends) if backends else _worker(config)
    try:
        await _drive(rows, worker, on_rows)
    finally:
        if backends:
            await worker.aclose()
        else:
            await close_workers()


def run_blocking(coroutine: Any) -> Any:
    """Return the result of ``coroutine`` run to completion on a new event loop.

    Inside a running event loop (Jupyter, an async application) ``asyncio.run``
    refuses; the coroutine then runs on a new loop in a worker thread while this
    thread waits. (In async code, ``await`` the ``*_async`` function instead.)
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="kaifaqu-run") as pool:
        return pool.submit(asyncio.run, coroutine).result()


def local_engine(rows: Iterable[dict], config: BatchConfig, options: ExtractOptions,
                 on_rows: Callable[[list[dict]], None]) -> None:
    """Run the rows in this process on a new event loop, calling ``on_rows`` as articles finish."""
    run_blocking(inline_engine(rows, config, options, on_rows))


def engine_for(name: str) -> Engine:
    """Return the synchronous engine ``name`` (``local`` or ``ray``)."""
    if name == "ray":
        from .ray_engine import ray_engine

        return ray_engine
    return local_engine


def _write_outputs(out: Path, result: ExtractResult, infos: list[dict], formats: Sequence[str],
                   keep_ungrounded: bool = False) -> list[Path]:
    from .provenance import write_manifest

    counts: dict[str, int] = {}
    for plan in result.plans:
        for doc_id in plan.articles:
            source = doc_id.rsplit("#", 1)[0]
            counts[source] = counts.get(source, 0) + 1
    written = [out / PROFILES_FILE]
    written.append(write_manifest(out, result, infos, counts, result.provenance))
    try:
        from ..zones.registry import write_registry
    except ImportError:
        return written
    records = _ProfileFile(out / PROFILES_FILE)
    written.append(write_registry(out, records, keep_ungrounded=keep_ungrounded))
    registry = _ProfileFile(written[-1])  # the exports read the zones back one at a time
    if "csv" in formats:
        from ..outputs.export import write_csv

        written.extend(write_csv(out, records, registry, keep_ungrounded=keep_ungrounded))
    if "sqlite" in formats:
        from ..outputs.export import write_sqlite

        written.append(write_sqlite(out, records, registry, keep_ungrounded=keep_ungrounded))
    return written


class _ProfileFile:
    """The records of ``profiles.jsonl`` (or the zones of ``zones.jsonl``), read from the file each time they
    are iterated."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[dict]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8-sig") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


class _Run:
    """One run's plan, collector and output directory, between the engine's start and its end."""

    def __init__(self, inputs: Iterable[Any], out_dir: Any, config: BatchConfig, options: ExtractOptions,
                 check_server: bool = True) -> None:
        from .provenance import utc_now

        self.started, self.started_at = time.perf_counter(), utc_now()
        self.options = options
        self.config = copy.copy(config)  # not replace(): a config for backend objects skips registry checks
        object.__setattr__(self.config, "max_in_flight", per_worker_in_flight(options.budget, options.workers))
        self.temp = None if out_dir is not None else tempfile.mkdtemp(prefix="kaifaqu-")
        self.out = Path(out_dir if out_dir is not None else self.temp)
        self.source = PageSource(inputs)
        try:  # the servers are checked before OUT is touched: first the segmenter's, then after planning
            if check_server and self.config.segmenter() == "model":
                check_segment_server(self.config, lambda: iter(self.source))
            self.cuts, self.segments = model_cuts(self.source, self.config, options)
            self.plans, self.infos, self.problems, kept = _plan(self.source, options, self.config.fingerprint(),
                                                               self.out, self.cuts)
            if check_server and any(plan.articles for plan in self.plans if not plan.done):
                check_servers(self.config, lambda: _Rows(self.source, self.plans, kept, self.cuts))
        except Exception:
            if self.temp is not None:
                shutil.rmtree(self.temp, ignore_errors=True)
            raise
        self.progress = _progress(sum(len(p.articles) for p in self.plans if not p.done), options.progress)
        self.collector = Collector(self.out, self.plans, self.config.backend, self.progress)
        self.rows = _Rows(self.source, self.plans, kept, self.cuts)
        self.small = kept and not options.stitch
        self.collector.start()

    def close(self) -> None:
        """Drop partial files and the progress bar (after success or an interruption)."""
        self.collector.close()
        self.progress.close()
        if self.temp is not None:
            shutil.rmtree(self.temp, ignore_errors=True)

    def end(self, note: str) -> ExtractResult:
        """Write what the engine left, then ``zones.jsonl``, ``manifest.json`` and exports; return the result."""
        self.collector.finish()
        plans, collector = self.plans, self.collector
        result = ExtractResult(
            backend=self.config.backend, backend_note=note, input_errors=self.source.errors + self.problems,
            usage=collector.usage, pages=len(self.infos), shards=len(plans),
            shards_skipped=sum(1 for p in plans if p.done), articles_run=len(self.rows),
            articles=sum(len(p.articles) for p in plans), cache_hits=collector.cache_hits,
            article_errors=collector.article_errors, out_dir=self.out if self.temp is None else None, plans=plans)
        notice = getattr(_catalog_notice(self.options), "notice", None)
        if notice:
            result.notes.append(notice)
        if self.segments:  # the model segmenter's requests count in the run's usage
            from ..extract.llm.segmenter import segment_notes

            result.notes += segment_notes(self.segments, into=result.usage)
        if self.temp is not None or self.small:  # a small run keeps its records; a large one reads them on demand
            result.kept_records = [json.loads(line) for line in _run_lines(self.out, plans)]
        from .provenance import run_entry, utc_now

        result.provenance = run_entry(result, self.config, self.started_at, utc_now())
        if self.temp is None:
            result.written = _write_outputs(self.out, result, self.infos, self.options.formats,
                                            self.options.keep_ungrounded)
        result.seconds = time.perf_counter() - self.started
        return result


async def run_async(inputs: Iterable[Any], out_dir: str | os.PathLike[str] | None, config: BatchConfig,
                    options: ExtractOptions, *, note: str = "", backends: Sequence[Any] = ()) -> ExtractResult:
    """Extract ``inputs`` with the inline engine into ``out_dir``; return the :class:`ExtractResult`.

    ``backends`` are backend objects to run instead of building ``config.backend``.
    Without ``out_dir`` the shards go to a temporary directory and the records are kept. Raises
    :class:`ConfigError` or :class:`TransportError` before any request when the run cannot finish
    (:mod:`.preflight`).
    """
    preflight(out_dir, config)
    run = _Run(inputs, out_dir, config, options, check_server=not backends)
    try:
        if len(run.rows):
            await inline_engine(run.rows, run.config, options, run.collector.add, backends)
        return run.end(note)
    finally:
        run.close()


def run(inputs: Iterable[Any], out_dir: str | os.PathLike[str] | None, config: BatchConfig,
        options: ExtractOptions, *, note: str = "", engine: Engine | None = None) -> ExtractResult:
    """Extract ``inputs`` into ``out_dir`` with ``options.engine`` (``engine`` overrides it with any callable
    shaped like :func:`local_engine`); return the :class:`ExtractResult`. Inside a running event loop the
    run happens on a worker thread (:func:`run_blocking`)."""
    if engine is None and options.engine == "inline":
        return run_blocking(run_async(inputs, out_dir, config, options, note=note))
    preflight(out_dir, config)
    run_ = _Run(inputs, out_dir, config, options, check_server=engine is None)
    try:
        if len(run_.rows):
            runner = engine or engine_for(options.engine)
            runner(list(run_.rows) if options.engine == "ray" else run_.rows, run_.config, options, run_.collector.add)
        return run_.end(note)
    finally:
        run_.close()


def _catalog_notice(options: ExtractOptions) -> Any:
    from .batch import load_catalog

    return load_catalog(options.catalogs)


class _NoProgress:
    def advance(self, **_: Any) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return _NoProgress()
    from ..outputs.progress import make_progress

    return make_progress(total)


def extract_batch(inputs: Iterable[Any], out_dir: str | os.PathLike[str], config: BatchConfig,
                  options: ExtractOptions | None = None, *, engine: Engine | None = None) -> ExtractResult:
    """Extract pages into ``out_dir`` through sharded, resumable batches; return the :class:`ExtractResult`.

    ``options`` defaults to :class:`BatchOptions` (the local engine); ``options.max_in_flight`` is the
    budget for all workers together: each gets ``ceil(budget / workers)``.
    """
    from .options import BatchOptions

    return run(inputs, out_dir, config, options or BatchOptions(), engine=engine)


BatchResult = ExtractResult
