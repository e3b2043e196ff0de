"""The exception tree of kaifaqu-llm.

Every error the library raises on purpose derives from :class:`KaifaquError`,
so a caller can catch one class::

    KaifaquError
    ├── InputError                 a page or gold file we cannot use
    │   ├── PageDecodeError        not text: binary, or no encoding decodes it
    │   └── GoldFormatError        an annotation file that breaks the gold format
    ├── ConfigError                a model / backend / catalog setting that cannot work
    │   └── CatalogError           a zone catalog file that is malformed
    └── ExtractionError            one article could not be turned into a profile
        ├── TransportError         the model server could not be reached or kept failing
        │   └── QuotaExceededError the account is out of quota: never retried
        └── ResponseError          the server answered, but not with a valid profile

Messages are built by the ``*_error`` functions below so that every one-line
message names the file (or article) first and the problem second, and never
carries a secret.
"""

from __future__ import annotations

import os

__all__ = [
    "KaifaquError",
    "InputError",
    "PageDecodeError",
    "GoldFormatError",
    "ConfigError",
    "CatalogError",
    "ExtractionError",
    "TransportError",
    "QuotaExceededError",
    "ResponseError",
]


class KaifaquError(Exception):
    """Base class of every error kaifaqu-llm raises on purpose."""


class InputError(KaifaquError):
    """An input file that cannot be used."""


class PageDecodeError(InputError):
    """A page that is not text in any encoding we read."""


class GoldFormatError(InputError):
    """A gold annotation file that does not follow the annotation format."""


class ConfigError(KaifaquError):
    """A configuration that cannot work (missing model, bad mode, ...)."""


class CatalogError(ConfigError):
    """A zone catalog file that is malformed."""


class ExtractionError(KaifaquError):
    """One article could not be turned into a profile."""


class TransportError(ExtractionError):
    """The model server could not be reached, or kept failing after retries."""


class QuotaExceededError(TransportError):
    """The account behind the API key has no quota left; retrying cannot help."""


class ResponseError(ExtractionError):
    """The server answered, but not with a profile that validates."""


def input_error(path: str | os.PathLike[str], problem: str, cls: type[InputError] = InputError) -> InputError:
    """Return an :class:`InputError` (or subclass) whose message is ``'<file>: <problem>'``."""
    return cls(f"{os.fspath(path)}: {problem}")


def redact(text: str, *secrets: str | None) -> str:
    """Return ``text`` with every non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def first_line(text: object, limit: int = 300) -> str:
    """Return the first line of ``text`` (any object, as str), cut to ``limit`` characters with an ellipsis:
    how a server's or a validator's message goes into a one-line error."""
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
