"""Model configuration: which endpoint, which model, how to retry, where to cache.

Precedence, highest first, for every setting::

    1. an explicit argument to ModelConfig.resolve() (the CLI passes its flags here:
       --model, --base-url, --api-key, --mode, --endpoint, --cache-dir ...)
    2. KAIFAQU_* environment variables
       (KAIFAQU_MODEL, KAIFAQU_BASE_URL, KAIFAQU_API_KEY, KAIFAQU_MODE, KAIFAQU_ENDPOINT)
    3. the OpenAI SDK's variables OPENAI_API_KEY / OPENAI_BASE_URL
    4. the endpoint profile's defaults: base URL (``--endpoint ollama`` → http://localhost:11434/v1),
       timeout and max_tokens; then the defaults of the fields below

Generation settings come from the environment too: ``KAIFAQU_MAX_TOKENS``,
``KAIFAQU_TEMPERATURE`` and ``KAIFAQU_TIMEOUT`` (seconds per request); the evidence
form from ``KAIFAQU_EVIDENCE`` (``quote`` or ``sentence``). Unset,
``max_tokens`` and ``timeout`` take the endpoint profile's defaults (a local server,
often on a CPU, gets a long timeout). ``KAIFAQU_CONTEXT`` is the server's context
window in tokens (default: the profile's, e.g. 4096 for llama-server): a reask that
would not fit in it is not sent (see :mod:`.salvage`).

The transport retry policy (``retry``) can also come from the environment:
``KAIFAQU_RETRY_ATTEMPTS`` (tries, the first included) and ``KAIFAQU_RETRY_MAX_WAIT``
(seconds: the cap on any single wait, a server's ``Retry-After`` included).

A local server (loopback host, or an endpoint profile marked local) needs no real
key: the client sends ``not-needed``. The key never appears in ``repr()``,
``str()`` or any error message built here.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from .capabilities import EndpointProfile, detect_profile, mode_name
from ...ground.sentences import EVIDENCE_FORMS
from ...core.errors import ConfigError, redact

__all__ = ["RetryPolicy", "ModelConfig", "resolve_cache_dir"]


@dataclass(frozen=True)
class RetryPolicy:
    """How transport failures (429, 5xx, timeouts, dropped connections) are retried.

    ``attempts`` counts every try, the first included. The wait before try
    ``n + 1`` is ``base_delay * 2 ** (n - 1)`` capped at ``max_delay``; with
    ``jitter`` it is drawn uniformly from ``[0, that]`` ("full jitter", so that
    many clients hitting one rate limit do not retry in lockstep). A server's
    ``Retry-After`` wins over the computed wait, but is capped at ``max_delay`` too.
    """

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigError(f"retry attempts must be at least 1, got {self.attempts}")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ConfigError("retry delays must not be negative")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Return the seconds to wait after failed try number ``attempt`` (1-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_delay)
        ceiling = min(self.base_delay * 2 ** max(attempt - 1, 0), self.max_delay)
        return random.uniform(0, ceiling) if self.jitter else ceiling


_ENV_KEYS = {
    "model": ("KAIFAQU_MODEL",),
    "base_url": ("KAIFAQU_BASE_URL", "OPENAI_BASE_URL"),
    "api_key": ("KAIFAQU_API_KEY", "OPENAI_API_KEY"),
    "mode": ("KAIFAQU_MODE",),
    "endpoint": ("KAIFAQU_ENDPOINT",),
    "evidence": ("KAIFAQU_EVIDENCE",),
}


@dataclass(frozen=True)
class ModelConfig:
    """Everything the LLM backend needs to reach a model; build it with :meth:`resolve`.

    ``mode`` is an instructor mode name (``TOOLS``, ``JSON``, ``JSON_SCHEMA``,
    ``MD_JSON``) or None to take the endpoint profile's. ``endpoint`` names a
    profile (``openai``, ``deepseek``, ``qwen``, ``ollama``, ``llamacpp``,
    ``vllm``, ``lmstudio``, ``local``, ``generic``) or None to detect it from
    ``base_url``. ``token_budget`` is the estimated article size (tokens) above
    which an article is split into chunks. ``reask`` is how many times a reply
    that fails validation is sent back to the model with the error. ``timeout``
    and ``max_tokens`` left None take the endpoint profile's defaults. ``evidence`` is the
    form the model gives evidence in: ``quote`` (verbatim quotes, the default) or ``sentence``
    (numbers of the article's numbered sentences, mapped back to their text; :mod:`kaifaqu_llm.ground.sentences`).
    """

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    mode: str | None = None
    endpoint: str | None = None
    timeout: float | None = None
    reask: int = 2
    temperature: float = 0.0
    max_tokens: int | None = None
    token_budget: int = 4000
    context: int | None = None  # the server's context window in tokens; None: the endpoint profile's (or unknown)
    max_chunks: int = 20
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    evidence: str = "quote"

    def __post_init__(self) -> None:
        object.__setattr__(self, "evidence", str(self.evidence).strip().lower())
        if self.evidence not in EVIDENCE_FORMS:
            raise ConfigError(f"evidence must be one of {', '.join(EVIDENCE_FORMS)}, got {self.evidence!r}")
        if self.mode is not None:
            object.__setattr__(self, "mode", mode_name(self.mode))
        if self.timeout is None:
            object.__setattr__(self, "timeout", self.profile.timeout)
        if self.max_tokens is None:
            object.__setattr__(self, "max_tokens", self.profile.max_tokens)
        if self.context is None:
            object.__setattr__(self, "context", self.profile.context)
        if self.timeout <= 0:
            raise ConfigError(f"timeout must be positive, got {self.timeout}")
        if self.reask < 0:
            raise ConfigError(f"reask must not be negative, got {self.reask}")
        if self.token_budget < 200:
            raise ConfigError(f"token budget must be at least 200, got {self.token_budget}")
        if self.max_chunks < 1:
            raise ConfigError(f"max_chunks must be at least 1, got {self.max_chunks}")
        if self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be positive, got {self.max_tokens}")
        if self.context is not None and self.context < 256:
            raise ConfigError(f"context must be at least 256 tokens, got {self.context}")
        self.profile  # noqa: B018 - validates ``endpoint`` early

    def __str__(self) -> str:
        text = f"{self.model or '(no model)'} @ {self.effective_base_url} [{self.resolved_mode}]"
        return redact(text, *self.secrets())

    def __repr__(self) -> str:  # the dataclass repr, minus the key and any password in base_url
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        return redact(f"{type(self).__name__}({shown})", *self.secrets())

    @classmethod
    def resolve(
        cls,
        *,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        mode: str | None = None,
        env: Mapping[str, str] | None = None,
        **overrides: object,
    ) -> ModelConfig:
        """Return a config from explicit arguments, then the environment (see the module docstring).

        ``env`` is the environment to read (None: ``os.environ``, read at call
        time; never a default value, which would put the whole environment, keys
        included, into ``help()``). ``overrides`` sets any other field (``endpoint``,
        ``timeout``, ``reask``, ``temperature``, ``max_tokens``, ``token_budget``,
        ``retry``); None values are ignored so a CLI can pass its unset flags
        straight through. Raises :class:`ConfigError` for an unknown field, mode or endpoint.
        """
        env = os.environ if env is None else env
        explicit = {"model": model, "base_url": base_url, "api_key": api_key, "mode": mode}
        explicit["endpoint"] = overrides.pop("endpoint", None)
        explicit["evidence"] = overrides.pop("evidence", None)
        values: dict[str, object] = {}
        for name, env_names in _ENV_KEYS.items():
            value = explicit[name]
            for env_name in env_names:
                if value not in (None, ""):
                    break
                value = env.get(env_name)
            if value not in (None, ""):
                values[name] = value.strip() if isinstance(value, str) else value
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(f"unknown model setting(s): {', '.join(unknown)}")
        values.update(_numbers_from_env(env))
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "retry" not in values:
            retry = _retry_from_env(env)
            if retry is not None:
                values["retry"] = retry
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> ModelConfig:
        """Return a copy with ``changes`` applied (validated like a new config)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def profile(self) -> EndpointProfile:
        """The capability profile of the endpoint (from ``endpoint``, else detected from ``base_url``)."""
        return detect_profile(self.base_url, self.endpoint)

    @property
    def effective_base_url(self) -> str:
        """The base URL requests go to: ``base_url``, else the profile's default."""
        return (self.base_url or self.profile.default_base_url).rstrip("/")

    @property
    def resolved_mode(self) -> str:
        """The instructor mode name in use: ``mode`` if set, else the profile's."""
        return self.mode or self.profile.mode

    @property
    def is_local(self) -> bool:
        """True when the endpoint is a local server that needs no real key."""
        return self.profile.local

    @property
    def is_configured(self) -> bool:
        """True when a model is set and, for a non-local endpoint, a key too (decides ``--backend auto``)."""
        return bool(self.model) and (self.is_local or bool(self.api_key))

    def secrets(self) -> tuple[str, ...]:
        """Return the values that must never be written anywhere (for :func:`redact`): the key, and a
        password in the base URL (``https://user:password@proxy/v1``)."""
        password = urlsplit(self.base_url).password if self.base_url else None
        return tuple(s for s in (self.api_key, password) if s)


_ENV_NUMBERS = {"max_tokens": ("KAIFAQU_MAX_TOKENS", int), "temperature": ("KAIFAQU_TEMPERATURE", float),
                "timeout": ("KAIFAQU_TIMEOUT", float), "max_chunks": ("KAIFAQU_MAX_CHUNKS", int),
                "context": ("KAIFAQU_CONTEXT", int)}


def _numbers_from_env(env: Mapping[str, str]) -> dict[str, object]:
    """Return the generation settings set by KAIFAQU_MAX_TOKENS / KAIFAQU_TEMPERATURE / KAIFAQU_TIMEOUT."""
    values: dict[str, object] = {}
    for name, (variable, kind) in _ENV_NUMBERS.items():
        raw = (env.get(variable) or "").strip()
        if not raw:
            continue
        try:
            values[name] = kind(raw)
        except ValueError:
            raise ConfigError(f"{variable} must be {'an integer' if kind is int else 'a number'}, got {raw!r}") from None
    return values


def _retry_from_env(env: Mapping[str, str]) -> RetryPolicy | None:
    """Return the policy set by KAIFAQU_RETRY_ATTEMPTS / KAIFAQU_RETRY_MAX_WAIT, or None when neither is set."""
    attempts, max_wait = env.get("KAIFAQU_RETRY_ATTEMPTS"), env.get("KAIFAQU_RETRY_MAX_WAIT")
    if not attempts and not max_wait:
        return None
    policy = RetryPolicy()
    try:
        if attempts:
            policy = replace(policy, attempts=int(attempts))
        if max_wait:
            wait = float(max_wait)
            policy = replace(policy, max_delay=wait, base_delay=min(policy.base_delay, wait))
    except ValueError:
        raise ConfigError(
            f"KAIFAQU_RETRY_ATTEMPTS must be an integer and KAIFAQU_RETRY_MAX_WAIT a number of seconds "
            f"(got {attempts!r}, {max_wait!r})"
        ) from None
    return policy


def resolve_cache_dir(cli_value: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None) -> Path:
    """Return the cache directory: ``--cache-dir``, else ``KAIFAQU_CACHE_DIR``, else the user cache dir.

    ``env`` is the environment to read (None: ``os.environ``).
    The user cache dir is ``$XDG_CACHE_HOME/kaifaqu-llm`` (``~/.cache/kaifaqu-llm``
    when XDG_CACHE_HOME is unset or empty). The directory is not created here.
    """
    env = os.environ if env is None else env
    if cli_value:
        return Path(cli_value).expanduser()
    if env.get("KAIFAQU_CACHE_DIR"):
        return Path(env["KAIFAQU_CACHE_DIR"]).expanduser()
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or str(Path.home()), ".cache")
    return Path(base).expanduser() / "kaifaqu-llm"
