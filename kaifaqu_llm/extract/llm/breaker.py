"""The circuit breaker: stop sending requests once the server has plainly stopped answering.

One :class:`CircuitBreaker` is shared by every article a backend handles
(concurrent ones included). It opens when

* ``threshold`` requests in a row, from at least two articles, could not
  connect (the server went away), or
* before any request succeeded, ``threshold`` requests in a row, from at least
  two articles, got the same permanent answer (401, 403, 404, out of quota...):
  every other article would get it too.

Once open, no article sends another request: each ends at once with an error
starting :data:`NOT_SENT`, so a re-run (which resumes: shards with errors are
run again) picks them up. A success closes nothing: an open breaker stays open
for the run, which is what "stop" means.
"""

from __future__ import annotations

import threading
from typing import Any

from ...core.errors import TransportError

__all__ = ["CircuitBreaker", "NOT_SENT", "DEFAULT_THRESHOLD"]

NOT_SENT = "not sent: "
DEFAULT_THRESHOLD = 3


class CircuitBreaker:
    """Counts consecutive failures of one kind across articles; :meth:`check` raises once it is open."""

    def __init__(self, threshold: int = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold
        self._lock = threading.Lock()  # workers of one process may share it across threads
        self._kind: str | None = None
        self._articles: set[Any] = set()
        self._count = 0
        self._succeeded = False
        self.reason: str | None = None  # set when open

    @property
    def is_open(self) -> bool:
        """True once the breaker has tripped."""
        return self.reason is not None

    def check(self) -> None:
        """Return None while requests may be sent; raise :class:`TransportError` (``NOT_SENT...``) once open."""
        if self.reason is not None:
            raise TransportError(f"{NOT_SENT}{self.reason}; stopped sending requests, re-run the same command "
                                 "to resume the articles left")

    def success(self) -> None:
        """Count one answered request: the run of failures is over."""
        with self._lock:
            self._succeeded, self._kind, self._count = True, None, 0
            self._articles.clear()

    def failure(self, kind: str | None, article: Any, message: str) -> None:
        """Count one failed request of ``kind`` (``connect``, ``HTTP 401``..., None: does not count) for ``article``."""
        with self._lock:
            if kind is None or (kind != "connect" and self._succeeded):
                self._kind, self._count = None, 0
                self._articles.clear()
                return
            if kind != self._kind:
                self._kind, self._count = kind, 0
                self._articles.clear()
            self._count += 1
            self._articles.add(article)
            if self.reason is None and self._count >= self.threshold and len(self._articles) >= 2:
                self.reason = f"{self._count} requests in a row failed ({message})"
