"""Reading page files: bytes → :class:`~kaifaqu_llm.core.document.Page`.

Encodings, tried in this order:

1. a byte-order mark decides: UTF-8 (``utf-8-sig``), UTF-16 LE/BE (``utf-16``), UTF-32 (``utf-32``);
2. UTF-8 (``utf-8``); a page that is UTF-8 but for a few damaged bytes (at most 8, and at most
   one per thousand characters, e.g. a file cut mid-character) is read with those bytes
   replaced by U+FFFD rather than misread as GBK;
3. strict GBK (``gbk``), then GB18030 (``gb18030``), the encodings of Chinese Windows / OCR tools.

A file with NUL bytes and no UTF-16/32 mark is binary; so is a file that starts with a known
binary signature (PNG, PDF, ZIP, ...). Text decoded by a legacy codec must look like text
(few control characters, few private-use code points), else it is reported as undecodable.
``Page.text`` is the decoded text, untouched: line ends (CRLF, CR, LF) are kept, so every
offset points into exactly what was decoded.

Batches: :func:`iter_page_paths` expands directories to their ``*.txt`` files (sorted, not
recursive) and keeps plain file paths as given; :func:`read_pages` reads each and yields the
:class:`Page` or the :class:`InputError` (never raises for one bad file), so a batch carries on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..core.document import Page
from ..core.errors import InputError, PageDecodeError, input_error

__all__ = ["read_page", "read_pages", "iter_page_paths", "page_from_text", "decode_page_bytes"]

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (docx/xlsx?)"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\xd0\xcf\x11\xe0", "legacy Office document"),
    (b"\x7fELF", "executable"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
)
_LEGACY_CODECS = ("gbk", "gb18030")
# Share of suspicious characters (control, private use) above which decoded bytes are not text.
_MAX_ODD_SHARE = 0.02
# At most this many undecodable bytes (each becomes U+FFFD) are tolerated in an otherwise UTF-8 page.
_MAX_BAD_UTF8 = 8


def _odd_share(text: str) -> float:
    sample = text[:200_000]
    if not sample:
        return 0.0
    odd = 0
    for ch in sample:
        code = ord(ch)
        if (code < 32 and ch not in "\t\n\r\f\v") or 0x7F <= code < 0xA0 or 0xE000 <= code <= 0xF8FF:
            odd += 1
    return odd / len(sample)


def decode_page_bytes(data: bytes, name: str = "<memory>") -> tuple[str, str]:
    """Return ``(text, encoding)`` for a page's bytes, or raise :class:`PageDecodeError` naming ``name``."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise input_error(name, f"has a {codec} byte-order mark but is not valid {codec} "
                                        f"(byte {exc.start})", PageDecodeError) from None
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise input_error(name, f"not a text file ({kind})", PageDecodeError)
    if b"\x00" in data:
        raise input_error(name, "not a text file (contains NUL bytes: binary, or UTF-16 without a byte-order mark)",
                          PageDecodeError)
    try:
        text, codec = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text = codec = None
        lenient = data.decode("utf-8", errors="replace")
        # A UTF-8 page with a few damaged bytes (a file cut mid-character) stays UTF-8: GBK would
        # "decode" it too, into nonsense. A GBK page read as UTF-8 fails on most of its characters.
        if lenient.count("\ufffd") <= min(_MAX_BAD_UTF8, len(lenient) // 1000 + 1):
            text, codec = lenient, "utf-8"
    if text is None:
        for legacy in _LEGACY_CODECS:
            try:
                text, codec = data.decode(legacy), legacy
                break
            except UnicodeDecodeError:
                continue
        if text is None:
            raise input_error(name, "cannot decode: not UTF-8, UTF-16 with BOM, GBK or GB18030 text",
                              PageDecodeError) from None
    if _odd_share(text) > _MAX_ODD_SHARE:
        raise input_error(name, f"not a text file (decodes as {codec} but is full of control characters)",
                          PageDecodeError)
    return text, codec


def read_page(path: str | os.PathLike[str]) -> Page:
    """Return the decoded :class:`Page` at ``path``; raise :class:`PageDecodeError` (``'<path>: <problem>'``)
    for binary or undecodable files and :class:`InputError` for files that cannot be read."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise input_error(path, "no such file", InputError) from None
    except IsADirectoryError:
        raise input_error(path, "is a directory, not a page file", InputError) from None
    except OSError as exc:
        raise input_error(path, f"cannot read ({exc.strerror or exc.__class__.__name__})", InputError) from None
    text, encoding = decode_page_bytes(data, str(path))
    return Page(source=path.name, text=text, encoding=encoding, path=str(path))


def page_from_text(text: str, source: str = "<memory>") -> Page:
    """Return a :class:`Page` built from an already decoded string (no file behind it)."""
    return Page(source=source, text=text, encoding="utf-8", path=None)


def iter_page_paths(paths_or_dirs: Iterable[str | os.PathLike[str]] | str | os.PathLike[str]) -> list[Path]:
    """Return the page files named by ``paths_or_dirs`` (one path, or several): a directory stands for
    its ``*.txt`` files, subfolders included (sorted by relative path; folders whose name starts with a
    dot are skipped); any other path is kept as given, so a missing file is reported by
    :func:`read_page`. A file named twice (by its folder and by itself) comes once. Raise
    :class:`InputError` for a directory holding no ``*.txt`` file."""
    if isinstance(paths_or_dirs, (str, os.PathLike)):
        paths_or_dirs = [paths_or_dirs]
    out: list[Path] = []
    for item in paths_or_dirs:
        path = Path(item)
        if path.is_dir():
            found = sorted((p for p in path.rglob("*.txt") if p.is_file()
                            and not any(part.startswith(".") for part in p.relative_to(path).parts[:-1])),
                           key=lambda p: p.relative_to(path).parts)
            if not found:
                raise input_error(path, "directory holds no *.txt page files", InputError)
            out.extend(found)
        else:
            out.append(path)
    seen: set[Path] = set()
    return [p for p in out if not (p.resolve() in seen or seen.add(p.resolve()))]


def read_pages(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Page | InputError]:
    """Yield, for every path (directories expanded), its :class:`Page` or the :class:`InputError`
    explaining why it cannot be read; never raises for a single bad file."""
    for item in paths:
        try:
            expanded = iter_page_paths([item])
        except InputError as exc:
            yield exc
            continue
        for path in expanded:
            try:
                yield read_page(path)
            except InputError as exc:
                yield exc
