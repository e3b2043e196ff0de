"""The engine-agnostic worker: article rows in, profile rows out, for every engine.

Engines move plain rows between processes, never client objects (the openai
and instructor clients do not pickle). A worker runs :func:`extract_rows` over
a batch of article rows (see :mod:`.rows`) with a :class:`BatchConfig` and
returns **profile rows** ``{doc_id, record_json, error, cache_key}``.

A worker builds its backend from the backend registry lazily, once per process
and event loop, inside that loop; the API key is read from the worker's own
environment (``BatchConfig.api_key_env``) and never travels with the config. A
row that cannot be extracted comes back with ``error`` set, never as an exception.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..core.document import Article, Page
from ..core.errors import ConfigError
from ..extract.backend import Backend, BackendResult
from ..extract.llm.config import ModelConfig
from ..extract.llm.prompts import DEFAULT_PROMPT_VERSION
from ..extract.registry import BackendContext, backend_spec
from ..ground.records import build_record, error_record
from .options import ExtractOptions
from .rows import article_row, article_rows, doc_id_of, row_article

__all__ = [
    "BatchConfig", "doc_id_of", "article_row", "article_rows", "row_article", "extract_rows", "close_workers",
    "per_worker_in_flight", "article_record", "extract_article",
]

_MODEL_SETTINGS = tuple(f.name for f in fields(ModelConfig) if f.name not in ("model", "base_url", "api_key"))
_RUN_SETTINGS = ("strict", "use_cache", "refresh", "cache_dir", "catalogs")
# Settings that never change what a record says: left out of the fingerprint.
_TRANSPORT = ("timeout", "retry")


def _shaping(model: ModelConfig) -> dict[str, Any]:
    """Return the settings of ``model`` that shape a record; the default evidence form is left out, so that
    runs from before the setting existed keep their fingerprint (and resume)."""
    return {f: getattr(model, f) for f in ("model", *_MODEL_SETTINGS)
            if f not in _TRANSPORT and not (f == "evidence" and model.evidence == "quote")}


@dataclass(frozen=True, init=False)
class BatchConfig:
    """Everything a worker needs: a backend name, a keyless :class:`ModelConfig`, run options.

    Picklable and hashable; holds no secret and no client. ``base_urls`` lists
    replicas of one model (round-robined per article); cache keys name the
    first. The key is read from the worker's environment variable
    ``api_key_env`` (``KAIFAQU_API_KEY`` falls back to ``OPENAI_API_KEY``).
    ``max_in_flight`` bounds requests in flight per worker process.

    Besides ``model`` (a :class:`ModelConfig` or a model name), any
    :class:`ModelConfig` setting (``mode``, ``timeout``, ``retry``…) and the
    per-record run options (``strict``, ``use_cache``, ``refresh``,
    ``cache_dir``, ``catalogs``) may be given as keywords.
    """

    backend: str
    model: ModelConfig | None
    base_urls: tuple[str, ...]
    options: ExtractOptions
    prompt_version: str
    api_key_env: str
    max_in_flight: int

    def __init__(self, backend: str = "llm", base_urls: Sequence[str] = (), model: ModelConfig | str | None = None,
                 *, options: ExtractOptions | None = None, prompt_version: str = DEFAULT_PROMPT_VERSION,
                 api_key_env: str = "KAIFAQU_API_KEY", max_in_flight: int = 8, registered: bool = True,
                 **settings: Any) -> None:
        unknown = sorted(set(settings) - set(_MODEL_SETTINGS) - set(_RUN_SETTINGS))
        if unknown:
            raise ConfigError(f"unknown batch setting(s): {', '.join(unknown)}")
        urls = tuple(u.rstrip("/") for u in base_urls)
        model_settings = {k: v for k, v in settings.items() if k in _MODEL_SETTINGS}
        if isinstance(model, ModelConfig):
            model = model.with_(api_key=None, base_url=urls[0] if urls else model.base_url, **model_settings)
        elif model is not None or model_settings:
            model = ModelConfig(model=model, base_url=urls[0] if urls else None, **model_settings)
        run = {k: v for k, v in settings.items() if k in _RUN_SETTINGS}
        options = replace(options or ExtractOptions(), backend="auto", **run)
        for name, value in (("backend", backend), ("model", model), ("base_urls", urls), ("options", options),
                            ("prompt_version", prompt_version), ("api_key_env", api_key_env),
                            ("max_in_flight", max_in_flight)):
            object.__setattr__(self, name, value)
        if max_in_flight < 1:
            raise ConfigError("max in flight must be at least 1")
        if registered and backend_spec(backend).needs_model and not (model and model.model):
            raise ConfigError(f"the {backend} backend needs a model: set ModelConfig.model (or KAIFAQU_MODEL)")

    @classmethod
    def from_model_config(cls, config: ModelConfig | None, *, backend: str = "llm", base_urls: Sequence[str] = (),
                          **values: Any) -> BatchConfig:
        """Return a batch config for ``config`` (its key left out); ``base_urls`` overrides its base URL."""
        options = values.get("options")
        segments = options is not None and options.segmenter == "model"  # the model cuts pages for any backend
        if config is None or not (backend_spec_or_none(backend, needs_model=True) or segments):
            return cls(backend=backend, **values)
        urls = tuple(base_urls) or (config.effective_base_url,)
        return cls(backend=backend, base_urls=urls, model=config, **values)

    @classmethod
    def resolve(cls, config: ModelConfig | None, backend: str = "auto", *, base_urls: Sequence[str] = (),
                **values: Any) -> tuple[BatchConfig, str]:
        """Return ``(batch config, note)`` for the backend ``backend`` as :func:`extract` decides it.

        ``auto`` is the llm backend when a model is configured, else the rules; the
        note says which ran and why. Raises :class:`ConfigError` when a backend
        that needs a model is asked for without one.
        """
        from .pipeline import resolve_backend

        name, note = resolve_backend(backend, config, base_urls)
        return cls.from_model_config(config, backend=name, base_urls=base_urls, **values), note

    @property
    def strict(self) -> bool:
        """Drop ungrounded facts."""
        return self.options.strict

    def model_config(self, base_url: str | None) -> ModelConfig:
        """Return the :class:`ModelConfig` for one replica, the key taken from this process's environment."""
        key = os.environ.get(self.api_key_env) or None
        if key is None and self.api_key_env == "KAIFAQU_API_KEY":
            key = os.environ.get("OPENAI_API_KEY") or None
        return (self.model or ModelConfig()).with_(base_url=base_url, api_key=key)

    def segmenter(self) -> str:
        """Return the segmenter this run cuts pages with: ``layout`` or ``model`` (``options.segmenter`` resolved
        by :func:`~..extract.llm.segmenter.resolve_segmenter`; raises :class:`ConfigError` for ``model`` without one)."""
        if self.options.segmenter == "layout":
            return "layout"
        from ..extract.llm.segmenter import resolve_segmenter

        model = self.model_config(self.base_urls[0] if self.base_urls else self.model.base_url) if self.model else None
        return resolve_segmenter(self.options.segmenter, model,
                                 model_backend=backend_spec_or_none(self.backend, needs_model=True))

    def fingerprint(self) -> str:
        """Return a digest of every setting that shapes a record (not concurrency, cache place or transport)."""
        shaping: dict[str, Any] = {"backend": self.backend, "prompt_version": self.prompt_version,
                                   "strict": self.options.strict, "rules_off": sorted(self.options.rules_off)}
        if self.model is not None and backend_spec_or_none(self.backend, needs_model=True):
            shaping["model"] = _shaping(self.model)
            shaping["base_urls"] = self.base_urls[:1]  # replicas are interchangeable; the first names the cache
        shaping["catalogs"] = [_file_digest(c) for c in self.options.catalogs]
        if self.segmenter() == "model":  # pages cut another way make other articles: never resume across
            from ..extract.llm.segmenter import DEFAULT_SEGMENT_PROMPT, load_segment_prompt

            shaping["segmenter"] = {"prompt": load_segment_prompt(DEFAULT_SEGMENT_PROMPT).fingerprint,
                                    "base_url": self.base_urls[:1], "model": _shaping(self.model)}
        return hashlib.sha256(json.dumps(shaping, sort_keys=True, default=str).encode()).hexdigest()[:16]


