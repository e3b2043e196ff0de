"""The LLM backend: one article in, one validated, cached :class:`ArticleProfile` out.

Three loops, each with one job:

* reasks (:mod:`.salvage`): an answer is validated fact by fact; the valid facts
  are kept, the invalid ones recorded, and the model is asked again (up to
  ``config.reask`` times) only when the answer could not be read or lost at least
  as many facts as it kept, and only for what was lost;
* mode negotiation (:mod:`.negotiation`): a request refused for its structured-output
  form is sent again in the profile's next mode;
* tenacity's, innermost: transport failures (429 honouring ``Retry-After``, 5xx,
  timeouts, dropped connections) are retried with capped exponential backoff and
  jitter (``config.retry``). The openai SDK's own retries and instructor's reasks
  are off so nothing stacks. ``insufficient_quota`` and other 4xx answers are not retried.

``Usage.requests`` is every HTTP request sent (a per-call hook counts them);
``Usage.retries`` the requests beyond the first per chunk, ``Usage.reasks`` the
part of them that were reasks. A cache hit costs nothing:
``Usage(cache_hit=True)`` with zero tokens and requests.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import hashlib
import importlib
import json
import logging
import time
from typing import Any, TypeVar

import instructor
from instructor.core import Hooks, IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from ..backend import BackendResult, Usage
from ..cache import ProfileCache, cache_key, canonical_json
from .capabilities import instructor_mode
from ..chunking import merge_chunk_profiles, split_text
from .config import ModelConfig
from .negotiation import ModeNegotiator, is_mode_rejection
from .request_schema import compact_schema, response_model, tighten_schema_text
from .salvage import fact_count, needs_reask, reask_message, reask_temperature, salvage
from ...core.document import Article
from ...core.errors import (
    ConfigError,
    QuotaExceededError,
    ResponseError,
    TransportError,
    redact,
)
from .prompts import DEFAULT_PROMPT_VERSION, load_prompts
from ...core.schema import ArticleProfile
from .secrets import register_secrets

__all__ = ["Usage", "BackendResult", "LLMBackend", "is_transient", "retry_after_seconds"]

# instructor logs every failed attempt at ERROR; without this, Python's last-resort handler would print
# them all to stderr. Applications that configure logging still receive them.
logging.getLogger("instructor").addHandler(logging.NullHandler())

class _LazyModule:
    """A module imported on first attribute access.

    ``import openai`` takes about a second; a run answered entirely from the cache never needs it
    (benchmarks/results.md, section 3), so it is imported when a request or an error first needs it.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


openai: Any = _LazyModule("openai")

_SCHEMA_DIGEST = hashlib.sha256(canonical_json(compact_schema(ArticleProfile)).encode()).hexdigest()[:16]
M = TypeVar("M", bound=BaseModel)


def _is_quota(exc: BaseException) -> bool:
    if not isinstance(exc, openai.APIStatusError):
        return False
    body = exc.body if isinstance(exc.body, dict) else {}
    return "insufficient_quota" in (exc.code, body.get("type"), getattr(exc, "type", None))


