"""A progress bar for long extraction runs, on stderr only.

Shows articles done / total, cache hits, retries and tokens. It is drawn only
when stderr is a terminal and ``--quiet`` is not given, so that piped or
redirected runs (and anything reading stdout) never see it.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress as _RichProgress, TextColumn, TimeElapsedColumn
from rich.progress import TimeRemainingColumn

__all__ = ["Progress", "progress_enabled"]


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

    def advance(self, cache_hit: bool = False, retries: int = 0, tokens: int = 0) -> None:
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
