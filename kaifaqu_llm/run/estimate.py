"""The cost of a run before it runs (``kaifaqu extract --dry-run``): pages, articles, chunks, requests, tokens.

Pages are read and segmented exactly as a run would, articles split into
chunks with the same token budget, and each chunk's messages (system prompt,
article, request schema) counted with the same token estimate
(:func:`~..extract.chunking.estimate_tokens`). Nothing is sent and nothing
written. Requests count one per chunk: validation reasks and transport retries
come on top, and cache hits are not subtracted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunEstimate", "estimate_run", "parse_price"]


@dataclass
class RunEstimate:
    """What a run would send: counts, estimated prompt tokens and the articles over the chunk limit."""

    pages: int = 0
    articles: int = 0
    chunks: int = 0
    requests: int = 0
    prompt_tokens: int = 0
    max_completion_tokens: int = 0
    over_limit: list[tuple[str, int]] = field(default_factory=list)  # (article, chunks) beyond max_chunks
    input_errors: list[str] = field(default_factory=list)

    def lines(self, price: tuple[float, float] | None = None) -> list[str]:
        """Return the report, one line each: totals, an optional cost, and each article over the limit."""
        out = [f"dry run: {self.pages} page(s), {self.articles} article(s), {self.chunks} chunk(s), "
               f"{self.requests} request(s), ~{self.prompt_tokens:,} prompt tokens (estimated; reasks, retries "
               f"and cache hits not counted), completion at most {self.max_completion_tokens:,} tokens"]
        if price is not None:
            prompt_cost = self.prompt_tokens * price[0] / 1e6
            ceiling = prompt_cost + self.max_completion_tokens * price[1] / 1e6
            out.append(f"dry run: estimated cost {prompt_cost:.4f} for the prompts, at most {ceiling:.4f} "
                       f"with the longest answers (price {price[0]:g} in, {price[1]:g} out per million tokens)")
        for name, chunks in self.over_limit:
            out.append(f"dry run: {name}: {chunks} chunks, over the --max-chunks limit: it would be an error, "
                       "not sent")
        return out


def parse_price(text: str) -> tuple[float, float]:
    """Return ``(input, output)`` prices per million tokens from ``IN,OUT``; raise :class:`ConfigError` if malformed."""
    from ..core.errors import ConfigError

    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"--price takes IN,OUT (prices per million tokens), got {text!r}") from None
    if low < 0 or high < 0:
        raise ConfigError(f"--price must not be negative, got {text!r}")
    return low, high


def estimate_run(inputs: Iterable[Any], config: Any, *, stitch: bool = False) -> RunEstimate:
    """Return the :class:`RunEstimate` of extracting ``inputs`` with ``config`` (a :class:`~.batch.BatchConfig`)."""
    from ..extract.registry import backend_spec
    from .rows import PageSource, page_problem, segment_pages

    source = PageSource(inputs)
    result = RunEstimate()
    pages = list(source) if stitch else None
    groups = [pages] if stitch else ([page] for page in source)
    needs_model = _needs_model(config.backend, backend_spec)
    counter = _Counter(config) if needs_model else None
    for group in groups:
        articles = segment_pages(group, stitch)
        result.pages += len(group)
        covered = {a.source for a in articles}
        result.input_errors += [page_problem(p) for p in group if p.source not in covered]
        result.articles += len(articles)
        if counter is None:
            continue
        for article in articles:
            chunks, tokens = counter.article(article)
            result.chunks += chunks
            if chunks > counter.max_chunks:
                result.over_limit.append((f"{article.source} article {article.index}", chunks))
                continue
            result.requests += chunks
            result.prompt_tokens += tokens
            result.max_completion_tokens += chunks * counter.max_tokens
    result.input_errors = source.errors + result.input_errors
    return result


def _needs_model(name: str, backend_spec: Any) -> bool:
    from ..core.errors import ConfigError

    try:
        return backend_spec(name).needs_model
    except ConfigError:
        return False


class _Counter:
    """Chunks and prompt tokens of one article under one model config."""

    def __init__(self, config: Any) -> None:
        from ..core.schema import ArticleProfile
        from ..extract.chunking import estimate_tokens
        from ..extract.llm.prompts import load_prompts
        from ..extract.llm.request_schema import compact_schema

        model = config.model
        self.budget, self.max_chunks, self.max_tokens = model.token_budget, model.max_chunks, model.max_tokens
        self.prompts = load_prompts(config.prompt_version, model.evidence)
        self.estimate = estimate_tokens
        self.schema_tokens = estimate_tokens(json.dumps(compact_schema(ArticleProfile), ensure_ascii=False))

    def article(self, article: Any) -> tuple[int, int]:
        """Return ``(chunks, estimated prompt tokens of all of them)``."""
        from ..extract.chunking import split_text

        chunks = split_text(article.text, self.budget)
        tokens = 0
        for i, chunk in enumerate(chunks, start=1):
            messages = self.prompts.messages(article, chunk, (i, len(chunks)))
            tokens += sum(self.estimate(m["content"]) for m in messages) + self.schema_tokens
        return len(chunks), tokens