def is_transient(exc: BaseException) -> bool:
    """Return True for a transport failure worth retrying: 429 (not out-of-quota), 5xx, timeout, lost connection.

    A server refusing the request's structured-output form (even as HTTP 500) is not
    transient: mode negotiation handles it.
    """
    if _is_quota(exc) or is_mode_rejection(exc):
        return False
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, openai.APIConnectionError)  # APITimeoutError is a subclass


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """Return the wait a 429/503 answer asks for (``retry-after-ms`` or ``Retry-After``), or None."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return max(float(raw) / scale, 0.0)
        except ValueError:
            pass
        try:  # Retry-After may also be an HTTP date
            return max(email.utils.parsedate_to_datetime(raw).timestamp() - time.time(), 0.0)
        except (TypeError, ValueError):
            return None
    return None


def _add_tokens(usage: Usage, completion_usage: Any) -> None:
    if completion_usage is None:
        return
    usage.prompt_tokens += int(getattr(completion_usage, "prompt_tokens", 0) or 0)
    usage.completion_tokens += int(getattr(completion_usage, "completion_tokens", 0) or 0)
    # OpenAI reports prompt-cache hits in prompt_tokens_details.cached_tokens, DeepSeek as prompt_cache_hit_tokens.
    details = getattr(completion_usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) or getattr(completion_usage, "prompt_cache_hit_tokens", None)
    usage.cached_prompt_tokens += int(cached or 0)


class LLMBackend:
    """Extracts profiles through an OpenAI-compatible endpoint with instructor.

    Safe to call concurrently from one event loop: one ``AsyncOpenAI`` client is
    built lazily, inside the running loop, and shared. The chunks of one long
    article are sent one after another, so the pipeline's concurrency bound is
    also the bound on requests in flight.
    """

    name = "llm"

    def __init__(
        self,
        config: ModelConfig,
        *,
        cache: ProfileCache | None = None,
        refresh: bool = False,
        prompt_version: str = DEFAULT_PROMPT_VERSION,
        http_client: Any = None,
    ) -> None:
        if not config.model:
            raise ConfigError("the llm backend needs a model: set KAIFAQU_MODEL or pass --model")
        self.config = config
        register_secrets(config.secrets())  # masked in every log record, the SDK's included
        self.cache = cache
        self.refresh = refresh
        self._prompts = load_prompts(prompt_version)
        self._negotiator = ModeNegotiator(
            config.profile.modes if config.mode is None else (config.mode,),
            fixed=config.mode is not None, endpoint=config.effective_base_url, model=self.model, store=cache,
        )
        self._http_client = http_client
        self._openai: openai.AsyncOpenAI | None = None
        self._clients: dict[str, Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def prompt_version(self) -> str:
        """The prompt version in use (e.g. ``v1``)."""
        return self._prompts.version

    @property
    def model(self) -> str:
        """The model name sent with every request."""
        return self.config.model or ""

    @property
    def mode(self) -> str:
        """The resolved instructor mode name (``TOOLS``, ``JSON``, ``JSON_SCHEMA``, ``MD_JSON``)."""
        return self.config.resolved_mode

    @property
    def active_mode(self) -> str:
        """The mode requests are sent in now: :attr:`mode`, or the one negotiated with the server."""
        return self._negotiator.mode

    def _params(self) -> dict[str, Any]:
        return {"model": self.config.model, "temperature": self.config.temperature,
                "max_tokens": self.config.max_tokens}

    def cache_key(self, article: Article) -> str:
        """Return the cache key of ``article``: a SHA-256 over everything that shapes the answer."""
        return cache_key(
            {
                "model": self.config.model,
                "base_url": self.config.effective_base_url,
                "mode": self.mode,
                "prompt_version": self.prompt_version,
                "prompt_fingerprint": self._prompts.fingerprint,
                "schema": _SCHEMA_DIGEST,
                "article": {
                    "zone_header": article.zone_header,
                    "title": article.title,
                    "subtitle": article.subtitle,
                    "text": article.text,
                },
                "params": {**self._params(), "token_budget": self.config.token_budget},
            }
        )

    def _instructor(self, mode: str) -> Any:
        """Return the instructor client for ``mode``; all modes share one HTTP client."""
        loop = asyncio.get_running_loop()
        if self._openai is not None and self._loop is not loop:
            # Used again from a new event loop (a second asyncio.run): the old pool belongs to a closed loop.
            self._openai, self._clients = None, {}
        if self._openai is None:
            self._loop = loop
            self._openai = openai.AsyncOpenAI(
                base_url=self.config.effective_base_url,
                api_key=self.config.api_key or "not-needed",
                max_retries=0,  # tenacity retries transport errors; never stack the SDK's retries on top
                timeout=self.config.timeout,
                http_client=self._http_client,
            )
        if mode not in self._clients:
            self._clients[mode] = instructor.from_openai(self._openai, mode=instructor_mode(mode))
        return self._clients[mode]

    async def extract(self, article: Article) -> BackendResult:
        """Return the profile of ``article`` (from the cache when possible); failures go in ``error``, never raised."""
        key = self.cache_key(article)
        if self.cache is not None and not self.refresh:
            cached = self._cached(key)
            if cached is not None:
                return BackendResult(cached[0], Usage(cache_hit=True), cache_key=key, rejected=cached[1])
        usage = Usage()
        rejected: list[dict] = []
        try:
            chunks = split_text(article.text, self.config.token_budget)
            profiles = []
            for i, chunk in enumerate(chunks, start=1):
                profile, lost = await self._extract_chunk(article, chunk, (i, len(chunks)), usage)
                profiles.append(profile)
                rejected += [{**r, "chunk": i} for r in lost] if len(chunks) > 1 else lost
            profile = self._without_secrets(profiles[0] if len(profiles) == 1 else merge_chunk_profiles(profiles))
            rejected = json.loads(redact(json.dumps(rejected, ensure_ascii=False), *self.config.secrets()))
        except Exception as exc:  # noqa: BLE001 - an ExtractionError, or a bug: one article must never sink a batch
            return BackendResult(None, usage, error=self._error_text(exc), cache_key=key)
        if self.cache is not None:
            self.cache.set(
                key,
                {
                    "profile": profile.model_dump(mode="json"),
                    "usage": usage.to_json(),
                    "model": self.model,
                    "mode": self.active_mode,
                    "prompt_version": self.prompt_version,
                    "chunks": len(profiles),
                    "rejected": rejected,
                },
            )
        return BackendResult(profile, usage, cache_key=key, rejected=rejected)

    def _cached(self, key: str) -> tuple[ArticleProfile, list[dict]] | None:
        value = self.cache.get(key) if self.cache is not None else None
        if not value or not isinstance(value.get("profile"), dict):
            return None
        try:
            rejected = value.get("rejected") or []
            return ArticleProfile.model_validate(value["profile"]), rejected if isinstance(rejected, list) else []
        except ValueError:
            return None  # written by an incompatible version: treat as a miss

    def _without_secrets(self, profile: ArticleProfile) -> ArticleProfile:
        """Return ``profile`` with the API key masked: a server or model that echoes it must not get it cached."""
        secrets = self.config.secrets()
        text = profile.model_dump_json()
        if not any(s in text for s in secrets):
            return profile
        return ArticleProfile.model_validate_json(redact(text, *secrets))

    def _error_text(self, exc: BaseException) -> str:
        return redact(f"{type(exc).__name__}: {exc}", *self.config.secrets())

    async def _extract_chunk(
        self, article: Article, text: str, part: tuple[int, int], usage: Usage
    ) -> tuple[ArticleProfile, list[dict]]:
        """Return the profile of one chunk and the facts rejected on the way; raises :class:`ExtractionError`.

        The answer is salvaged fact by fact; a reask (up to ``config.reask``) goes out only
        when it could not be read or lost at least as many facts as it kept (see :mod:`.salvage`).
        """
        messages = self._prompts.messages(article, text, part)
        before = usage.requests
        try:
            raw, unreadable = await self._ask(messages, usage, self.config.temperature)
            profile, lost = salvage(raw) if raw is not None else (None, [])
            rejected = list(lost)
            attempts = 1
            while attempts <= self.config.reask and (profile is None or needs_reask(profile, lost)):
                note = reask_message(attempts, unreadable=unreadable if profile is None else None, rejected=lost)
                usage.reasks += 1
                temperature = reask_temperature(self.config.temperature, attempts)
                attempts += 1
                raw, unreadable = await self._ask([*messages, note], usage, temperature)
                if raw is None:
                    continue
                fixed, lost = salvage(raw)
                rejected += lost
                profile = fixed if profile is None else merge_chunk_profiles([profile, fixed])
        finally:
            usage.retries += max(usage.requests - before - 1, 0)
        usage.rejected += len(rejected)
        if profile is None:
            raise ResponseError(f"no valid profile after {attempts} attempt(s): {unreadable}")
        if rejected and not fact_count(profile) and profile.summary is None:
            first = rejected[0]
            raise ResponseError(f"no valid profile after {attempts} attempt(s): {first['list']}: {first['reason']}")
        return profile, rejected

    async def structured(self, messages: list[dict], model: type[M], usage: Usage) -> M:
        """Return the validated ``model`` answer to ``messages`` (e.g. a page segmentation) on the profiles' request
        path; an invalid answer is re-asked with its error (``config.reask`` times). Raises :class:`ExtractionError`."""
        before, attempts = usage.requests, 1
        try:
            raw, why = await self._ask(messages, usage, self.config.temperature, response_model(model))
            while raw is None and attempts <= self.config.reask:
                note = reask_message(attempts, unreadable=why)
                usage.reasks += 1
                temperature = reask_temperature(self.config.temperature, attempts)
                attempts += 1
                raw, why = await self._ask([*messages, note], usage, temperature, response_model(model))
        finally:
            usage.retries += max(usage.requests - before - 1, 0)
        if raw is None:
            raise ResponseError(f"no valid {model.__name__} after {attempts} attempt(s): {why}")
        return model.model_validate(raw)

    async def _ask(self, messages: list[dict], usage: Usage, temperature: float,
                   model: type[Any] | None = None) -> tuple[dict | None, str | None]:
        """Return ``(parsed answer, None)`` or ``(None, why it could not be read)``, retrying transport failures;
        ``model`` is what instructor parses (default: the lenient profile)."""
        policy = self.config.retry
        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.attempts),
            wait=lambda state: policy.delay(state.attempt_number, retry_after_seconds(state.outcome.exception())),
            retry=retry_if_exception(is_transient),
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    call = functools.partial(self._call, messages, usage, temperature=temperature, model=model)
                    return await self._negotiator.run(call)
        except openai.APIError as exc:
            raise self._transport_error(exc, attempts) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def _call(
        self, messages: list[dict], usage: Usage, mode: str, *, temperature: float, model: type[Any] | None = None
    ) -> tuple[dict | None, str | None]:
        """One request in ``mode``: the answer parsed as JSON, or why it could not be; transport errors raise."""
        hooks = Hooks()
        sent = 0

        def count_request(*_: Any, **__: Any) -> None:
            nonlocal sent
            sent += 1

        hooks.on("completion:kwargs", count_request)
        if mode in ("JSON", "MD_JSON"):
            hooks.on("completion:kwargs", tighten_schema_text)  # instructor indents the schema it appends
        try:
            answer, completion = await self._instructor(mode).create_with_completion(
                messages=messages,
                response_model=model or response_model(),
                max_retries=0,  # one attempt: reasks are ours (salvage first, then ask only for what was lost)
                strict=False,  # lenient coercion ("true" → True): small local models need it
                hooks=hooks,
                **{**self._params(), "temperature": temperature},
            )
            _add_tokens(usage, getattr(completion, "usage", None))
            return answer.model_dump(), None
        except InstructorRetryException as exc:
            _add_tokens(usage, exc.total_usage)
            cause = exc.__cause__
            if isinstance(cause, openai.APIError):
                raise cause from None
            failed = exc.failed_attempts[-1].exception if exc.failed_attempts else cause
            raw = getattr(failed, "raw_response", None)
            if raw is not None and not getattr(raw, "choices", None):  # no reply at all: nothing to correct
                raise ResponseError(f"no valid profile after 1 attempt(s): {_describe(failed)}") from None
            return None, _describe(failed or exc)
        except IncompleteOutputException as exc:
            _add_tokens(usage, getattr(exc.last_completion, "usage", None))
            raise ResponseError("the reply was cut off (finish_reason=length); raise --max-tokens") from None
        finally:
            usage.requests += sent

    def _transport_error(self, exc: openai.APIError, attempts: int) -> TransportError:
        where = self.config.effective_base_url
        if _is_quota(exc):
            return QuotaExceededError(f"insufficient_quota at {where}: the account has no quota left (not retried)")
        tries = f"after {attempts} attempt(s)"
        if isinstance(exc, openai.APITimeoutError):
            return TransportError(f"request to {where} timed out ({self.config.timeout:g}s) {tries}")
        if isinstance(exc, openai.APIConnectionError):
            return TransportError(f"could not connect to {where} {tries}: {_first_line(str(exc))}")
        if isinstance(exc, openai.APIStatusError):
            retried = "" if is_transient(exc) else " (not retried)"
            return TransportError(f"HTTP {exc.status_code} from {where}{retried} {tries}: {_first_line(exc.message)}")
        return TransportError(f"{type(exc).__name__} from {where} {tries}: {_first_line(str(exc))}")

    async def aclose(self) -> None:
        """Close the HTTP client (a caller-supplied ``http_client`` is left open) and the cache."""
        same_loop = self._loop is asyncio.get_running_loop()
        if self._openai is not None and self._http_client is None and same_loop:
            await self._openai.close()  # (a client from a closed loop has nothing left to close)
        self._openai, self._clients = None, {}
        if self.cache is not None:
            self.cache.close()


def _describe(exc: BaseException) -> str:
    """One line naming what was wrong with a reply (the first validation error, not pydantic's essay)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            return _first_line(f"{where}: {first.get('msg')}" if where else str(first.get("msg")))
        except (IndexError, TypeError, AttributeError):
            pass
    return _first_line(f"{type(exc).__name__}: {exc}")


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
