"""The library entry points: pages in, grounded profile records out (``kaifaqu extract``).

    read page → segment → (stitch) → backend (see the backend registry) → ground → OUT/

:func:`extract` picks the backend (:func:`resolve_backend`) and runs the one
run engine (:mod:`.engine`) with the ``inline`` engine unless
``ExtractOptions.engine`` says otherwise. A page that cannot be read becomes
one line in ``ExtractResult.input_errors``; an article that cannot be
extracted becomes a record with ``error`` set. Nothing is dropped silently:
``ExtractResult.failed`` counts both.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from ..core.document import Page
from ..core.errors import ConfigError, redact
from ..extract.backend import Backend
from ..extract.registry import CUSTOM, backend_names, backend_spec
from .batch import BatchConfig, article_record, extract_article
from .engine import ExtractResult, RunOutcome, run_async
from .options import ExtractOptions

__all__ = [
    "BACKENDS", "ExtractOptions", "ExtractResult", "RunOutcome", "extract", "extract_async", "resolve_backend",
    "article_record", "extract_article",
]

BACKENDS = backend_names(auto=True)  # the built-in names; the registry is the authority
NO_MODEL_NOTE = ("no model configured: using the rules backend. To use a model set KAIFAQU_MODEL and "
                 "KAIFAQU_BASE_URL (and KAIFAQU_API_KEY for a hosted API), or pass --model/--base-url.")


def resolve_backend(name: str, config: Any | None, base_urls: Sequence[str] = ()) -> tuple[str, str]:
    """Return ``(backend, note)`` for the backend ``name``: the registered backend that runs and a line
    saying what ran and why.

    ``auto`` runs the rules only when no model and no base URL are configured;
    naming either means a model was meant. Raises :class:`ConfigError` when a
    model is meant but cannot be used: no model name, or a hosted API without
    a key (a local server, 127.0.0.1 or localhost, needs none).
    """
    if name not in backend_names(auto=True):
        raise ConfigError(f"unknown backend {name!r} (choose from {', '.join(backend_names(auto=True))})")
    meant = config is not None and bool(config.model or config.base_url or base_urls)
    if name == "auto" and not meant:
        return "rules", NO_MODEL_NOTE
    name = "llm" if name == "auto" else name
    if not backend_spec(name).needs_model:
        return name, f"using the {name} backend"
    if config is None or not config.model:
        raise ConfigError(f"the {name} backend needs a model: set ModelConfig.model "
                          "(environment: KAIFAQU_MODEL)")
    first = config.with_(base_url=base_urls[0]) if base_urls else config
    if not first.is_local and not first.api_key:
        raise ConfigError(f"model {config.model} at {first.effective_base_url} is a hosted API and needs a key: "
                          "set ModelConfig.api_key or the environment variable KAIFAQU_API_KEY (or OPENAI_API_KEY)")
    where = ", ".join(base_urls) or config.base_url or "the OpenAI API"
    return name, redact(f"using the {name} backend: model {config.model} at {where}", *config.secrets())


async def extract_async(
    inputs: Iterable[str | os.PathLike[str] | Page] | str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    config: Any | None = None,
    options: ExtractOptions | None = None,
    backend: str | Backend | None = None,
) -> ExtractResult:
    """Extract grounded profile records from pages (files, directories or :class:`Page` objects; one
    path alone is one input).

    Returns an :class:`ExtractResult`; with ``out_dir`` also writes ``profiles.jsonl``
    (and ``shards/``), ``zones.jsonl``, ``manifest.json`` and the requested export
    formats there. ``backend`` is a registered backend name (as for :func:`extract`)
    or a backend object to run instead of the one ``options.backend`` names (inline
    engine only; register a backend to use it in every engine).
    """
    options = options or ExtractOptions()
    if isinstance(backend, str):
        options, backend = replace(options, backend=backend), None
    backends: tuple[Any, ...] = ()
    if backend is None:
        if config is None and (options.backend != "rules" or options.segmenter == "model"):
            from ..extract.llm.config import ModelConfig

            config = ModelConfig.resolve()
        batch_config, note = BatchConfig.resolve(config, options.backend, options=options)
    else:
        name = getattr(backend, "name", None) or CUSTOM
        model = config if options.segmenter != "layout" else None  # only the model segmenter may use it
        batch_config = BatchConfig.from_model_config(model, backend=name, options=options, registered=False)
        note = f"using the {name} backend"
        backends = (backend,)
    return await run_async(inputs, out_dir, batch_config, options, note=note, backends=backends)


def extract(
    inputs: Iterable[str | os.PathLike[str] | Page] | str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    config: Any | None = None,
    options: ExtractOptions | None = None,
    backend: str | Backend | None = None,
    **option_overrides: Any,
) -> ExtractResult:
    """Run :func:`extract_async` to completion and return its :class:`ExtractResult`.

    Works inside a running event loop too (Jupyter): the run then happens on a
    worker thread; async code should ``await extract_async(...)`` instead.

    ``backend`` is a registered backend name (``"auto"``, ``"llm"``, ``"rules"``,
    ``"hybrid"``…) or a :class:`Backend` object; other keywords set
    :class:`ExtractOptions` fields, e.g. ``extract(["seeds/"], "out", backend="rules", concurrency=4)``.
    """
    if isinstance(backend, str):
        option_overrides["backend"] = backend
        backend = None
    options = replace(options or ExtractOptions(), **option_overrides)
    from .engine import run_blocking

    return run_blocking(extract_async(inputs, out_dir, config=config, options=options, backend=backend))
