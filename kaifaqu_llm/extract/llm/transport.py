"""The transport side of the LLM backend: the openai SDK imported lazily, and what its errors mean.

Which failures are worth retrying (429 but not out-of-quota, 5xx, timeouts,
lost connections), how long a server asks us to wait, and the one-line
:class:`TransportError` a failure becomes. Nothing outside ``extract/llm``
needs to know the openai SDK's exception classes.
"""

from __future__ import annotations

import email.utils
import importlib
import time
from typing import Any

from ...core.errors import QuotaExceededError, TransportError, first_line
from .negotiation import is_mode_rejection

__all__ = ["openai", "is_transient", "retry_after_seconds", "transport_error", "failure_kind"]


class _LazyModule:
    """A module imported on first attribute access.

    ``import openai`` takes about a second; a run answered entirely from the cache never needs it
    (benchmarks/results.md, section 3), so it is imported when a request or an error first needs it.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


openai: Any = _LazyModule("openai")

def _is_quota(exc: BaseException) -> bool:
    if not isinstance(exc, openai.APIStatusError):
        return False
    body = exc.body if isinstance(exc.body, dict) else {}
    return "insufficient_quota" in (exc.code, body.get("type"), getattr(exc, "type", None))


def is_transient(exc: BaseException) -> bool:
    """Return True for a transport failure worth retrying: 429 (not out-of-quota), 5xx, timeout, lost connection.

    A server refusing the request's structured-output form (even as HTTP 500) is not
    transient: mode negotiation handles it.
    """
    if _is_quota(exc) or is_mode_rejection(exc):
        return False
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, openai.APIConnectionError)  # APITimeoutError is a subclass


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """Return the wait a 429/503 answer asks for (``retry-after-ms`` or ``Retry-After``), or None."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return max(float(raw) / scale, 0.0)
        except ValueError:
            pass
        try:  # Retry-After may also be an HTTP date
            return max(email.utils.parsedate_to_datetime(raw).timestamp() - time.time(), 0.0)
        except (TypeError, ValueError):
            return None
    return None


# Answers that every other article would get too: the circuit breaker counts them (see breaker.py).
_PERMANENT_STATUS = (401, 403, 404)


def failure_kind(exc: BaseException, where: str) -> tuple[str | None, str]:
    """Return ``(kind, one line)`` of a failed request for the circuit breaker.

    ``kind`` is ``connect`` (no connection), ``HTTP <status>`` or ``quota`` for an
    answer no retry or other article can change, or None for anything else
    (a timeout, a 5xx, a rate limit: the server is there).
    """
    if _is_quota(exc):
        return "quota", f"insufficient_quota at {where}"
    if isinstance(exc, openai.APITimeoutError):
        return None, ""
    if isinstance(exc, openai.APIConnectionError):
        return "connect", f"could not connect to {where}"
    if isinstance(exc, openai.APIStatusError) and exc.status_code in _PERMANENT_STATUS and not is_mode_rejection(exc):
        return f"HTTP {exc.status_code}", f"HTTP {exc.status_code} from {where}: {first_line(exc.message, 160)}"
    return None, ""


def transport_error(exc: Any, where: str, timeout: float, attempts: int) -> TransportError:
    """Return the :class:`TransportError` (or :class:`QuotaExceededError`) an openai error at ``where`` becomes."""
    if _is_quota(exc):
        return QuotaExceededError(f"insufficient_quota at {where}: the account has no quota left (not retried)")
    tries = f"after {attempts} attempt(s)"
    if isinstance(exc, openai.APITimeoutError):
        return TransportError(f"request to {where} timed out ({timeout:g}s) {tries}")
    if isinstance(exc, openai.APIConnectionError):
        return TransportError(f"could not connect to {where} {tries}: {first_line(str(exc))}")
    if isinstance(exc, openai.APIStatusError):
        retried = "" if is_transient(exc) else " (not retried)"
        return TransportError(f"HTTP {exc.status_code} from {where}{retried} {tries}: {first_line(exc.message)}")
    return TransportError(f"{type(exc).__name__} from {where} {tries}: {first_line(str(exc))}")

