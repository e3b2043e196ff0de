"""Resumable runs for every engine: deterministic shards of whole pages, streamed to disk.

Every page goes to shard ``shard_of(source, n)`` (a stable hash, the same on
every machine and run), so a shard holds whole pages. Records are appended to
a private partial file as their articles finish; when all of a shard's
articles are back the shard is written, sorted, and merged into
``OUT/profiles.jsonl`` under the OUT lock (partial files are per process; the
shard files are shared, so two processes writing into one OUT replace each
other's shard files, but never a page's lines in ``profiles.jsonl`` with
another page's)::

    OUT/shards/part-00003-of-00016.jsonl   one profile record per line, sorted
    OUT/shards/part-00003-of-00016.done    {"rows", "errors", "input_digest", "usage"}

both atomically (temp file + rename), the old ``.done`` removed first, so a
``.done`` always describes the ``.jsonl`` beside it. The input digest covers
the shard's rows and every setting that shapes a record
(:meth:`BatchConfig.fingerprint`). A re-run skips a shard whose ``.done``
matches and which had no error. Nothing holds every record: memory follows
the articles in flight and the largest shard, not the batch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.document import Article
from ..core.errors import ConfigError
from ..extract.backend import Usage
from ..ground.records import error_record
from ..outputs.files import atomic_write_text, dumps_record, merge_sorted_lines, record_key
from .rows import row_article

__all__ = ["ShardPlan", "shard_of", "shard_paths", "plan_shards", "read_shard", "shard_lines", "Collector",
           "BatchOptions", "BatchResult", "extract_batch", "local_engine", "ENGINES"]


def shard_of(key: str, n: int) -> int:
    """Return the shard of ``key`` (a page's source) among ``n``: the first 64 bits of its SHA-256, mod ``n``."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:16], 16) % n


def shard_paths(out_dir: str | os.PathLike[str], index: int, n: int) -> tuple[Path, Path]:
    """Return ``(records file, done manifest)`` of shard ``index`` of ``n`` under ``OUT/shards/``."""
    stem = Path(out_dir) / "shards" / f"part-{index:05d}-of-{n:05d}"
    return stem.with_suffix(".jsonl"), stem.with_suffix(".done")


def row_hash(row: dict) -> bytes:
    """Return the digest of one article row (what its record is made from)."""
    h = hashlib.sha256()
    for key in ("doc_id", "article_json", "regions_json"):
        h.update(str(row[key]).encode("utf-8"))
        h.update(b"\0")
    return h.digest()


@dataclass
class ShardPlan:
    """One shard of a run: its pages and articles, their digest, and whether a finished copy is on disk.

    ``articles`` maps each doc id to its article without text (enough for an
    error record); ``rows`` holds the article rows only when the run keeps them.
    """

    index: int
    n: int
    rows: list[dict] = field(default_factory=list)
    digest: str = ""
    done: bool = False
    sources: list[str] = field(default_factory=list)
    articles: dict[str, Article] = field(default_factory=dict)
    positions: list[int] = field(default_factory=list)
    hashes: list[bytes] = field(default_factory=list)

    def add_row(self, row: dict, keep: bool) -> None:
        """Count ``row`` in this shard (and keep it when ``keep``)."""
        article, _ = row_article({**row, "regions_json": "[]"})
        self.articles[row["doc_id"]] = Article(**{**article.__dict__, "text": ""})
        self.hashes.append(row_hash(row))
        if keep:
            self.rows.append(row)

    def seal(self, out_dir: Path, fingerprint: str) -> None:
        """Compute the digest and whether a matching, error-free copy is already written."""
        h = hashlib.sha256(fingerprint.encode())
        for digest in sorted(self.hashes):
            h.update(digest)
        self.digest, self.hashes = h.hexdigest(), []
        self.rows.sort(key=lambda r: r["doc_id"])
        self.done = self.matches(out_dir, errors=0)

    def matches(self, out_dir: Path, errors: int | None = None) -> bool:
        """True when the written shard's manifest has this digest and row count (and ``errors``, if given)."""
        records, done = shard_paths(out_dir, self.index, self.n)
        try:
            manifest = json.loads(done.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return (records.is_file() and manifest.get("input_digest") == self.digest
                and manifest.get("rows") == len(self.articles)
                and (errors is None or manifest.get("errors") == errors))


def plan_shards(rows: Iterable[dict], out_dir: str | os.PathLike[str], n: int, fingerprint: str) -> list[ShardPlan]:
    """Return the ``n`` shards of ``rows`` (kept in the plans), each marked ``done`` when a matching,
    error-free copy exists."""
    plans = new_plans(n)
    for row in rows:
        plan = plans[shard_of(row["source"], n)]
        if row["source"] not in plan.sources:
            plan.sources.append(row["source"])
        plan.add_row(row, keep=True)
    for plan in plans:
        plan.seal(Path(out_dir), fingerprint)
    return plans


def new_plans(n: int) -> list[ShardPlan]:
    """Return ``n`` empty shard plans."""
    if n < 1:
        raise ConfigError("the number of shards must be at least 1")
    return [ShardPlan(i, n) for i in range(n)]


def shard_lines(out_dir: str | os.PathLike[str], index: int, n: int) -> Iterable[str]:
    """Yield the lines (records as JSON, no newline) of one written shard, in record order."""
    path = shard_paths(out_dir, index, n)[0]
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield line.rstrip("\n")


def read_shard(out_dir: str | os.PathLike[str], index: int, n: int) -> list[dict]:
    """Return the profile records of one written shard."""
    return [json.loads(line) for line in shard_lines(out_dir, index, n)]


class Collector:
    """Takes profile rows as an engine returns them: appends each record to its shard's partial file at
    once, writes a shard when it is whole and merges it into ``OUT/profiles.jsonl``."""

    def __init__(self, out_dir: Path, plans: Sequence[ShardPlan], backend: str, progress: Any = None) -> None:
        self.out_dir, self.backend, self.progress = out_dir, backend, progress
        self.n = len(plans)
        self.plans = plans
        self.pending = {plan.index: plan for plan in plans if not plan.done}
        self.received: dict[int, dict[str, tuple[tuple, int, int, Usage]]] = {i: {} for i in self.pending}
        self._partials: dict[int, Any] = {}
        self.usage = Usage()
        self.article_errors: list[dict] = []
        self.records_written = 0
        self.cache_hits = 0
        self.merged: set[int] = set()
        (out_dir / "shards").mkdir(parents=True, exist_ok=True)
        _remove_stale_partials(out_dir / "shards")

    def _partial_path(self, index: int) -> Path:
        return self.out_dir / "shards" / f".part-{index:05d}-of-{self.n:05d}.{os.getpid()}.partial"

    def start(self) -> None:
        """Write the pending shards that have no article (pages without text) at once."""
        for index in [i for i, plan in self.pending.items() if not plan.articles]:
            self._flush(index)

    def add(self, profile_rows: Iterable[dict]) -> None:
        """Record ``profile_rows``; a row of a shard already written (an engine's retry) is ignored."""
        for profile_row in profile_rows:
            doc_id = str(profile_row["doc_id"])
            index = shard_of(doc_id.rsplit("#", 1)[0], self.n)
            if index not in self.pending or doc_id not in self.pending[index].articles or doc_id in self.received[index]:
                continue  # a duplicate from an engine retry, or a shard already written
            self._take(index, doc_id, self._record_of(profile_row, self.pending[index].articles[doc_id]))
            if len(self.received[index]) == len(self.pending[index].articles):
                self._flush(index)

    def _record_of(self, profile_row: dict, article: Article) -> dict:
        if profile_row.get("record_json"):
            return json.loads(str(profile_row["record_json"]))
        return error_record(article, str(profile_row.get("error") or "no result"), backend=self.backend)

    def _take(self, index: int, doc_id: str, record: dict) -> None:
        line = (dumps_record(record) + "\n").encode("utf-8")
        handle = self._partials.get(index)
        if handle is None:
            handle = self._partials[index] = open(self._partial_path(index), "w+b")
        offset = handle.seek(0, os.SEEK_END)
        handle.write(line)
        usage = record.get("usage") or {}
        self.received[index][doc_id] = (record_key(record), offset, len(line),
                                        Usage(**{k: v for k, v in usage.items() if k != "cache_hit"}))
        self.records_written += 1
        self.cache_hits += bool(usage.get("cache_hit"))
        if record.get("error"):
            self.article_errors.append(record)
        if self.progress is not None:
            self.progress.advance(cache_hit=bool(usage.get("cache_hit")), retries=usage.get("retries", 0),
                                  tokens=usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0),
                                  failed=bool(record.get("error")), requests=usage.get("requests", 0))

    def _flush(self, index: int) -> None:
        from ..outputs.files import out_lock

        plan, received = self.pending.pop(index), self.received.pop(index)
        handle = self._partials.pop(index, None)
        data = b""
        if handle is not None:
            handle.flush()
            handle.seek(0)
            data = handle.read()
            handle.close()
        usage = Usage()
        for *_, cost in received.values():
            usage.add(cost)
        self.usage.add(usage)
        ordered = sorted(received.values(), key=lambda item: item[0])
        text = b"".join(data[offset:offset + size] for _, offset, size, _ in ordered).decode("utf-8")
        del data
        target, done = shard_paths(self.out_dir, plan.index, plan.n)
        manifest = {"rows": len(received), "errors": sum(1 for r in self.article_errors
                                                         if shard_of(r["source"], self.n) == index),
                    "input_digest": plan.digest, "usage": usage.to_json()}
        with out_lock(self.out_dir):
            with contextlib.suppress(FileNotFoundError):
                done.unlink()  # never leave a manifest describing a file about to be replaced
            atomic_write_text(target, text)
            atomic_write_text(done, json.dumps(manifest, ensure_ascii=False))
            if plan.sources:  # a shard without pages has nothing to add to profiles.jsonl or replace in it
                merge_sorted_lines(self.out_dir, [lambda: shard_lines(self.out_dir, index, self.n)], plan.sources,
                                   locked=True)
        self.merged.add(index)
        with contextlib.suppress(FileNotFoundError):
            self._partial_path(index).unlink()

    def finish(self) -> None:
        """Write the shards the engine left incomplete, every missing row recorded as an error; then merge
        the shards an earlier run wrote into ``profiles.jsonl``."""
        for index in list(self.pending):
            plan = self.pending[index]
            for doc_id, article in plan.articles.items():
                if doc_id not in self.received[index]:
                    self._take(index, doc_id, error_record(article, "the engine returned no result for this article",
                                                           backend=self.backend))
            self._flush(index)
        from ..outputs.files import out_lock

        # Checked under the lock: another process writing into OUT may have replaced a shard file since the plan.
        with out_lock(self.out_dir):
            earlier = [plan for plan in self.plans
                       if plan.index not in self.merged and plan.sources and plan.matches(self.out_dir)]
            if earlier:
                merge_sorted_lines(self.out_dir, [_lines_of(self.out_dir, p) for p in earlier],
                                   [s for p in earlier for s in p.sources], locked=True)

    def close(self) -> None:
        """Drop the partial files of shards left unwritten (an interrupted run)."""
        for index, handle in list(self._partials.items()):
            handle.close()
            with contextlib.suppress(FileNotFoundError):
                self._partial_path(index).unlink()
        self._partials.clear()


def _lines_of(out_dir: Path, plan: ShardPlan) -> Any:
    return lambda: shard_lines(out_dir, plan.index, plan.n)


def _remove_stale_partials(folder: Path) -> None:
    """Remove the partial files of runs that are no longer alive (a killed run's leftovers)."""
    for path in folder.glob(".part-*.partial"):
        try:
            pid = int(path.suffixes[-2].lstrip("."))
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            with contextlib.suppress(OSError):
                path.unlink()
        except PermissionError:
            pass


# The sharded driver's names, kept where they were (the driver itself lives in .engine).
from .options import ENGINES, BatchOptions  # noqa: E402


def __getattr__(name: str) -> Any:
    if name in ("BatchResult", "extract_batch", "local_engine"):
        from . import engine

        return getattr(engine, name)
    raise AttributeError(name)
