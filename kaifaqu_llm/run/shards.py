"""Resumable scale-out runs: deterministic shard files, skip logic, and the driver feeding an engine.

Every article row goes to shard ``shard_of(doc_id, n)`` (a stable hash, the same
on every machine and run). A shard is written only when all its rows are back::

    OUT/shards/part-00003-of-00016.jsonl   one profile record per line, sorted
    OUT/shards/part-00003-of-00016.done    {"rows", "errors", "input_digest", "usage"}

both atomically (temp file + rename), the old ``.done`` removed first, so a
``.done`` always describes the ``.jsonl`` beside it. The input digest covers
the shard's rows and every setting that shapes a record
(:meth:`BatchConfig.fingerprint`). A re-run skips a shard whose ``.done``
matches and which had no error; other shards run again, their finished
articles served by the node-local cache. The driver then merges every shard
into ``OUT/profiles.jsonl`` and writes ``zones.jsonl``, ``manifest.json`` and the
export formats exactly as ``kaifaqu extract`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..extract.backend import Usage
from .batch import BatchConfig, article_row, close_workers, extract_rows, per_worker_in_flight, row_article
from ..core.errors import ConfigError
from ..outputs.files import atomic_write_text, dumps_record
from .pipeline import RunOutcome, _pages_without_articles, _read_inputs, _segment_pages, _write_outputs
from ..ground.records import error_record

__all__ = [
    "BatchOptions",
    "BatchResult",
    "ShardPlan",
    "shard_of",
    "shard_paths",
    "plan_shards",
    "read_shard",
    "extract_batch",
]

ENGINES = ("local", "ray")
Engine = Callable[[list[dict], BatchConfig, "BatchOptions", Callable[[list[dict]], None]], None]


def shard_of(doc_id: str, n: int) -> int:
    """Return the shard of ``doc_id`` among ``n``: the first 64 bits of its SHA-256, mod ``n``."""
    return int(hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:16], 16) % n


def shard_paths(out_dir: str | os.PathLike[str], index: int, n: int) -> tuple[Path, Path]:
    """Return ``(records file, done manifest)`` of shard ``index`` of ``n`` under ``OUT/shards/``."""
    stem = Path(out_dir) / "shards" / f"part-{index:05d}-of-{n:05d}"
    return stem.with_suffix(".jsonl"), stem.with_suffix(".done")


@dataclass
class ShardPlan:
    """One shard of a run: its rows, their digest, and whether a finished copy is already on disk."""

    index: int
    n: int
    rows: list[dict] = field(default_factory=list)
    digest: str = ""
    done: bool = False


def _digest(rows: Sequence[dict], fingerprint: str) -> str:
    h = hashlib.sha256(fingerprint.encode())
    for row in sorted(rows, key=lambda r: r["doc_id"]):
        for key in ("doc_id", "article_json", "regions_json"):
            h.update(str(row[key]).encode("utf-8"))
            h.update(b"\0")
    return h.hexdigest()


def _is_done(out_dir: Path, plan: ShardPlan) -> bool:
    records, done = shard_paths(out_dir, plan.index, plan.n)
    try:
        manifest = json.loads(done.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (records.is_file() and manifest.get("input_digest") == plan.digest
            and manifest.get("rows") == len(plan.rows) and manifest.get("errors") == 0)


def plan_shards(rows: Iterable[dict], out_dir: str | os.PathLike[str], n: int, fingerprint: str) -> list[ShardPlan]:
    """Return the ``n`` shards of ``rows``, each marked ``done`` when a matching, error-free copy exists."""
    if n < 1:
        raise ConfigError("the number of shards must be at least 1")
    plans = [ShardPlan(i, n) for i in range(n)]
    for row in rows:
        plans[shard_of(row["doc_id"], n)].rows.append(row)
    for plan in plans:
        plan.rows.sort(key=lambda r: r["doc_id"])
        plan.digest = _digest(plan.rows, fingerprint)
        plan.done = _is_done(Path(out_dir), plan)
    return plans


def read_shard(out_dir: str | os.PathLike[str], index: int, n: int) -> list[dict]:
    """Return the profile records of one written shard."""
    path = shard_paths(out_dir, index, n)[0]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _record_of(profile_row: dict, row: dict, backend: str) -> dict:
    """The contract record of a profile row; a row the worker could not use gets an error record."""
    if profile_row.get("record_json"):
        return json.loads(str(profile_row["record_json"]))
    article, _ = row_article(row)
    return error_record(article, str(profile_row.get("error") or "no result"), backend=backend)


def _write_shard(out_dir: Path, plan: ShardPlan, records: list[dict], usage: Usage) -> None:
    target, done = shard_paths(out_dir, plan.index, plan.n)
    with contextlib.suppress(FileNotFoundError):
        done.unlink()  # never leave a manifest describing a file about to be replaced
    records.sort(key=lambda r: (str(r.get("source")), r.get("article_index", 0)))
    atomic_write_text(target, "".join(dumps_record(r) + "\n" for r in records))
    manifest = {"rows": len(records), "errors": sum(1 for r in records if r.get("error")),
                "input_digest": plan.digest, "usage": usage.to_json()}
    atomic_write_text(done, json.dumps(manifest, ensure_ascii=False))


class _Collector:
    """Gathers profile rows as an engine returns them and writes each shard once it is whole."""

    def __init__(self, out_dir: Path, plans: list[ShardPlan], backend: str) -> None:
        self.out_dir, self.backend = out_dir, backend
        self.n = len(plans)
        self.rows = {row["doc_id"]: row for plan in plans if not plan.done for row in plan.rows}
        self.pending = {plan.index: plan for plan in plans if not plan.done}
        self.received: dict[int, dict[str, dict]] = {i: {} for i in self.pending}
        self.usage = Usage()

    def add(self, profile_rows: Iterable[dict]) -> None:
        for profile_row in profile_rows:
            doc_id = str(profile_row["doc_id"])
            index = shard_of(doc_id, self.n)
            if index not in self.pending or doc_id not in self.rows:
                continue  # a duplicate from an engine retry, or a shard already written
            self.received[index][doc_id] = _record_of(profile_row, self.rows[doc_id], self.backend)
            if len(self.received[index]) == len(self.pending[index].rows):
                self._flush(index)

    def _flush(self, index: int) -> None:
        plan, records = self.pending.pop(index), list(self.received.pop(index).values())
        usage = Usage()
        for record in records:
            usage.add(Usage(**{k: v for k, v in (record.get("usage") or {}).items() if k != "cache_hit"}))
        self.usage.add(usage)
        _write_shard(self.out_dir, plan, records, usage)

    def finish(self) -> None:
        """Write the shards the engine left incomplete, every missing row recorded as an error."""
        for index in list(self.pending):
            for row in self.pending[index].rows:
                if row["doc_id"] not in self.received[index]:
                    self.received[index][row["doc_id"]] = _record_of(
                        {"error": "the engine returned no result for this article"}, row, self.backend)
            self._flush(index)


@dataclass(frozen=True)
class BatchOptions:
    """How to run a sharded extraction: engine, shards, the global in-flight budget, outputs."""

    engine: str = "local"
    shards: int = 16
    max_in_flight: int = 32
    address: str | None = None
    actors: tuple[int, int] = (1, 2)
    batch_size: int | None = None
    stitch: bool = False
    formats: tuple[str, ...] = ()
    progress: bool = False

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ConfigError(f"unknown engine {self.engine!r} (choose from {', '.join(ENGINES)})")
        low, high = self.actors
        if not 1 <= low <= high:
            raise ConfigError(f"actors MIN,MAX needs 1 <= MIN <= MAX, got {low},{high}")
        if self.shards < 1 or self.max_in_flight < 1 or (self.batch_size is not None and self.batch_size < 1):
            raise ConfigError("shards, max in flight and batch size must be at least 1")

    @property
    def workers(self) -> int:
        """The most worker processes the engine may run (the divisor of the global budget)."""
        return self.actors[1] if self.engine == "ray" else 1


@dataclass
class BatchResult(RunOutcome):
    """What a sharded run produced: all records (skipped shards included), bad inputs and counts."""

    records: list[dict]
    input_errors: list[str]
    pages: int
    shards: int
    shards_skipped: int
    articles_run: int
    usage: Usage
    seconds: float
    written: list[Path] = field(default_factory=list)


async def _local_engine_async(rows: list[dict], config: BatchConfig, batch_size: int,
                              on_rows: Callable[[list[dict]], None]) -> None:
    chunks = iter([rows[i:i + batch_size] for i in range(0, len(rows), batch_size)])
    limit = -(-config.max_in_flight // batch_size) + 1  # enough batches queued to keep the budget busy
    pending: set[asyncio.Task] = set()
    try:
        while True:
            while len(pending) < limit and (chunk := next(chunks, None)) is not None:
                pending.add(asyncio.create_task(extract_rows(chunk, config)))
            if not pending:
                return
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                on_rows(task.result())
    finally:
        for task in pending:
            task.cancel()
        await close_workers()


def local_engine(rows: list[dict], config: BatchConfig, options: BatchOptions,
                 on_rows: Callable[[list[dict]], None]) -> None:
    """Run :func:`extract_rows` in this process (one event loop), calling ``on_rows`` as batches finish."""
    batch_size = options.batch_size or max(1, min(config.max_in_flight, 64))
    asyncio.run(_local_engine_async(rows, config, batch_size, on_rows))


def extract_batch(
    inputs: Iterable[str | os.PathLike[str] | Any],
    out_dir: str | os.PathLike[str],
    config: BatchConfig,
    options: BatchOptions | None = None,
    *,
    engine: Engine | None = None,
) -> BatchResult:
    """Extract pages into ``out_dir`` through sharded, resumable batches; return a :class:`BatchResult`.

    ``options.engine`` picks the local engine or Ray (``engine`` overrides it with
    any callable of the same shape). ``options.max_in_flight`` is the budget for
    all workers together: each gets ``ceil(budget / workers)``. Writes
    ``OUT/shards/`` and then ``profiles.jsonl``, ``zones.jsonl``,
    ``manifest.json`` and ``options.formats`` like :func:`extract`.
    """
    options = options or BatchOptions()
    started = time.perf_counter()
    config = replace(config, max_in_flight=per_worker_in_flight(options.max_in_flight, options.workers))
    if engine is None:
        if options.engine == "ray":
            from .ray_engine import ray_engine as engine
        else:
            engine = local_engine
    out = Path(out_dir)
    pages, input_errors = _read_inputs(inputs)
    articles = _segment_pages(pages, options.stitch)
    input_errors += _pages_without_articles(pages, articles)
    by_source = {page.source: page for page in pages}
    rows = [article_row(article, by_source) for article in articles]
    plans = plan_shards(rows, out, options.shards, config.fingerprint())
    todo = [row for plan in plans if not plan.done for row in plan.rows]
    collector = _Collector(out, plans, config.backend)
    if todo:
        engine(todo, config, options, collector.add)
    collector.finish()
    records = [record for plan in plans for record in read_shard(out, plan.index, plan.n)]
    records.sort(key=lambda r: (str(r.get("source")), r.get("article_index", 0)))
    result = BatchResult(records=records, input_errors=input_errors, pages=len(pages), shards=len(plans),
                         shards_skipped=sum(1 for p in plans if p.done), articles_run=len(todo),
                         usage=collector.usage, seconds=0.0)
    result.written = _write_outputs(out, records, pages, input_errors, config.backend, collector.usage,
                                    options.formats)
    result.seconds = time.perf_counter() - started
    return result
