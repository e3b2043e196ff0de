"""Model-assisted segmentation: a model cuts each page into articles; the layout segmenter checks it.

``--segmenter layout`` (the layout rules of ``pages/segment.py``), ``model``, or ``auto`` (the model
when one is configured, else the layout). With the model, each page's numbered lines are sent once
(prompt ``prompts/segment/<version>/``) through :meth:`LLMBackend.structured`, the request path of
article extraction (mode negotiation, validation reasks, transport retries, usage counting), and
come back as a validated :class:`~kaifaqu_llm.pages.roles.PageSegmentation`. Answers are cached in
the profile cache under a key over the model's identity, the prompt and the page's lines.

An answer that does not partition the page or contradicts the layout's hard facts
(:func:`~kaifaqu_llm.pages.roles.check_roles`), or a request that fails, falls back to the layout
segmenter for that page alone; :attr:`PageSegments.note` says why.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from ...core.document import Article, Page
from ...core.errors import ConfigError, redact
from ...pages.roles import PageSegmentation, build_articles, check_roles, numbered_text, page_lines
from ...pages.segment import segment
from ...run.options import SEGMENTERS
from ..backend import Usage
from ..cache import cache_key, canonical_json
from .prompts import prompts_dir
from .request_schema import compact_schema

__all__ = ["SEGMENTERS", "DEFAULT_SEGMENT_PROMPT", "SegmentPrompt", "load_segment_prompt", "resolve_segmenter",
           "PageSegments", "ModelSegmenter", "layout_segments", "segment_with", "pages_cached", "page_splitter", "summary",
           "segment_notes"]

DEFAULT_SEGMENT_PROMPT = "v1"
_SCHEMA_DIGEST = hashlib.sha256(canonical_json(compact_schema(PageSegmentation)).encode()).hexdigest()[:16]


def resolve_segmenter(name: str, config: Any | None, *, model_backend: bool = True) -> str:
    """Return the segmenter that runs for ``--segmenter name``: ``layout`` or ``model``.

    ``auto`` is the model when ``config`` is configured and ``model_backend`` (the run talks to a model
    at all: not ``--backend rules``), else the layout. Raises :class:`ConfigError` for ``model`` without
    a configured model, or an unknown name.
    """
    if name not in SEGMENTERS:
        raise ConfigError(f"unknown segmenter {name!r} (choose from {', '.join(SEGMENTERS)})")
    configured = config is not None and config.is_configured
    if name == "model" and not configured:
        raise ConfigError("--segmenter model needs a model: set KAIFAQU_MODEL (and KAIFAQU_BASE_URL / "
                          "KAIFAQU_API_KEY) or pass --model and --base-url")
    return "model" if name == "model" or (name == "auto" and configured and model_backend) else "layout"


@dataclass(frozen=True)
class SegmentPrompt:
    """The segmentation prompt, loaded: system message, user template, and a digest of both."""

    version: str
    system: str
    user_template: str
    fingerprint: str

    def messages(self, numbered: str, count: int) -> list[dict]:
        """Return the chat messages asking to segment a page given as numbered lines."""
        user = Template(self.user_template).substitute(count=count, lines=numbered)
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


@functools.lru_cache(maxsize=4)
def _load(directory: str, version: str) -> SegmentPrompt:
    folder = Path(directory) / "segment" / version
    try:
        system, user = ((folder / name).read_text(encoding="utf-8") for name in ("system.md", "user.md"))
        Template(user).substitute(count=0, lines="")
    except OSError as exc:
        raise ConfigError(f"segmentation prompt {version!r}: cannot read {folder} ({exc.strerror})") from None
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"segmentation prompt {version!r}: bad template placeholder {exc}") from None
    digest = hashlib.sha256(f"{system}\0{user}".encode()).hexdigest()[:16]
    return SegmentPrompt(version, system.strip() + "\n", user, digest)


def load_segment_prompt(version: str = DEFAULT_SEGMENT_PROMPT) -> SegmentPrompt:
    """Return the segmentation prompt ``version`` (``prompts/segment/<version>/``); raises :class:`ConfigError`."""
    if not version or "/" in version or "\\" in version or version.startswith("."):
        raise ConfigError(f"bad segmentation prompt version {version!r}")
    return _load(str(prompts_dir()), version)


@dataclass
class PageSegments:
    """One page's articles and how they were found: ``segmenter`` is ``model`` or ``layout``; ``note``
    says why the layout was used when the model was asked; ``usage`` is what asking cost."""

    page: Page
    articles: list[Article]
    segmenter: str
    note: str | None = None
    usage: Usage = field(default_factory=Usage)
    cache_key: str | None = None

    def to_json(self) -> dict:
        """Return how the page was segmented, for ``segment --json``: ``used`` (model or layout), ``note``, ``usage``."""
        return {"used": self.segmenter, "note": self.note, "usage": self.usage.to_json()}


class ModelSegmenter:
    """Segments pages with a model through an :class:`LLMBackend` (its client, cache and retry policy)."""

    def __init__(self, backend: Any, prompt_version: str = DEFAULT_SEGMENT_PROMPT) -> None:
        self.backend = backend
        self.prompt = load_segment_prompt(prompt_version)

    def cache_key(self, text: str) -> str:
        """Return the cache key of a page's lines (``text``): model identity, prompt, schema, the lines."""
        config = self.backend.config
        return cache_key({
            "task": "segment",
            "model": config.model,
            "base_url": config.effective_base_url,
            "mode": self.backend.mode,
            "prompt_version": f"segment-{self.prompt.version}",
            "prompt_fingerprint": self.prompt.fingerprint,
            "schema": _SCHEMA_DIGEST,
            "page": text,
            "params": {"temperature": config.temperature, "max_tokens": config.max_tokens},
        })

    async def segment_page(self, page: Page) -> PageSegments:
        """Return ``page``'s articles as the model cuts it, or the layout's with a ``note`` saying why not."""
        lines, kinds, captions = page_lines(page)
        if not lines:
            return PageSegments(page, [], "layout")     # a blank page: nothing to ask
        numbered = numbered_text(lines)
        key = self.cache_key("\n".join(ln.text for ln in lines))  # the whole lines: what the answer is checked on
        answer, usage = self._cached(key), Usage(cache_hit=True)
        if answer is None:
            usage = Usage()
            try:
                answer = await self.backend.structured(self.prompt.messages(numbered, len(lines)),
                                                       PageSegmentation, usage)
            except Exception as exc:  # noqa: BLE001 - an ExtractionError, or a bug: the layout still cuts the page
                why = redact(f"{type(exc).__name__}: {exc}", *self.backend.config.secrets())
                return PageSegments(page, segment(page), "layout", f"model failed ({why})", usage, key)
            if self.backend.cache is not None:
                self.backend.cache.set(key, {"segmentation": answer.model_dump(mode="json"), "usage": usage.to_json(),
                                             "model": self.backend.model, "prompt_version": self.prompt.version})
        problem = check_roles(lines, kinds, answer)
        articles: list[Article] = []
        if problem is None:
            articles, problem = build_articles(page, lines, kinds, captions, answer)
        if problem is not None:
            return PageSegments(page, segment(page), "layout", f"model answer rejected ({problem})", usage, key)
        return PageSegments(page, articles, "model", None, usage, key)

    def _cached(self, key: str) -> PageSegmentation | None:
        cache = self.backend.cache
        if cache is None or self.backend.refresh:
            return None
        value = cache.get(key) or {}
        try:
            return PageSegmentation.model_validate(value["segmentation"])
        except (KeyError, ValueError):
            return None  # absent, or written by an incompatible version: a miss

    async def segment_pages(self, pages: Sequence[Page], concurrency: int = 8) -> list[PageSegments]:
        """Return every page's :class:`PageSegments`, in order, with at most ``concurrency`` requests in flight."""
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(page: Page) -> PageSegments:
            async with gate:
                return await self.segment_page(page)

        return list(await asyncio.gather(*(one(page) for page in pages)))


