"""The backend registry: one place that names every extraction backend and how to build it.

A backend is registered under a name with a factory and whether it needs a
model. Everything that offers a choice of backend reads this registry: the
run options, the engines' workers, the CLI's ``--backend`` choices and the
record schema's ``backend`` enum. A backend registered by a user runs in every
engine: its factory travels to workers by reference (module and name), so it
must be importable there.

Built in: ``rules`` (no model), ``llm`` (an OpenAI-compatible model) and
``hybrid`` (the llm backend composed with a rules cross-check).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from .backend import Backend

__all__ = ["BackendContext", "BackendSpec", "register_backend", "backend_spec", "backend_names", "record_backends",
           "AUTO", "CUSTOM"]

AUTO = "auto"
CUSTOM = "custom"  # the ``backend`` of records made by a backend object that has no name


@dataclass(frozen=True)
class BackendContext:
    """What a factory gets: the model config (None for backends without a model) and run settings.

    ``identity`` names the model endpoint in cache keys: replicas of one model
    share the first replica's, so any replica's answer serves them all.
    """

    config: Any = None
    cache: Any = None
    refresh: bool = False
    prompt_version: str | None = None
    identity: str | None = None
    rules_off: tuple[str, ...] = ()  # rule names the rules (alone or in the hybrid) skip


@dataclass(frozen=True)
class BackendSpec:
    """One registered backend: its name, its factory and whether it needs a model."""

    name: str
    factory: Callable[[BackendContext], Backend]
    needs_model: bool = False
    description: str = ""

    def build(self, context: BackendContext) -> Backend:
        """Return a new backend instance for ``context``."""
        return self.factory(context)


_REGISTRY: dict[str, BackendSpec] = {}


def register_backend(name: str, factory: Callable[[BackendContext], Backend], *, needs_model: bool = False,
                     description: str = "") -> BackendSpec:
    """Register (or replace) the backend ``name``; return its spec. ``auto`` is reserved."""
    if not name or name in (AUTO, CUSTOM):
        raise ConfigError(f"cannot register a backend named {name!r}")
    spec = BackendSpec(name, factory, needs_model, description)
    _REGISTRY[name] = spec
    return spec


def backend_spec(name: str) -> BackendSpec:
    """Return the spec of the backend ``name``; raises :class:`ConfigError` for an unknown name."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown backend {name!r} (choose from {', '.join(backend_names(auto=True))})") from None


def backend_names(*, auto: bool = False) -> tuple[str, ...]:
    """Return the registered backend names (with ``auto`` first when asked)."""
    return ((AUTO,) if auto else ()) + tuple(_REGISTRY)


def record_backends() -> tuple[str, ...]:
    """Return the values a record's ``backend`` may take: every registered name, then :data:`CUSTOM`."""
    return (*backend_names(), CUSTOM)


def _rules(context: BackendContext) -> Backend:
    from .backend import RulesBackend

    return RulesBackend(context.rules_off)


def _llm(context: BackendContext) -> Backend:
    from .llm.backend import LLMBackend

    kwargs = {"prompt_version": context.prompt_version} if context.prompt_version else {}
    return LLMBackend(context.config, cache=context.cache, refresh=context.refresh, identity=context.identity,
                      **kwargs)


def _hybrid(context: BackendContext) -> Backend:
    from .hybrid import HybridBackend

    return HybridBackend(_llm(context), rules_off=context.rules_off)


register_backend("llm", _llm, needs_model=True, description="an OpenAI-compatible model")
register_backend("rules", _rules, description="the deterministic rules (no model)")
register_backend("hybrid", _hybrid, needs_model=True, description="the model, cross-checked against the rules")
