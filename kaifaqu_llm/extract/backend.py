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


_MODEL_KEYS = ("cached_prompt_tokens", "reasks", "rejected")


@dataclass
class Usage:
    """Tokens and requests one article (or a whole run) cost; retries included.

    ``retries`` counts every request beyond the first per chunk; ``reasks`` the
    part of them that asked the model again about an invalid answer (the rest are
    transport retries and mode fallbacks). ``rejected`` counts invalid facts
    dropped from answers. ``cached_prompt_tokens`` is the part of ``prompt_tokens``
    the provider served from its prompt cache (0 when the provider does not say).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    retries: int = 0
    cache_hit: bool = False
    cached_prompt_tokens: int = 0
    reasks: int = 0
    rejected: int = 0

    def add(self, other: "Usage") -> None:
        """Add ``other``'s counts into this one (``cache_hit`` is not summed)."""
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.requests += other.requests
        self.retries += other.retries
        self.cached_prompt_tokens += other.cached_prompt_tokens
        self.reasks += other.reasks
        self.rejected += other.rejected

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def to_json(self) -> dict:
        """Return the usage as the ``usage`` object of a profile record.

        The model-only keys (``cached_prompt_tokens``, ``reasks``, ``rejected``) are
        there whenever a model was asked or its cached answer used; a backend that
        never talks to a model (the rules) keeps the original keys only.
        """
        data = asdict(self)
        if not (self.requests or self.cache_hit or any(data[k] for k in _MODEL_KEYS)):
            for key in _MODEL_KEYS:
                del data[key]
        return data


@dataclass
class BackendResult:
    """A backend's answer for one article: a profile, or an error, and what it cost."""

    profile: ArticleProfile | None
    usage: Usage = field(default_factory=Usage)
    error: str | None = None
    cache_key: str | None = None
    rejected: list[dict] = field(default_factory=list)  # invalid facts dropped from the answer, with reasons
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

    def __init__(self, rules_off: tuple[str, ...] | frozenset[str] = ()) -> None:
        from .rules.backend import extract_rules  # imported here: the llm path does not need it

        self._rules_off = frozenset(rules_off)
        self._extract = lambda article: extract_rules(article, rules_off=self._rules_off)

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
