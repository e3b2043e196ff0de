"""Run options: the one picklable object that says how to run an extraction (everything but the model).

:class:`ExtractOptions` covers every engine: ``inline`` (this process, the
caller's event loop), ``local`` (this process, its own event loop) and ``ray``
(Ray Data actors). :class:`BatchOptions` is the same class with the defaults
of a scale-out run (the local engine, a budget of 32 requests in flight).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import ConfigError

__all__ = ["ENGINES", "FORMATS", "SEGMENTERS", "ExtractOptions", "BatchOptions"]

ENGINES = ("inline", "local", "ray")
FORMATS = ("jsonl", "csv", "sqlite")
SEGMENTERS = ("auto", "layout", "model")  # extract/llm/segmenter.py resolves them


@dataclass(frozen=True)
class ExtractOptions:
    """How to run an extraction: backend name, engine, in-flight budget, shards, outputs.

    ``concurrency`` is the number of articles in flight; ``max_in_flight``, when
    set, overrides it as the budget for all workers together (each of
    ``workers`` gets ``ceil(budget / workers)``). ``shards`` is the unit of
    resume: a shard holds whole pages and is written (with its ``.done``
    manifest) once all its articles are back.
    """

    backend: str = "auto"
    concurrency: int = 8
    strict: bool = False
    keep_ungrounded: bool = False  # count ungrounded facts in zones.jsonl and the exports (ground/counted.py)
    use_cache: bool = True
    refresh: bool = False
    cache_dir: str | None = None
    stitch: bool = False
    formats: tuple[str, ...] = ()
    catalogs: tuple[str, ...] = ()
    progress: bool = False
    engine: str = "inline"
    shards: int = 16
    max_in_flight: int | None = None
    address: str | None = None
    actors: tuple[int, int] = (1, 2)
    batch_size: int | None = None
    rules_off: tuple[str, ...] = ()  # rule names (extract/rules/lexicons/rules.json) the rules backend skips
    # layout (the library's default) | model | auto (the model when the run uses one; the CLI's default)
    segmenter: str = "layout"

    def __post_init__(self) -> None:
        from ..extract.registry import backend_names

        object.__setattr__(self, "formats", tuple(self.formats))
        object.__setattr__(self, "catalogs", tuple(str(c) for c in self.catalogs))
        object.__setattr__(self, "actors", tuple(self.actors))
        object.__setattr__(self, "rules_off", tuple(self.rules_off))
        if self.rules_off:
            from ..extract.rules.registry import parse_rule_names

            try:
                parse_rule_names(self.rules_off)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        if self.segmenter not in SEGMENTERS:
            raise ConfigError(f"unknown segmenter {self.segmenter!r} (choose from {', '.join(SEGMENTERS)})")
        if self.backend not in backend_names(auto=True):
            raise ConfigError(f"unknown backend {self.backend!r} (choose from {', '.join(backend_names(auto=True))})")
        if self.concurrency < 1:
            raise ConfigError("concurrency must be at least 1")
        unknown = set(self.formats) - set(FORMATS)
        if unknown:
            raise ConfigError(f"unknown format(s): {', '.join(sorted(unknown))} (choose csv, sqlite)")
        if self.engine not in ENGINES:
            raise ConfigError(f"unknown engine {self.engine!r} (choose from {', '.join(ENGINES)})")
        low, high = self.actors
        if not 1 <= low <= high:
            raise ConfigError(f"actors MIN,MAX needs 1 <= MIN <= MAX, got {low},{high}")
        if self.shards < 1 or self.budget < 1 or (self.batch_size is not None and self.batch_size < 1):
            raise ConfigError("shards, max in flight and batch size must be at least 1")

    @property
    def budget(self) -> int:
        """Requests in flight across all workers: ``max_in_flight``, else ``concurrency``."""
        return self.max_in_flight if self.max_in_flight is not None else self.concurrency

    @property
    def workers(self) -> int:
        """The most worker processes the engine may run (the divisor of the in-flight budget)."""
        return self.actors[1] if self.engine == "ray" else 1


@dataclass(frozen=True)
class BatchOptions(ExtractOptions):
    """:class:`ExtractOptions` with scale-out defaults: the local engine and 32 requests in flight."""

    engine: str = "local"
    max_in_flight: int | None = 32
