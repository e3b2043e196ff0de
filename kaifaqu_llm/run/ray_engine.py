"""The Ray Data engine: the batch core in a pool of async actors (``pip install 'kaifaqu-llm[ray]'``).

Imported only when ``--engine ray`` (or ``BatchOptions(engine="ray")``) is used.
Each actor is a :class:`KaifaquActor` holding only a :class:`BatchConfig`; its
async ``__call__`` runs :func:`extract_rows` on the actor's own event loop, so
one actor keeps ``config.max_in_flight`` requests in flight (Ray Data runs
several batches of an async actor at once; the per-loop semaphore of the core
bounds them together). Ray's ``HttpRequestProcessorConfig`` is not used: it
keeps one request in flight per actor and skips validation.

Results stream back to the driver, which writes the shards: ``OUT`` need only
exist on the driver's machine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .batch import BatchConfig, extract_rows
from ..core.errors import ConfigError

__all__ = ["KaifaquActor", "ray_engine", "rows_from_batch", "PROFILE_COLUMNS"]

PROFILE_COLUMNS = ("doc_id", "record_json", "error", "cache_key")
_BATCHES_PER_BLOCK = 4  # Ray Data runs up to 4 batches of one block concurrently in an async actor


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401 - the [data] extra
    except ImportError:
        raise ConfigError("the ray engine needs Ray Data: pip install 'kaifaqu-llm[ray]'") from None
    return ray


def rows_from_batch(batch: Any) -> list[dict]:
    """Return the rows of a Ray batch (a dict of columns, or a pandas DataFrame) as plain dicts."""
    if hasattr(batch, "to_dict"):  # pandas
        return batch.to_dict("records")
    columns = list(batch)
    size = len(batch[columns[0]]) if columns else 0
    return [{name: _plain(batch[name][i]) for name in columns} for i in range(size)]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


class KaifaquActor:
    """A Ray Data actor: ``map_batches(KaifaquActor, fn_constructor_kwargs={"config": cfg}, ...)``."""

    def __init__(self, config: BatchConfig) -> None:
        self.config = config

    async def __call__(self, batch: Any) -> dict[str, list]:
        """Return the profile rows of one batch of article rows, as columns."""
        profiles = await extract_rows(rows_from_batch(batch), self.config)
        return {name: [p.get(name) for p in profiles] for name in PROFILE_COLUMNS}


def ray_engine(rows: list[dict], config: BatchConfig, options: Any, on_rows: Callable[[list[dict]], None]) -> None:
    """Run ``rows`` through a pool of :class:`KaifaquActor` on Ray, calling ``on_rows`` as results stream in.

    Connects to ``options.address`` (``auto``, ``ray://host:10001``) or, when Ray
    is not initialised and no address is given, starts a local Ray (shut down
    again afterwards). ``options.actors`` is the ``(min, max)`` pool size.
    """
    ray = _import_ray()
    started_here = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
        if options.address:
            kwargs["address"] = options.address
        else:
            kwargs["include_dashboard"] = False
        ray.init(**kwargs)
        started_here = True
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = bool(options.progress)
        if not options.progress:
            logging.getLogger("ray.data").setLevel(logging.WARNING)  # per-dataset INFO lines
        batch_size = options.batch_size or max(1, min(config.max_in_flight, 64))
        blocks = max(1, -(-len(rows) // (batch_size * _BATCHES_PER_BLOCK)))
        dataset = ray.data.from_items(rows, override_num_blocks=blocks).map_batches(
            KaifaquActor,
            fn_constructor_kwargs={"config": config},
            compute=ray.data.ActorPoolStrategy(min_size=options.actors[0], max_size=options.actors[1]),
            batch_size=batch_size,
            num_cpus=1,
        )
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            on_rows(rows_from_batch(batch))
    finally:
        if started_here:
            ray.shutdown()
