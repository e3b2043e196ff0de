"""Keeping API keys out of logs and model answers.

A server may echo the key it received (some proxies put it in a 401 body; a
broken or prompt-injected model may repeat it). Our own error texts are masked
with :func:`~kaifaqu_llm.core.errors.redact`, but the libraries we drive
(instructor, openai, httpx, vcr) log response bodies and headers themselves,
before we see them. So every key in use is registered here, and a log-record
factory masks registered keys in every record created afterwards — message,
arguments and traceback — before any handler can write it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from ...core.errors import redact

__all__ = ["register_secrets", "mask_log_record"]

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
_installed = False


def mask_log_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask registered secrets in ``record`` (its formatted message and traceback) and return it."""
    secrets = tuple(_SECRETS)
    if not secrets:
        return record
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed record is logging's problem, not ours
        return record
    masked = redact(message, *secrets)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info:
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = redact(text, *secrets)
        if record.exc_text != text:
            record.exc_info = None  # the formatted, masked text stands in for it
    if record.stack_info:
        record.stack_info = redact(record.stack_info, *secrets)
    return record


def register_secrets(secrets: Iterable[str | None]) -> None:
    """Add ``secrets`` to the values masked in every log record from now on (installs the mask once)."""
    global _installed
    values = {s for s in secrets if s and len(s) >= 4}
    if not values:
        return
    with _LOCK:
        _SECRETS.update(values)
        if _installed:
            return
        make_record = logging.getLogRecordFactory()

        def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return mask_log_record(make_record(*args, **kwargs))

        logging.setLogRecordFactory(masked_record)
        _installed = True
