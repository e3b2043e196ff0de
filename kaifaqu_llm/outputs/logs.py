"""``kaifaqu -v``: the library's log records (retries, mode fallbacks, the mode chosen) on stderr.

``-v`` shows INFO (each retry and why, each rejected mode, the mode in use),
``-vv`` DEBUG (the SDKs' own records too). Registered secrets are masked in
every record before it is formatted (:mod:`..extract.llm.secrets`).
"""

from __future__ import annotations

import logging
import sys

__all__ = ["log_to_stderr"]

# Our loggers, and the libraries whose records say why a request was retried or refused.
_LOGGERS = ("kaifaqu_llm", "instructor", "openai", "httpx")


class _Masked(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from ..extract.llm.secrets import mask_log_record

        mask_log_record(record)
        return True


def log_to_stderr(verbosity: int) -> logging.Handler:
    """Send log records to stderr at INFO (``verbosity`` 1) or DEBUG (2+); return the handler added."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("kaifaqu [%(levelname)s] %(name)s: %(message)s"))
    handler.addFilter(_Masked())
    ours = logging.DEBUG if verbosity >= 2 else logging.INFO
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        # the SDKs are chatty at INFO (a line per HTTP request): only -vv shows them
        logger.setLevel(ours if name == "kaifaqu_llm" or verbosity >= 2 else logging.WARNING)
        logger.addHandler(handler)
    return handler
