"""Preflight: what a run needs, checked before the first model request is sent.

A run that cannot finish should say so at once, in one line, at no cost:

* the output directory can be created (or is a directory) and written to;
* the cache directory can be written (else: run with ``--no-cache``);
* every model server answers at all: one ``GET /models`` with a short timeout,
  once the pages are planned and only when articles are left to run. Any HTTP
  answer (a local server without ``/models`` answers 404) means the server is
  there; a failure to connect is fatal unless the cache answers every article
  left (a re-run from the cache needs no server).

OUT and cache problems raise :class:`ConfigError` (exit code 2 on the command
line), an unreachable server :class:`TransportError` (exit code 1).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..core.errors import ConfigError, TransportError, redact

__all__ = ["check_out_dir", "check_cache_dir", "check_server", "check_servers", "check_segment_server", "preflight", "PROBE_TIMEOUT"]

PROBE_TIMEOUT = 5.0  # seconds: a server that is up accepts a connection long before this


def _problem(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__


def _check_writable_dir(path: Path, what: str, hint: str = "") -> None:
    """Raise :class:`ConfigError` unless ``path`` is a writable directory or can be created as one."""
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"{what} {path} exists and is not a directory{hint}")
        try:
            with tempfile.TemporaryFile(dir=path, prefix=".kaifaqu-probe-"):
                pass
        except OSError as exc:
            raise ConfigError(f"{what} {path} is not writable ({_problem(exc)}){hint}") from None
        return
    ancestor = path.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(f"{what} {path} cannot be created: {ancestor} is a file, not a directory{hint}")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {path} cannot be created: {ancestor} is not writable{hint}")


def check_out_dir(out_dir: str | os.PathLike[str]) -> None:
    """Return None when ``out_dir`` is (or can become) a writable directory; raise :class:`ConfigError` if not."""
    _check_writable_dir(Path(out_dir), "output directory")


def check_cache_dir(cache_dir: str | os.PathLike[str]) -> None:
    """Return None when the cache directory is usable; raise :class:`ConfigError` suggesting ``--no-cache``."""
    _check_writable_dir(Path(cache_dir), "cache directory",
                        " (pass --no-cache to run without the cache, or --cache-dir DIR)")


def check_server(base_url: str, *, api_key: str | None = None, timeout: float = PROBE_TIMEOUT,
                 secrets: Sequence[str] = ()) -> None:
    """Return None when something answers HTTP at ``base_url``; raise :class:`TransportError` when nothing does.

    Sends one ``GET {base_url}/models``; any status (404 from a server without
    that route, 401...) counts as reachable: the chat requests will say more.
    """
    import urllib.error
    import urllib.request

    parts = urlsplit(base_url.rstrip("/") + "/models")
    host = parts.netloc.rpartition("@")[2]  # credentials in the URL are the proxy's business, not the probe's
    url = urlunsplit(parts._replace(netloc=host))
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    hidden = (api_key, *secrets)
    try:
        request = urllib.request.Request(url, headers=headers, method="GET")
        with urllib.request.urlopen(request, timeout=timeout):
            return
    except urllib.error.HTTPError:
        return  # any HTTP answer: the server is there
    except ValueError as exc:  # not an http(s) URL
        raise ConfigError(redact(f"bad model server URL {base_url}: {exc}", *hidden)) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if not isinstance(reason, (ConnectionError, TimeoutError, OSError)) or _answered(reason):
            return  # it accepted the connection (a slow or odd answer): the server is there
        text = redact(f"cannot reach the model server at {base_url} ({_reason(reason)}); no request was sent: "
                      "start the server or fix --base-url", *hidden)
        raise TransportError(text) from None


def _answered(reason: BaseException) -> bool:
    """True for failures after the connection was made (a reset, a slow answer): the server exists."""
    return isinstance(reason, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)) or (
        isinstance(reason, TimeoutError) and "timed out" in str(reason) and "connect" not in str(reason))


def _reason(reason: BaseException) -> str:
    return getattr(reason, "strerror", None) or str(reason) or type(reason).__name__


def preflight(out_dir: str | os.PathLike[str] | None, config: Any) -> None:
    """Return None when OUT and the cache of a run of ``config`` (a :class:`~.batch.BatchConfig`) are usable;
    raise :class:`ConfigError` naming the first problem. The server is checked by :func:`check_servers`."""
    if out_dir is not None:
        check_out_dir(out_dir)
    if _needs_model(config) and config.options.use_cache:
        from ..extract.llm.config import resolve_cache_dir

        check_cache_dir(resolve_cache_dir(config.options.cache_dir))


def _needs_model(config: Any) -> bool:
    from ..extract.registry import backend_spec

    try:
        return backend_spec(config.backend).needs_model
    except ConfigError:
        return False  # an unregistered backend object: nothing known to check


def check_servers(config: Any, rows: Callable[[], Iterable[dict]]) -> None:
    """Return None when every model server of ``config`` answers, or when the cache answers every one of
    ``rows()`` (the article rows still to run: a re-run from the cache needs no server); raise
    :class:`TransportError` otherwise, before any request is sent."""
    if not _needs_model(config):
        return
    for url in config.base_urls or (None,):
        model = config.model_config(url)
        try:
            check_server(model.effective_base_url, api_key=model.api_key, secrets=model.secrets(),
                         timeout=min(PROBE_TIMEOUT, model.timeout))
        except TransportError:
            if not _all_cached(config, rows()):
                raise


def check_segment_server(config: Any, pages: Callable[[], Iterable[Any]]) -> None:
    """Return None when the server the model segmenter asks (``config``'s first) answers, or when the cache
    holds the cut of every one of ``pages()``; raise :class:`TransportError` otherwise, before any request."""
    model = config.model_config(config.base_urls[0] if config.base_urls else config.model.base_url)
    try:
        check_server(model.effective_base_url, api_key=model.api_key, secrets=model.secrets(),
                     timeout=min(PROBE_TIMEOUT, model.timeout))
    except TransportError:
        from ..extract.llm.segmenter import pages_cached

        options = config.options
        if not (options.use_cache and not options.refresh and pages_cached(pages(), model, options.cache_dir)):
            raise


def _all_cached(config: Any, rows: Iterable[dict]) -> bool:
    """True when the cache holds an answer for every row (never with ``--no-cache`` or ``--refresh``)."""
    options = config.options
    if not options.use_cache or options.refresh:
        return False
    from ..extract.cache import ProfileCache
    from ..extract.llm.config import resolve_cache_dir
    from ..extract.registry import BackendContext, backend_spec
    from .rows import row_article

    directory = resolve_cache_dir(options.cache_dir)
    if not directory.is_dir():
        return False
    cache = ProfileCache(directory)
    try:
        url = config.base_urls[0] if config.base_urls else None
        backend = backend_spec(config.backend).build(BackendContext(config.model_config(url), None, False,
                                                                    config.prompt_version, url))
        keyed = getattr(backend, "inner", backend)  # a wrapper (hybrid) keys the cache by its model backend
        if not hasattr(keyed, "cache_key"):
            return False
        return all(keyed.cache_key(row_article(row)[0]) in cache for row in rows)
    finally:
        cache.close()