def pages_cached(pages: Iterable[Page], config: Any, cache_dir: str | None) -> bool:
    """True when the cache under ``cache_dir`` holds the model's cut of every one of ``pages`` (with ``config``)."""
    from ..cache import ProfileCache
    from .backend import LLMBackend
    from .config import resolve_cache_dir

    directory = resolve_cache_dir(cache_dir)
    if not directory.is_dir():
        return False
    cache = ProfileCache(directory)
    try:
        segmenter = ModelSegmenter(LLMBackend(config, cache=cache))
        for page in pages:
            lines = page_lines(page)[0]
            if lines and segmenter._cached(segmenter.cache_key("\n".join(ln.text for ln in lines))) is None:
                return False
        return True
    finally:
        cache.close()


def layout_segments(pages: Sequence[Page]) -> list[PageSegments]:
    """Return every page's layout segmentation as :class:`PageSegments` (no model asked)."""
    return [PageSegments(page, segment(page), "layout") for page in pages]


async def segment_with(pages: Sequence[Page], name: str, config: Any | None, *, model_backend: bool = True,
                       cache_dir: str | None = None, use_cache: bool = True, refresh: bool = False,
                       concurrency: int = 8) -> list[PageSegments]:
    """Return every page's :class:`PageSegments` with the segmenter ``name`` resolves to
    (:func:`resolve_segmenter`); with the model, through its own :class:`LLMBackend` (closed after)."""
    if resolve_segmenter(name, config, model_backend=model_backend) == "layout":
        return layout_segments(pages)
    from ..cache import ProfileCache
    from .backend import LLMBackend
    from .config import resolve_cache_dir

    cache = ProfileCache(resolve_cache_dir(cache_dir)) if use_cache else None
    backend = LLMBackend(config, cache=cache, refresh=refresh)
    try:
        return await ModelSegmenter(backend).segment_pages(pages, concurrency)
    finally:
        await backend.aclose()


