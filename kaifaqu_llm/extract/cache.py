"""A disk cache of validated profiles, keyed by everything that shapes a model's answer.

``diskcache`` (SQLite underneath) makes the cache safe to share between
processes and threads. Values are stored as JSON text, never pickles: a cache
directory can then be inspected, and loading it cannot run code. A value that
does not parse (a crash mid-write, a hand edit) reads as a miss.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import diskcache

__all__ = ["ProfileCache", "cache_key", "canonical_json"]

_log = logging.getLogger(__name__)
_CACHE_ERRORS = (sqlite3.Error, OSError, diskcache.Timeout)


def canonical_json(value: Any) -> str:
    """Return ``value`` as canonical JSON: sorted keys, no spaces, CJK kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def cache_key(parts: Mapping[str, Any]) -> str:
    """Return the hex SHA-256 of the canonical JSON of ``parts`` (the cache key)."""
    return hashlib.sha256(canonical_json(dict(parts)).encode("utf-8")).hexdigest()


class ProfileCache:
    """JSON objects on disk under str keys; several processes may use one directory at once."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        # A generous SQLite timeout: parallel runs on one cache wait rather than fail.
        self._cache = diskcache.Cache(str(self.directory), timeout=60, eviction_policy="none", size_limit=2**40)

    def get(self, key: str) -> dict | None:
        """Return the object stored under ``key``, or None when absent, unreadable or the cache fails."""
        try:
            raw = self._cache.get(key, default=None, retry=True)
        except _CACHE_ERRORS as exc:
            _log.warning("cache %s: read failed (%s); treating as a miss", self.directory, exc)
            return None
        if not isinstance(raw, str):
            return None
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: Mapping[str, Any]) -> None:
        """Store ``value`` (a JSON-serialisable mapping) under ``key``, replacing any old one.

        A cache that cannot be written (disk full, database locked past the
        timeout) is logged and skipped: a cache failure must not fail an extraction.
        """
        text = json.dumps(dict(value), ensure_ascii=False)
        try:
            self._cache.set(key, text, retry=True)
        except _CACHE_ERRORS as exc:
            _log.warning("cache %s: write failed (%s); result not cached", self.directory, exc)

    def __contains__(self, key: str) -> bool:
        return key in self._cache

    def __len__(self) -> int:
        return len(self._cache)

    def close(self) -> None:
        """Close the underlying database handles (the cache can be reopened later)."""
        self._cache.close()

    def __enter__(self) -> ProfileCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
