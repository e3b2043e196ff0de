"""Mode negotiation: find the structured-output mode an endpoint accepts, once per run.

The capability profile only guesses a server's mode from its URL. When the
server refuses the request for its structured-output form (llama-cpp-python
answers a ``json_schema`` ``response_format`` with HTTP 500 "response_format.type:
Input should be 'text' or 'json_object'"), that is not a transient failure: the
request is sent again in the profile's next mode (json_schema → tools → json ...).

One :class:`ModeNegotiator` is shared by every article of a backend. Until a mode
has been confirmed (an answer that was not a rejection), one request at a time
probes, the others wait for it, so a run spends at most one extra request per
rejected mode, not one per article. The accepted mode is remembered in the cache
folder for the next run and announced once with a logging warning (the CLI shows
it on stderr). A mode the user chose (``--mode``) is never changed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from ...core.errors import TransportError, first_line
from ..cache import ProfileCache, cache_key

__all__ = ["ModeNegotiator", "is_mode_rejection", "mode_rejection_text", "negotiation_outcome"]

# (endpoint, model) → {"mode", "why"}: what this process's negotiators settled on, for the run's manifest.
_OUTCOMES: dict[tuple[str, str], dict[str, str]] = {}


def negotiation_outcome(endpoint: str, model: str) -> dict[str, str] | None:
    """Return ``{"mode", "why"}`` of the last negotiator for ``endpoint`` and ``model`` in this process, or None."""
    return dict(_OUTCOMES[(endpoint, model)]) if (endpoint, model) in _OUTCOMES else None

_log = logging.getLogger(__name__)
T = TypeVar("T")

_REJECTION_STATUS = (400, 422, 500)
_REJECTED_FIELD = re.compile(r"response_format|json_schema|json_object|tool_choice|\btools?\b", re.I)
_SHAPES = {"JSON_SCHEMA": "json_schema response_format", "JSON": "json_object response_format",
           "TOOLS": "tools / tool_choice", "MD_JSON": "plain text"}


def mode_rejection_text(exc: BaseException) -> str | None:
    """Return the server's complaint when ``exc`` rejects the request's structured-output form, else None.

    A rejection is an HTTP 400/422/500 whose message or body names ``response_format``,
    ``json_schema``, ``tools`` or ``tool_choice``.
    """
    status = getattr(exc, "status_code", None)
    if status not in _REJECTION_STATUS or getattr(exc, "response", None) is None:
        return None
    body = getattr(exc, "body", None)
    said = body.get("message") if isinstance(body, dict) else None  # the server's own words, without the SDK's
    text = str(said or body or "") + " " + str(getattr(exc, "message", ""))
    return str(said or getattr(exc, "message", "")) if _REJECTED_FIELD.search(text) else None


def is_mode_rejection(exc: BaseException) -> bool:
    """Return True when ``exc`` is the server refusing the request's structured-output form."""
    return mode_rejection_text(exc) is not None


class ModeNegotiator:
    """The structured-output mode in use for one endpoint, shared by concurrent articles.

    ``order`` is the profile's mode order (first the default); ``fixed`` means the
    user chose the mode and no other is tried. ``store`` (the profile cache) keeps
    the accepted mode between runs under a key naming the endpoint and model.
    """

    def __init__(self, order: Sequence[str], *, fixed: bool, endpoint: str, model: str,
                 store: ProfileCache | None = None) -> None:
        self._order = list(dict.fromkeys(order))
        self._index = 0
        self._fixed = fixed or len(self._order) == 1
        self.confirmed = self._fixed
        self._endpoint = endpoint
        self._model = model
        self._store = store
        self.why = ("chosen by the user (--mode)" if fixed else
                    "the endpoint profile's only mode" if self._fixed else "the endpoint profile's first choice")
        self._store_key = cache_key({"endpoint_mode": endpoint, "model": model, "order": self._order})
        self._rejections: list[tuple[str, str]] = []
        self._exhausted: TransportError | None = None
        self._lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        if not self._fixed and store is not None:
            remembered = (store.get(self._store_key) or {}).get("mode")
            if remembered in self._order:
                self._index, self.confirmed = self._order.index(remembered), True
                self.why = "negotiated with this endpoint in an earlier run (remembered in the cache)"
        self._record()

    def _record(self) -> None:
        _OUTCOMES[(self._endpoint, self._model)] = {"mode": self.mode, "why": self.why}
        _log.info("kaifaqu: %s: mode %s (%s)", self._endpoint, self.mode, self.why)

    @property
    def mode(self) -> str:
        """The mode the next request uses."""
        return self._order[min(self._index, len(self._order) - 1)]

    def _probe_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock[0] is not loop:
            self._lock = (loop, asyncio.Lock())
        return self._lock[1]

    async def run(self, call: Callable[[str], Awaitable[T]]) -> T:
        """Return ``await call(mode)`` in an accepted mode, falling back past modes the server rejects.

        Errors other than a rejection propagate (the caller's transport retries
        handle them). Raises :class:`TransportError` once every mode was rejected.
        """
        while True:
            if self._exhausted is not None:
                raise self._exhausted
            if self.confirmed:
                mode = self.mode
                try:
                    return await call(mode)
                except Exception as exc:
                    if self._fixed or not is_mode_rejection(exc):
                        raise
                    self._reject(mode, exc)  # a remembered mode the server no longer takes: negotiate again
                    continue
            async with self._probe_lock():
                if self.confirmed or self._exhausted is not None:
                    continue
                mode = self.mode
                try:
                    result = await call(mode)
                except Exception as exc:
                    if not is_mode_rejection(exc):
                        raise
                    self._reject(mode, exc)
                    continue
                self._confirm(mode)
                return result

    def _reject(self, mode: str, exc: BaseException) -> None:
        if mode != self.mode:
            return  # another article already moved on
        self.confirmed = False
        self._rejections.append((mode, first_line(mode_rejection_text(exc) or str(exc), 200)))
        self._index += 1
        _log.info("kaifaqu: %s rejected mode %s (%s); trying the next", self._endpoint, mode,
                  self._rejections[-1][1])
        if self._index >= len(self._order):
            tried = ", ".join(m for m, _ in self._rejections)
            self._exhausted = TransportError(
                f"{self._endpoint} rejected every structured-output mode ({tried}); last answer: "
                f"{self._rejections[-1][1]}"
            )

    def _confirm(self, mode: str) -> None:
        self.confirmed = True
        if not self._rejections:
            return
        rejected = "; ".join(f"{_SHAPES.get(m, m)} rejected ({why})" for m, why in self._rejections)
        self.why = f"negotiated: {rejected}"
        self._record()
        remembered = " (remembered in the cache for the next run)" if self._store is not None else ""
        _log.warning("kaifaqu: %s: %s; using mode %s for this endpoint%s",
                     self._endpoint, rejected, mode, remembered)
        self._rejections.clear()
        if self._store is not None:
            self._store.set(self._store_key, {"mode": mode, "endpoint": self._endpoint})