def backend_spec_or_none(name: str, *, needs_model: bool) -> bool:
    """True when ``name`` is registered and its needing a model equals ``needs_model`` (unregistered: True)."""
    try:
        return backend_spec(name).needs_model == needs_model
    except ConfigError:
        return True


def _file_digest(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return f"missing:{path}"


def per_worker_in_flight(total: int, workers: int) -> int:
    """Return the per-worker share of a global in-flight budget: ``ceil(total / workers)``, at least 1."""
    if total < 1 or workers < 1:
        raise ConfigError("the in-flight budget and the number of workers must be at least 1")
    return max(1, -(-total // workers))


async def extract_article(backend: Backend, article: Article) -> BackendResult:
    """Return ``backend``'s result for ``article``; an unexpected exception becomes the result's error."""
    try:
        return await backend.extract(article)
    except Exception as exc:  # noqa: BLE001 - a backend bug must not sink the batch
        return BackendResult(None, error=f"{exc.__class__.__name__}: {exc}")


def article_record(article: Article, result: BackendResult, pages: Mapping[str, Page], *, backend: Backend,
                   strict: bool, catalog: Any | None = None) -> dict:
    """Return the grounded profile record of one article (the ``profiles.jsonl`` contract); never raises.

    The record names ``backend``'s ``name``, ``model`` and ``prompt_version``;
    keys the backend adds (``result.extra``) follow the cache key; with a
    ``catalog`` its zones are linked.
    """
    common = dict(backend=backend.name, model=backend.model, prompt_version=backend.prompt_version,
                  usage=result.usage.to_json())
    extra = {k: v for k, v in (("cache_key", result.cache_key), ("rejected", result.rejected)) if v} or None
    if result.profile is None:
        return error_record(article, result.error or "no profile", extra=extra, **common)
    try:
        record = build_record(article, result.profile, pages, strict=strict, extra=extra, **common)
        if result.extra:
            record.update(result.extra)
        if catalog is not None:
            from ..zones.linker import annotate_zones

            annotate_zones(record["zones"], catalog)
    except Exception as exc:  # noqa: BLE001 - a record that cannot be built is its article's error, not the batch's
        return error_record(article, f"could not build the record: {exc.__class__.__name__}: {exc}", extra=extra,
                            **common)
    return record


def load_catalog(files: Sequence[str]) -> Any | None:
    """Return the zone catalog (built-in plus ``files``), or None when the catalog module is absent."""
    try:
        from ..zones.catalog import load_catalog as load
    except ImportError:
        return None
    return load([Path(f) for f in files])


class _Named:
    """A backend object seen through the :class:`Backend` protocol (``model``/``prompt_version`` default to None)."""

    def __init__(self, backend: Any, name: str) -> None:
        self.inner, self.name = backend, getattr(backend, "name", None) or name
        self.model = getattr(backend, "model", None)
        self.prompt_version = getattr(backend, "prompt_version", None)

    async def extract(self, article: Article) -> BackendResult:
        return await self.inner.extract(article)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Worker:
    """A process's backends for one :class:`BatchConfig` on one event loop (or given backend objects)."""

    def __init__(self, config: BatchConfig, backends: Sequence[Any] = ()) -> None:
        self.config = config
        self.semaphore = asyncio.Semaphore(config.max_in_flight)
        self.catalog = load_catalog(config.options.catalogs)
        self._turn = 0
        self.cache = None
        if backends:
            self.backends = [_Named(b, config.backend) for b in backends]
            return
        spec = backend_spec(config.backend)
        if not spec.needs_model:
            self.backends = [_Named(spec.build(BackendContext(rules_off=config.options.rules_off)), spec.name)]
            return
        from ..extract.cache import ProfileCache
        from ..extract.llm.config import resolve_cache_dir

        if config.options.use_cache:
            self.cache = ProfileCache(resolve_cache_dir(config.options.cache_dir))
        urls = config.base_urls or (None,)
        identity = urls[0]
        self.backends = [_Named(spec.build(BackendContext(config.model_config(url), self.cache, config.options.refresh,
                                                          config.prompt_version, identity,
                                                          config.options.rules_off)), spec.name)
                         for url in urls]

    def _next_backend(self) -> Any:
        backend = self.backends[self._turn % len(self.backends)]
        self._turn += 1
        return backend

    async def run(self, row: dict) -> dict:
        """Return the profile row of one article row."""
        doc_id = str(row.get("doc_id"))
        try:
            article, pages = row_article(row)
        except (KeyError, TypeError, ValueError) as exc:
            return {"doc_id": doc_id, "record_json": None, "error": f"bad article row: {exc.__class__.__name__}: {exc}",
                    "cache_key": None}
        backend = self._next_backend()
        async with self.semaphore:
            result = await extract_article(backend, article)
        record = article_record(article, result, pages, backend=backend, strict=self.config.options.strict,
                                catalog=self.catalog)
        return {"doc_id": doc_id, "record_json": json.dumps(record, ensure_ascii=False),
                "error": record.get("error"), "cache_key": result.cache_key}

    async def aclose(self) -> None:
        """Close every backend, then the one cache they share."""
        for backend in self.backends:
            if hasattr(backend.inner, "cache"):
                backend.inner.cache = None  # one shared cache: closed once below
            await backend.aclose()
        if self.cache is not None:
            self.cache.close()


# Per event loop, per config: a loop's clients and semaphore must not be used from another loop.
_WORKERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[BatchConfig, Worker]] = weakref.WeakKeyDictionary()


def _worker(config: BatchConfig) -> Worker:
    workers = _WORKERS.setdefault(asyncio.get_running_loop(), {})
    if config not in workers:
        workers[config] = Worker(config)
    return workers[config]


async def extract_rows(rows: Sequence[dict], config: BatchConfig) -> list[dict]:
    """Return one profile row ``{doc_id, record_json, error, cache_key}`` per article row, in order.

    ``record_json`` is the full profile record (the ``profiles.jsonl`` contract) as
    JSON, or None when the row itself was unusable. Requests in flight in this
    process and event loop stay within ``config.max_in_flight`` however many
    batches run at once. Never raises for a row.
    """
    worker = _worker(config)
    return list(await asyncio.gather(*(worker.run(dict(row)) for row in rows)))


async def close_workers() -> None:
    """Close the clients and caches this event loop's workers hold (they are rebuilt when needed)."""
    workers = _WORKERS.pop(asyncio.get_running_loop(), {})
    for worker in workers.values():
        await worker.aclose()
