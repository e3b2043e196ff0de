"""The LLM backend: one article in, one validated, cached :class:`ArticleProfile` out.

Three loops, each with one job:

* reasks (:mod:`.salvage`): an answer is validated fact by fact; the valid facts
  are kept, the invalid ones recorded, and the model is asked again (up to
  ``config.reask`` times) only when the answer could not be read or lost at least
  as many facts as it kept, and only for what was lost;
* mode negotiation (:mod:`.negotiation`): a request refused for its structured-output
  form is sent again in the profile's next mode;
* a reply cut at the token cap (:mod:`.truncation`) keeps the facts written in full
  and is not asked for again; a reask cut with nothing whole keeps the answers before it;
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
import functools
import hashlib
import json
import logging
from typing import Any, TypeVar

import instructor
from instructor.core import Hooks, IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from ..backend import BackendResult, Usage
from ..cache import ProfileCache, cache_key, canonical_json
from .capabilities import instructor_mode
from ..chunking import estimate_tokens, merge_chunk_profiles, split_text
from .config import ModelConfig
from .negotiation import ModeNegotiator
from .request_schema import compact_schema, response_model, tighten_schema_text
from ...ground.sentences import cite_sentences
from .salvage import fact_count, needs_reask, reask_message, reask_overflow, reask_temperature, salvage
from .example_copies import drop_example_copies, example_marks
from .truncation import CUT_KEY, CUT_OFF, cut_answer, cut_off_reason
from ...core.document import Article
from ...core.errors import ConfigError, ResponseError, first_line, redact
from .prompts import DEFAULT_PROMPT_VERSION, load_prompts
from ...core.schema import ArticleProfile
from .secrets import register_secrets
from .breaker import CircuitBreaker
from .transport import failure_kind, is_transient, openai, retry_after_seconds, transport_error

__all__ = ["Usage", "BackendResult", "LLMBackend", "is_transient", "retry_after_seconds"]

# instructor logs every failed attempt at ERROR; without this, Python's last-resort handler would print
# them all to stderr. Applications that configure logging still receive them.
logging.getLogger("instructor").addHandler(logging.NullHandler())
_log = logging.getLogger(__name__)

_SCHEMA_DIGEST = hashlib.sha256(canonical_json(compact_schema(ArticleProfile)).encode()).hexdigest()[:16]
M = TypeVar("M", bound=BaseModel)


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
        identity: str | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        if not config.model:
            raise ConfigError("the llm backend needs a model: set ModelConfig.model (or KAIFAQU_MODEL)")
        self.config = config
        # The endpoint named in cache keys: replicas of one model pass the first replica's URL.
        self.identity = (identity or config.effective_base_url).rstrip("/")
        register_secrets(config.secrets())  # masked in every log record, the SDK's included
        self.cache = cache
        self.refresh = refresh
        self._prompts = load_prompts(prompt_version, config.evidence)
        self._example = example_marks(self._prompts.example)  # answers restating it are recognised (example_copies)
        self._negotiator = ModeNegotiator(
            config.profile.modes if config.mode is None else (config.mode,),
            fixed=config.mode is not None, endpoint=config.effective_base_url, model=self.model, store=cache,
        )
        self._http_client = http_client
        # Shared by every article of this backend: stops the batch once the server is plainly gone.
        self.breaker = breaker or CircuitBreaker()
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
                "base_url": self.identity,
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
                # only when not the default, so that the keys of quote-form answers stay what they were
                **({"evidence": self.config.evidence} if self.config.evidence != "quote" else {}),
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
            if len(chunks) > 1:
                _log.debug("%s article %s: %d chunks", article.source, article.index, len(chunks))
            if len(chunks) > self.config.max_chunks:
                return BackendResult(None, usage, error=chunk_limit_error(len(chunks), self.config), cache_key=key)
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
        given = "\n".join(t or "" for t in (article.zone_header, article.title, article.subtitle, text))
        before, sent = usage.requests, (usage.prompt_tokens, usage.completion_tokens)
        try:
            raw, unreadable = await self._ask(messages, usage, self.config.temperature, id(article))
            prompt = usage.prompt_tokens - sent[0] or sum(estimate_tokens(m["content"]) for m in messages)
            answer = usage.completion_tokens - sent[1]
            cut = raw.pop(CUT_KEY, None) if raw is not None else None  # a cut answer asked again is cut again
            profile, lost = salvage(raw, given) if raw is not None else (None, [])
            profile, copied = drop_example_copies(profile, given, self._example) if profile is not None else (None, [])
            rejected = [*lost, *copied, *([cut] if cut else [])]  # copies are not re-asked for either
            attempts = 1
            while attempts <= self.config.reask and not cut and (profile is None or needs_reask(profile, lost)):
                note = reask_message(attempts, unreadable=unreadable if profile is None else None, rejected=lost)
                if overflow := reask_overflow(prompt, note, answer, self.config.context):
                    _log.warning("%s article %s: %s", article.source, article.index, overflow)
                    unreadable = f"{unreadable}; {overflow}"
                    for item in lost:
                        item["reask"] = overflow  # in the record's ``rejected``: why it was not asked for again
                    break
                usage.reasks += 1
                temperature = reask_temperature(self.config.temperature, attempts)
                attempts += 1
                try:
                    raw, unreadable = await self._ask([*messages, note], usage, temperature, id(article))
                except ResponseError as exc:  # a reask cut off with nothing whole: keep what the answers gave
                    if profile is None:
                        raise
                    for item in lost:
                        item["reask"] = str(exc)  # in the record's ``rejected``: why it was not brought back
                    break
                if raw is None:
                    continue
                cut = raw.pop(CUT_KEY, None)
                fixed, lost = salvage(raw, given)
                fixed, copied = drop_example_copies(fixed, given, self._example)
                rejected += [*lost, *copied, *([cut] if cut else [])]
                profile = fixed if profile is None else merge_chunk_profiles([profile, fixed])
        finally:
            usage.retries += max(usage.requests - before - 1, 0)
        usage.rejected += len(rejected)
        if profile is None:
            raise ResponseError(f"no valid profile after {attempts} attempt(s): {unreadable}")
        if self.config.evidence == "sentence":
            profile = cite_sentences(profile, text)  # numbers → the sentences' text, before chunks merge
        if rejected and not fact_count(profile) and profile.summary is None:
            first = rejected[0]
            raise ResponseError(f"no valid profile after {attempts} attempt(s): {first['list']}: {first['reason']}")
        return profile, rejected

    async def structured(self, messages: list[dict], model: type[M], usage: Usage) -> M:
        """Return the validated ``model`` answer to ``messages`` (e.g. a page segmentation) on the profiles' request
        path (retries, circuit breaker); an invalid answer is re-asked with its error (``config.reask`` times).
        Raises :class:`ExtractionError`."""
        before, attempts, subject = usage.requests, 1, id(messages)
        try:
            raw, why = await self._ask(messages, usage, self.config.temperature, subject, response_model(model))
            while raw is None and attempts <= self.config.reask:
                note = reask_message(attempts, unreadable=why)
                usage.reasks += 1
                temperature = reask_temperature(self.config.temperature, attempts)
                attempts += 1
                raw, why = await self._ask([*messages, note], usage, temperature, subject, response_model(model))
        finally:
            usage.retries += max(usage.requests - before - 1, 0)
        if raw is None:
            raise ResponseError(f"no valid {model.__name__} after {attempts} attempt(s): {why}")
        return model.model_validate(raw)

    async def _ask(
        self, messages: list[dict], usage: Usage, temperature: float, article: int, model: type[Any] | None = None
    ) -> tuple[dict | None, str | None]:
        """Return ``(parsed answer, None)`` or ``(None, why it could not be read)``, retrying transport failures;
        ``article`` keys the circuit breaker, ``model`` is what instructor parses (default: the lenient profile)."""
        policy = self.config.retry
        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.attempts),
            wait=lambda state: policy.delay(state.attempt_number, retry_after_seconds(state.outcome.exception())),
            retry=retry_if_exception(is_transient),
            before_sleep=self._log_retry,
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    self.breaker.check()  # open: raises TransportError, which is not retried
                    attempts += 1
                    return await self._attempt(messages, usage, article, temperature, model)
        except openai.APIError as exc:
            raise transport_error(exc, self.config.effective_base_url, self.config.timeout, attempts) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _log_retry(self, state: Any) -> None:
        exc = state.outcome.exception()
        error = transport_error(exc, self.config.effective_base_url, self.config.timeout, state.attempt_number)
        _log.info("retrying in %.1fs (attempt %d failed): %s", state.next_action.sleep if state.next_action else 0,
                  state.attempt_number, redact(str(error), *self.config.secrets()))

    async def _attempt(
        self, messages: list[dict], usage: Usage, article: int, temperature: float, model: type[Any] | None = None
    ) -> tuple[dict | None, str | None]:
        """One request (with its mode fallbacks and reasks), its outcome told to the circuit breaker."""
        try:
            answer = await self._negotiator.run(
                functools.partial(self._call, messages, usage, temperature=temperature, model=model))
        except openai.APIError as exc:
            kind, line = failure_kind(exc, self.config.effective_base_url)
            was_open = self.breaker.is_open
            self.breaker.failure(kind, article, redact(line, *self.config.secrets()))
            if self.breaker.is_open and not was_open:
                _log.warning("circuit breaker open: %s; no further request is sent", self.breaker.reason)
            raise
        except ResponseError:
            self.breaker.success()  # the server answered, only not usefully
            raise
        self.breaker.success()
        return answer

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
            # a reply cut at the cap though finish_reason says otherwise (llama-cpp-python: "tool_calls")
            if cut := cut_off_reason(getattr(exc, "last_completion", None), self.config.max_tokens):
                return cut_answer(exc.last_completion, cut, keep_part=model is None), None  # facts written in full
            return None, _describe(failed or exc)
        except IncompleteOutputException as exc:
            _add_tokens(usage, getattr(exc.last_completion, "usage", None))
            return cut_answer(exc.last_completion, CUT_OFF.format(why="finish_reason=length"), model is None), None
        finally:
            usage.requests += sent

    async def aclose(self) -> None:
        """Close the HTTP client (a caller-supplied ``http_client`` is left open) and the cache."""
        same_loop = self._loop is asyncio.get_running_loop()
        if self._openai is not None and self._http_client is None and same_loop:
            await self._openai.close()  # (a client from a closed loop has nothing left to close)
        self._openai, self._clients = None, {}
        if self.cache is not None:
            self.cache.close()


def chunk_limit_error(chunks: int, config: ModelConfig) -> str:
    """Return the error of an article too long to send: its chunk count against the ``max_chunks`` limit."""
    return (f"article splits into {chunks} chunks of {config.token_budget} tokens, over the limit of "
            f"{config.max_chunks} (--max-chunks): not sent; raise --max-chunks or --token-budget to run it")


def _describe(exc: BaseException) -> str:
    """One line naming what was wrong with a reply (the first validation error, not pydantic's essay)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            return first_line(f"{where}: {first.get('msg')}" if where else str(first.get("msg")))
        except (IndexError, TypeError, AttributeError):
            pass
    return first_line(f"{type(exc).__name__}: {exc}")

