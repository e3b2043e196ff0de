"""Progress of long extraction runs, on stderr only.

On a terminal, a bar: articles done / total, cache hits, retries and tokens.
Elsewhere (a log file, a CI job, ``nohup``), :class:`LineProgress`: one plain
line every N articles or T seconds (done, failed, requests, tokens, ETA). Both
are off with ``--quiet``; stdout never sees them.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress as _RichProgress, TextColumn, TimeElapsedColumn
from rich.progress import TimeRemainingColumn

__all__ = ["Progress", "LineProgress", "progress_enabled", "make_progress"]


def progress_enabled(quiet: bool, stream: TextIO | None = None) -> bool:
    """Return True when a progress bar should be drawn: not ``quiet`` and ``stream`` (stderr) is a terminal."""
    stream = sys.stderr if stream is None else stream
    if quiet:
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or file-like without isatty
        return False


class Progress:
    """Articles done / total with cache hits, retries and tokens, drawn with rich on stderr.

    ``Progress(total, enabled=False)`` draws nothing and costs nothing, so the
    pipeline calls it unconditionally. Use as a context manager, or call
    :meth:`close` when done. ``stream`` defaults to ``sys.stderr``; it is never
    stdout unless a caller passes stdout on purpose.
    """

    def __init__(self, total: int, *, enabled: bool, stream: TextIO | None = None,
                 description: str = "extracting") -> None:
        self.total = total
        self.enabled = enabled
        self.done = self.cache_hits = self.retries = self.tokens = 0
        self._bar: _RichProgress | None = None
        if not enabled:
            return
        console = Console(file=sys.stderr if stream is None else stream, force_terminal=True if stream else None)
        self._bar = _RichProgress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("cache {task.fields[cache_hits]} · retries {task.fields[retries]} · tokens {task.fields[tokens]:,}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task = self._bar.add_task(description, total=total, cache_hits=0, retries=0, tokens=0)
        self._bar.start()

    def advance(self, cache_hit: bool = False, retries: int = 0, tokens: int = 0, **_: object) -> None:
        """Count one article done, with whether it came from the cache, its retries and tokens."""
        self.done += 1
        self.cache_hits += int(bool(cache_hit))
        self.retries += int(retries or 0)
        self.tokens += int(tokens or 0)
        if self._bar is not None:
            self._bar.update(self._task, advance=1, cache_hits=self.cache_hits, retries=self.retries,
                             tokens=self.tokens)

    def close(self) -> None:
        """Stop drawing (leaves the final bar on screen); safe to call twice."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LineProgress:
    """One stderr line every ``every`` articles or ``seconds`` seconds, whichever comes first.

    ``kaifaqu: progress 40/400 articles, 1 failed, 52 requests, 81,234 tokens, 31s, ETA 4m39s``.
    Nothing is printed for a run that ends before the first step (the summary says it all).
    """

    def __init__(self, total: int, *, stream: TextIO | None = None, every: int | None = None,
                 seconds: float = 30.0) -> None:
        self.total, self.stream, self.seconds = total, stream, seconds
        self.every = every or max(50, total // 10)
        self.done = self.failed = self.requests = self.tokens = 0
        self.started = self._last = time.monotonic()
        self._last_done = 0

    def advance(self, cache_hit: bool = False, retries: int = 0, tokens: int = 0, failed: bool = False,
                requests: int = 0) -> None:
        """Count one article done; print a line when a step is reached."""
        self.done += 1
        self.failed += int(bool(failed))
        self.requests += int(requests or 0)
        self.tokens += int(tokens or 0)
        now = time.monotonic()
        if self.done < self.total and (self.done - self._last_done >= self.every or now - self._last >= self.seconds):
            self._last, self._last_done = now, self.done
            print(self.line(now), file=self.stream or sys.stderr, flush=True)

    def line(self, now: float | None = None) -> str:
        """Return the progress line as of ``now`` (monotonic seconds)."""
        elapsed = (time.monotonic() if now is None else now) - self.started
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        return (f"kaifaqu: progress {self.done}/{self.total} articles, {self.failed} failed, {self.requests} "
                f"requests, {self.tokens:,} tokens, {_duration(elapsed)}, ETA {_duration(eta)}")

    def close(self) -> None:
        """Nothing to undo (lines stay printed)."""


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}m{seconds:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def make_progress(total: int, stream: TextIO | None = None) -> Progress | LineProgress:
    """Return the progress display for ``total`` articles: a bar on a terminal, else :class:`LineProgress`
    (its step from ``KAIFAQU_PROGRESS_EVERY`` articles / ``KAIFAQU_PROGRESS_SECONDS`` when set)."""
    target = sys.stderr if stream is None else stream
    if progress_enabled(False, target):
        return Progress(total, enabled=True, stream=stream)
    every = int(os.environ.get("KAIFAQU_PROGRESS_EVERY") or 0) or None
    seconds = float(os.environ.get("KAIFAQU_PROGRESS_SECONDS") or 30.0)
    return LineProgress(total, stream=stream, every=every, seconds=seconds)