def page_splitter(name: str, config: Any | None, *, cache_dir: str | None = None, use_cache: bool = True,
                  into: dict[str, PageSegments] | None = None) -> Callable[[list[Page]], dict[str, list[Article]]] | None:
    """Return a function cutting pages into ``{source: articles}`` with the model segmenter (each page's
    :class:`PageSegments` also stored in ``into``), or None when ``name`` resolves to the layout."""
    if resolve_segmenter(name, config) == "layout":
        return None

    def split(pages: list[Page]) -> dict[str, list[Article]]:
        results = asyncio.run(segment_with(pages, "model", config, cache_dir=cache_dir, use_cache=use_cache))
        (into if into is not None else {}).update({r.page.source: r for r in results})
        return {r.page.source: r.articles for r in results}

    return split


def summary(results: Sequence[PageSegments]) -> str | None:
    """Return one line saying how the model segmenter did (None when it was not asked)."""
    asked = [r for r in results if r.cache_key is not None]
    if not asked:
        return None
    usage = Usage()
    for r in asked:
        usage.add(r.usage)
    fell_back = sum(1 for r in asked if r.segmenter == "layout")
    return (f"segmenter model: {len(asked)} page(s), {sum(1 for r in asked if r.usage.cache_hit)} from the cache, "
            f"{fell_back} fell back to the layout; tokens prompt {usage.prompt_tokens} completion "
            f"{usage.completion_tokens}, requests {usage.requests}, retries {usage.retries}")


def segment_notes(results: Sequence[PageSegments], into: Usage | None = None) -> list[str]:
    """Return the lines a run prints about the model segmenter (:func:`summary`, then one per page that fell
    back to the layout), adding what the pages cost into ``into``."""
    for r in results if into is not None else ():
        into.add(r.usage)
    lines = [line for line in [summary(results)] if line]
    return lines + [f"{r.page.path or r.page.source}: segmented by layout: {r.note}" for r in results if r.note]
