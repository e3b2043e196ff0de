"""What every extraction backend returns, and the rules backend behind that interface.

A backend turns one :class:`Article` into a :class:`BackendResult`: a validated
:class:`ArticleProfile` or an error text, and the :class:`Usage` it cost. A backend
never raises for an article-level failure, so one bad article never sinks a batch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol

from ..core.document import Article
from ..core.schema import ArticleProfile

__all__ = ["Usage", "BackendResult", "Backend", "RulesBackend"]


@dataclass
class Usage:
    """Tokens and requests one article (or a whole run) cost; retries included.

    ``cached_prompt_tokens`` is the part of ``prompt_tokens`` the provider served
    from its prompt cache (a stable prompt prefix makes it large; 0 when the
    provider does not say).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    retries: int = 0
    cache_hit: bool = False
    cached_prompt_tokens: int = 0

    def add(self, other: "Usage") -> None:
        """Add ``other``'s counts into this one (``cache_hit`` is not summed)."""
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.requests += other.requests
        self.retries += other.retries
        self.cached_prompt_tokens += other.cached_prompt_tokens

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def to_json(self) -> dict:
        """Return the usage as the ``usage`` object of a profile record.

        ``cached_prompt_tokens`` is there whenever a model was asked or its cached
        answer used; a backend that never talks to a model (the rules) keeps the
        original keys only.
        """
        data = asdict(self)
        if not (self.requests or self.cache_hit or self.cached_prompt_tokens):
            del data["cached_prompt_tokens"]
        return data


@dataclass
class BackendResult:
    """A backend's answer for one article: a profile, or an error, and what it cost."""

    profile: ArticleProfile | None
    usage: Usage = field(default_factory=Usage)
    error: str | None = None
    cache_key: str | None = None
    extra: dict | None = None  # keys a composed backend adds to the record (``crosscheck``)


class Backend(Protocol):
    """The interface every engine drives: ``await backend.extract(article)``.

    ``name`` is the record's ``backend``; ``model`` and ``prompt_version`` are
    written into every record (None for a backend without a model or prompts).
    Register a backend with :func:`kaifaqu_llm.extract.registry.register_backend`
    to choose it by name in any engine.
    """

    name: str
    model: str | None
    prompt_version: str | None

    async def extract(self, article: Article) -> BackendResult: ...

    async def aclose(self) -> None: ...


class RulesBackend:
    """The deterministic rules extractor behind the :class:`Backend` interface."""

    name = "rules"
    model = None
    prompt_version = None

    def __init__(self) -> None:
        from .rules.backend import extract_rules  # imported here: the llm path does not need it

        self._extract = extract_rules

    async def extract(self, article: Article) -> BackendResult:
        """Return the rules profile of ``article``; an unexpected failure becomes the error text."""
        try:
            return BackendResult(self._extract(article))
        except Exception as exc:  # noqa: BLE001 - one article must never sink a batch
            return BackendResult(None, error=f"rules backend failed: {exc.__class__.__name__}: {exc}")

    def extract_sync(self, article: Article) -> ArticleProfile:
        """Return the rules profile of ``article`` (raises on failure)."""
        return self._extract(article)

    async def aclose(self) -> None:
        """Nothing to release."""
