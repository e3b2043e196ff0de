"""The engine-agnostic batch core: article rows in, profile rows out.

Distributed engines (Ray Data, see ``ray_engine.py``) move plain rows between
processes, never client objects (the openai and instructor clients do not
pickle). So the work is cut in two:

* the driver reads and segments pages (cheap) and turns each article into an
  **article row** of plain strings and ints (:func:`article_rows`);
* a worker runs :func:`extract_rows` over a batch of rows with a small,
  picklable :class:`BatchConfig`, and returns **profile rows**
  ``{doc_id, record_json, error, cache_key}``.

A worker builds its backend lazily, once per process and event loop, inside
that loop; the API key is read from the worker's own environment
(``BatchConfig.api_key_env``) and never travels with the config. A row that
cannot be extracted comes back with ``error`` set, never as an exception.

Article row::

    {"doc_id": "<source>#<article_index>", "source": str, "article_index": int,
     "article_json": JSON of the Article's fields,
     "regions_json": JSON [[source, offset, page_text[offset:end]], ...]}

Grounding needs the page text, but a row carries only the slices of the page
regions the article was cut (or stitched) from, with their offsets, so
evidence offsets stay page-absolute while a row stays small. JSON strings keep
every column a plain Arrow type.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..extract.backend import BackendResult, RulesBackend
from ..extract.llm.config import ModelConfig, RetryPolicy
from ..core.document import Article, Page
from ..core.errors import ConfigError
from .pipeline import _load_catalog, _segment_pages, article_record, extract_article
from ..extract.llm.prompts import DEFAULT_PROMPT_VERSION

__all__ = [
    "BatchConfig",
    "doc_id_of",
    "article_row",
    "article_rows",
    "row_article",
    "extract_rows",
    "close_workers",
    "per_worker_in_flight",
]

BATCH_BACKENDS = ("llm", "rules", "hybrid")


@dataclass(frozen=True)
class BatchConfig:
    """Everything a worker needs, picklable and hashable; holds no secret and no client.

    ``base_urls`` lists replicas of one model (round-robined per article); cache
    keys name the first, so any replica's answer serves them all. The key is read
    from the worker's environment variable ``api_key_env`` (``KAIFAQU_API_KEY``
    falls back to ``OPENAI_API_KEY``, as for :meth:`ModelConfig.resolve`).
    ``max_in_flight`` bounds requests in flight per worker process; ``cache_dir``
    is a node-local directory (None: the worker's user cache dir).
    """

    backend: str = "llm"
    base_urls: tuple[str, ...] = ()
    model: str | None = None
    mode: str | None = None
    endpoint: str | None = None
    prompt_version: str = DEFAULT_PROMPT_VERSION
    api_key_env: str = "KAIFAQU_API_KEY"
    max_in_flight: int = 8
    cache_dir: str | None = None
    use_cache: bool = True
    refresh: bool = False
    strict: bool = False
    timeout: float = 120.0
    reask: int = 2
    temperature: float = 0.0
    max_tokens: int | None = None
    token_budget: int = 4000
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    catalogs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_urls", tuple(u.rstrip("/") for u in self.base_urls))
        object.__setattr__(self, "catalogs", tuple(str(c) for c in self.catalogs))
        if self.backend not in BATCH_BACKENDS:
            raise ConfigError(f"unknown batch backend {self.backend!r} (choose from {', '.join(BATCH_BACKENDS)})")
        if self.max_in_flight < 1:
            raise ConfigError("max in flight must be at least 1")
        if self.backend != "rules":
            if not self.model:
                raise ConfigError(f"the {self.backend} backend needs a model: set KAIFAQU_MODEL or pass --model")
            self.model_config(self.base_urls[0] if self.base_urls else None)  # validates mode, endpoint, limits

    @classmethod
    def from_model_config(cls, config: ModelConfig, *, backend: str = "llm", base_urls: Sequence[str] = (),
                          **values: Any) -> BatchConfig:
        """Return a batch config for ``config`` (its key left out); ``base_urls`` overrides its base URL."""
        urls = tuple(base_urls) or (config.effective_base_url,)
        return cls(backend=backend, base_urls=urls, model=config.model, mode=config.resolved_mode,
                   endpoint=config.endpoint, timeout=config.timeout, reask=config.reask,
                   temperature=config.temperature, max_tokens=config.max_tokens,
                   token_budget=config.token_budget, retry=config.retry, **values)

    @classmethod
    def resolve(cls, config: ModelConfig, backend: str = "auto", *, base_urls: Sequence[str] = (),
                **values: Any) -> tuple[BatchConfig, str]:
        """Return ``(batch config, note)`` for ``--backend backend`` as :func:`extract` decides it.

        ``auto`` is the llm backend when a model is configured, else the rules; the
        note says which ran and why. Raises :class:`ConfigError` when ``llm`` or
        ``hybrid`` is asked for without a model.
        """
        from .pipeline import resolve_backend

        backend, note = resolve_backend(backend, config, base_urls or ((config.effective_base_url,) if config else ()))
        if backend == "rules":
            return cls(backend="rules", **values), note
        return cls.from_model_config(config, backend=backend, base_urls=base_urls, **values), note

    def model_config(self, base_url: str | None) -> ModelConfig:
        """Return the :class:`ModelConfig` for one replica, the key taken from this process's environment."""
        key = os.environ.get(self.api_key_env) or None
        if key is None and self.api_key_env == "KAIFAQU_API_KEY":
            key = os.environ.get("OPENAI_API_KEY") or None
        return ModelConfig(model=self.model, base_url=base_url, api_key=key, mode=self.mode, endpoint=self.endpoint,
                           timeout=self.timeout, reask=self.reask, temperature=self.temperature,
                           max_tokens=self.max_tokens, token_budget=self.token_budget, retry=self.retry)

    def fingerprint(self) -> str:
        """Return a digest of every setting that shapes a record (not concurrency, cache place or transport)."""
        shaping = {f.name: getattr(self, f.name) for f in fields(self)
                   if f.name not in ("max_in_flight", "cache_dir", "use_cache", "refresh", "api_key_env",
                                     "timeout", "retry", "catalogs")}
        shaping["base_urls"] = self.base_urls[:1]  # replicas are interchangeable; the first names the cache
        shaping["catalogs"] = [_file_digest(c) for c in self.catalogs]
        return hashlib.sha256(json.dumps(shaping, sort_keys=True, default=str).encode()).hexdigest()[:16]


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


# --- rows ------------------------------------------------------------------------

def doc_id_of(article: Article) -> str:
    """Return the document id of an article: ``<source>#<article_index>``."""
    return f"{article.source}#{article.index}"


def article_row(article: Article, pages: dict[str, Page]) -> dict:
    """Return the article row of ``article`` (its page regions sliced out of ``pages``)."""
    parts = article.parts or ((article.source, article.start, article.end),)
    regions = [[source, start, pages[source].text[start:end]] for source, start, end in parts if source in pages]
    return {
        "doc_id": doc_id_of(article),
        "source": article.source,
        "article_index": article.index,
        "article_json": json.dumps(article.as_dict(), ensure_ascii=False),
        "regions_json": json.dumps(regions, ensure_ascii=False),
    }


def article_rows(pages: Sequence[Page], *, stitch: bool = False) -> list[dict]:
    """Return the article rows of ``pages``, segmented (and stitched) as the single-process path does."""
    by_source = {page.source: page for page in pages}
    return [article_row(a, by_source) for a in _segment_pages(list(pages), stitch)]


def row_article(row: dict) -> tuple[Article, dict[str, Page]]:
    """Return the :class:`Article` of an article row and page views for grounding it (offsets page-absolute)."""
    data = json.loads(str(row["article_json"]))
    data["authors"] = tuple(data.get("authors") or ())
    data["parts"] = tuple(tuple(part) for part in data.get("parts") or ())
    article = Article(**data)
    by_source: dict[str, list[tuple[int, str]]] = {}
    for source, start, text in json.loads(str(row["regions_json"])):
        by_source.setdefault(source, []).append((int(start), text))
    pages = {}
    for source, regions in by_source.items():
        # Blanks before and between regions: grounding only searches inside a region, so they are never read.
        text = ""
        for start, piece in sorted(regions):
            text = text.ljust(start)[:start] + piece + text[start + len(piece):]
        pages[source] = Page(source, text)
    return article, pages


# --- workers -----------------------------------------------------------------------

class _Worker:
    """A process's backends for one :class:`BatchConfig` on one event loop."""

    def __init__(self, config: BatchConfig) -> None:
        self.config = config
        self.semaphore = asyncio.Semaphore(config.max_in_flight)
        self.rules = RulesBackend() if config.backend == "hybrid" else None
        self.catalog = _load_catalog(config.catalogs)
        self._turn = 0
        self.cache = None
        if config.backend == "rules":
            self.backends: list[Any] = [RulesBackend()]
            return
        from ..extract.cache import ProfileCache
        from ..extract.llm.config import resolve_cache_dir
        from ..extract.llm.backend import LLMBackend

        if config.use_cache:
            self.cache = ProfileCache(resolve_cache_dir(config.cache_dir))
        urls = config.base_urls or (None,)
        self.backends = [LLMBackend(config.model_config(url), cache=self.cache, refresh=config.refresh,
                                    prompt_version=config.prompt_version) for url in urls]
        for replica in self.backends[1:]:
            # Replicas serve one model: every replica keys the cache as the first does, so a re-run or a
            # different replica finds the answer (extract() looks cache_key up on the instance).
            replica.cache_key = self.backends[0].cache_key

    def _next_backend(self) -> Any:
        backend = self.backends[self._turn % len(self.backends)]
        self._turn += 1
        return backend

    async def run(self, row: dict) -> dict:
        doc_id = str(row.get("doc_id"))
        try:
            article, pages = row_article(row)
        except (KeyError, TypeError, ValueError) as exc:
            return {"doc_id": doc_id, "record_json": None, "error": f"bad article row: {exc.__class__.__name__}: {exc}",
                    "cache_key": None}
        backend = self._next_backend()
        async with self.semaphore:
            result: BackendResult = await extract_article(backend, article)
        # article_record never raises: a record that cannot be built is an error record
        record = article_record(article, result, pages, backend_name=self.config.backend,
                                model=getattr(backend, "model", None),
                                prompt_version=getattr(backend, "prompt_version", None),
                                strict=self.config.strict, rules=self.rules, catalog=self.catalog)
        return {"doc_id": doc_id, "record_json": json.dumps(record, ensure_ascii=False),
                "error": record.get("error"), "cache_key": result.cache_key}

    async def aclose(self) -> None:
        for backend in self.backends:
            backend.cache = None  # one shared cache: closed once below
            await backend.aclose()
        if self.cache is not None:
            self.cache.close()


# Per event loop, per config: a loop's clients and semaphore must not be used from another loop.
_WORKERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[BatchConfig, _Worker]] = weakref.WeakKeyDictionary()


def _worker(config: BatchConfig) -> _Worker:
    workers = _WORKERS.setdefault(asyncio.get_running_loop(), {})
    if config not in workers:
        workers[config] = _Worker(config)
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
