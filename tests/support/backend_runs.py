"""Running the LLM backend in a test: one fresh backend, closed afterwards, whatever happens."""

from __future__ import annotations

import asyncio
from typing import Any

from kaifaqu_llm.core.document import Article
from kaifaqu_llm.extract.llm.backend import LLMBackend


def extract_each(config: Any, *articles: Article, **backend_kwargs: Any) -> list:
    """Return the results of extracting ``articles`` one after another on one new :class:`LLMBackend`."""

    async def go() -> list:
        backend = LLMBackend(config, **backend_kwargs)
        try:
            return [await backend.extract(article) for article in articles]
        finally:
            await backend.aclose()

    return asyncio.run(go())


def extract_one(config: Any, article: Article, **backend_kwargs: Any) -> Any:
    """Return the result of extracting ``article`` on a new :class:`LLMBackend` (see :func:`extract_each`)."""
    return extract_each(config, article, **backend_kwargs)[0]
