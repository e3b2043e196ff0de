"""Writing ``OUT/``: atomic files, and ``profiles.jsonl`` merged across runs.

Every file is written to a temporary file in the same directory, flushed to
disk and renamed over the old one, so a reader (or a run killed half-way)
sees either the old complete file or the new complete one. ``profiles.jsonl``
is merged under an exclusive lock on ``OUT/.kaifaqu.lock``: records of the pages
a run processed replace that page's old records; records of other pages stay.
Two processes writing into one OUT therefore lose nothing.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from ..core.errors import InputError, input_error

try:  # POSIX advisory locks; on other systems the merge is unlocked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "PROFILES_FILE",
    "atomic_write_text",
    "atomic_write_bytes",
    "atomic_write_pieces",
    "out_lock",
    "dumps_record",
    "read_profiles",
    "merge_profiles",
    "record_key",
    "merge_sorted_lines",
]

PROFILES_FILE = "profiles.jsonl"
_UMASK = os.umask(0)
os.umask(_UMASK)
_LOCK_FILE = ".kaifaqu.lock"


@contextlib.contextmanager
def _atomic(path: str | os.PathLike[str], mode: str, **open_args: str) -> Iterator[IO[Any]]:
    """Yield a handle on a temp file beside ``path`` (``mode`` "w" or "wb"); on leaving, fsync it and rename
    it over ``path``. A failure removes the temp file and leaves ``path`` as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are shared like any written file
        with os.fdopen(fd, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_pieces(path: str | os.PathLike[str], pieces: Iterable[str]) -> Path:
    """Write the text ``pieces`` to ``path`` in UTF-8 as they come, atomically (temp file + fsync + rename);
    return the path. Nothing is held whole in memory, and a failure leaves ``path`` as it was."""
    with _atomic(path, "w", encoding="utf-8", newline="") as handle:
        handle.writelines(pieces)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file + fsync + rename); return the path."""
    with _atomic(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically in ``encoding``; return the path."""
    return atomic_write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def out_lock(out_dir: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on ``out_dir`` (shared by every kaifaqu process writing there)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / _LOCK_FILE, "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def dumps_record(record: dict) -> str:
    """Return one JSON line (no newline) for a record, Chinese kept as is."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def read_profiles(path: str | os.PathLike[str]) -> list[dict]:
    """Return the records of a ``profiles.jsonl`` file; a malformed line raises ``InputError`` naming file:line."""
    path = Path(path)
    if path.is_dir():
        path = path / PROFILES_FILE
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise input_error(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise input_error(path, f"cannot read ({exc.__class__.__name__})") from None
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not a JSON record ({exc.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("source"), str):
            raise InputError(f"{path}:{number}: not a profile record (no source)")
        records.append(record)
    return records


def merge_profiles(out_dir: str | os.PathLike[str], records: Iterable[dict], sources: Iterable[str]) -> list[dict]:
    """Merge ``records`` into ``OUT/profiles.jsonl`` and return the full merged list.

    Old records whose source is in ``sources`` (the pages this run processed) are
    replaced; the rest are kept. Records are ordered by source, then article index.
    """
    out = Path(out_dir)
    target = out / PROFILES_FILE
    replaced = set(sources)
    with out_lock(out):
        # Every writer of profiles.jsonl holds this lock, so a temp file of it now is a killed run's leftover.
        for stale in out.glob(f".{PROFILES_FILE}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
        kept: list[dict] = []
        if target.exists():
            try:
                kept = [r for r in read_profiles(target) if r.get("source") not in replaced]
            except InputError:
                # A damaged file from outside kaifaqu: keep a copy rather than lose it.
                os.replace(target, out / f"{PROFILES_FILE}.damaged")
        merged = sorted([*kept, *records], key=lambda r: (str(r.get("source")), r.get("article_index", 0)))
        atomic_write_text(target, "".join(dumps_record(r) + "\n" for r in merged))
    return merged


def record_key(record: dict) -> tuple[str, int]:
    """Return the order of a record in ``profiles.jsonl``: ``(source, article_index)``."""
    return str(record.get("source")), record.get("article_index", 0)


# The head of a line written by dumps_record: its key without parsing the whole record.
_HEAD = re.compile(r'\{"source":("(?:[^"\\]|\\.)*"),"article_index":(-?\d+)[,}]')


def _line_key(line: str) -> tuple[str, int]:
    match = _HEAD.match(line)
    if match:
        return json.loads(match.group(1)), int(match.group(2))
    record = json.loads(line)
    if not isinstance(record, dict) or not isinstance(record.get("source"), str):
        raise ValueError("not a profile record")
    return record_key(record)


class _Unsorted(Exception):
    pass


def _old_lines(target: Path, replaced: set[str]) -> Iterator[tuple[tuple[str, int], str]]:
    last = None
    with open(target, encoding="utf-8-sig") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            key = _line_key(line)
            if last is not None and key < last:
                raise _Unsorted
            last = key
            if key[0] not in replaced:
                yield key, line


def merge_sorted_lines(out_dir: str | os.PathLike[str], parts: Sequence[Callable[[], Iterable[str]]],
                       sources: Iterable[str],
                       *, locked: bool = False) -> Path:
    """Merge record lines into ``OUT/profiles.jsonl`` without holding the records; return its path.

    ``parts`` are functions returning iterables of record lines (JSON, no
    newline), each in record order (called again if the merge must start over); old records whose source is in ``sources`` are replaced, the rest
    kept, as :func:`merge_profiles` does. ``locked``: the caller holds :func:`out_lock`.
    """
    out = Path(out_dir)
    if not locked:
        with out_lock(out):
            return merge_sorted_lines(out, parts, sources, locked=True)
    target, replaced = out / PROFILES_FILE, set(sources)
    for stale in out.glob(f".{PROFILES_FILE}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()
    new = [((_line_key(line), line) for line in part()) for part in parts]
    try:
        old = [_old_lines(target, replaced)] if target.exists() else []
        return _write_lines(target, heapq.merge(*old, *new, key=lambda item: item[0]))
    except (_Unsorted, ValueError, UnicodeDecodeError):
        pass
    try:  # an old file written outside kaifaqu (unsorted): merge in memory
        kept = [r for r in read_profiles(target) if r.get("source") not in replaced]
        lines = [(record_key(r), dumps_record(r)) for r in kept]
    except InputError:
        os.replace(target, out / f"{PROFILES_FILE}.damaged")  # keep a copy rather than lose it
        lines = []
    new = [((_line_key(line), line) for line in part()) for part in parts]
    return _write_lines(target, sorted([*lines, *heapq.merge(*new, key=lambda item: item[0])],
                                       key=lambda item: item[0]))


def _write_lines(path: Path, items: Iterable[tuple[tuple[str, int], str]]) -> Path:
    return atomic_write_pieces(path, (f"{line}\n" for _, line in items))
