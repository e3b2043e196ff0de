"""Provenance: ``OUT/manifest.json`` says what is in OUT and how every run that wrote there was made.

``pages`` lists every page in OUT: this run's, plus the earlier runs' pages
still in ``profiles.jsonl``. ``runs`` lists each run, oldest first: tool
version, backend, model, base URLs (credentials masked, never a key), the
structured-output mode and why it was chosen, prompt version, schema digest,
start and end times, totals and usage (cached prompt tokens included). The
older top-level keys (``backend``, ``input_errors``, ``usage``) describe the
last run, as before.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..outputs.files import PROFILES_FILE, atomic_write_text, out_lock

__all__ = ["MANIFEST_FILE", "utc_now", "run_entry", "write_manifest", "schema_digest", "mode_of"]

MANIFEST_FILE = "manifest.json"


def utc_now() -> str:
    """Return the current UTC time as ISO 8601 with seconds (``2025-01-31T12:00:00+00:00``)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def schema_digest() -> str:
    """Return the digest of the profile schema sent to models (the one cache keys name)."""
    from ..core.schema import ArticleProfile
    from ..extract.cache import canonical_json
    from ..extract.llm.request_schema import compact_schema

    return hashlib.sha256(canonical_json(compact_schema(ArticleProfile)).encode()).hexdigest()[:16]


def _public_url(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user.split(':', 1)[0]}:***@{host}"))


def mode_of(config: Any) -> dict[str, str] | None:
    """Return ``{"mode", "why", "endpoint_profile"}`` of a model run (negotiated in this process when it was)."""
    model = getattr(config, "model", None)
    if model is None or not model.model:
        return None
    from ..extract.llm.negotiation import negotiation_outcome

    url = config.base_urls[0] if config.base_urls else model.effective_base_url
    outcome = negotiation_outcome(model.with_(base_url=url).effective_base_url, model.model) or {
        "mode": model.resolved_mode,
        "why": "chosen by the user (--mode)" if model.mode else "the endpoint profile's first choice"}
    return {**outcome, "endpoint_profile": model.profile.name}


def run_entry(result: Any, config: Any, started: str, ended: str) -> dict[str, Any]:
    """Return the manifest entry of one finished run (``result`` an :class:`~.engine.ExtractResult`)."""
    from .. import __version__

    model = getattr(config, "model", None)
    entry: dict[str, Any] = {
        "tool_version": __version__, "backend": result.backend,
        "model": model.model if model is not None else None,
        "base_urls": [_public_url(u) for u in (config.base_urls or ())],
        "prompt_version": config.prompt_version if model is not None else None,
        "schema_digest": schema_digest(), "started": started, "ended": ended,
        "totals": {"pages": result.pages, "articles": result.articles, "articles_run": result.articles_run,
                   "failed": result.failed, "cache_hits": result.cache_hits, "shards": result.shards,
                   "shards_skipped": result.shards_skipped},
        "usage": result.usage.to_json() | {"cached_prompt_tokens": result.usage.cached_prompt_tokens},
    }
    mode = mode_of(config) if model is not None else None
    if mode is not None:
        entry["mode"] = mode
    return entry


def _sources_in_profiles(out: Path) -> set[str]:
    from ..outputs.files import _line_key

    path = out / PROFILES_FILE
    if not path.exists():
        return set()
    with open(path, encoding="utf-8-sig") as handle:
        return {_line_key(line)[0] for line in handle if line.strip()}


def write_manifest(out: Path, result: Any, infos: list[dict], counts: dict[str, int], entry: dict) -> Path:
    """Merge this run into ``OUT/manifest.json`` (under the OUT lock) and return its path."""
    path = out / MANIFEST_FILE
    with out_lock(out):
        try:
            earlier = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(earlier, dict):
                earlier = {}
        except (OSError, ValueError):
            earlier = {}
        ours = [{**info, "articles": counts.get(info["source"], 0)} for info in infos]
        mine = {info["source"] for info in ours}
        still = _sources_in_profiles(out)
        kept = [p for p in earlier.get("pages") or [] if isinstance(p, dict) and p.get("source") not in mine
                and p.get("source") in still]
        runs = [r for r in earlier.get("runs") or [] if isinstance(r, dict)]
        manifest = {"backend": result.backend, "pages": kept + ours, "input_errors": result.input_errors,
                    "usage": result.usage.to_json(), "runs": runs + [entry]}
        return atomic_write_text(path, json.dumps(manifest, ensure_ascii=False, indent=2))
