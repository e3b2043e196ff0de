"""The zone catalog: official records that extracted zones are linked to.

A catalog is a UTF-8 CSV file with the columns of :data:`COLUMNS` (see
docs/catalog.md). The built-in catalog, ``kaifaqu_llm/data/zone_catalog.csv``,
is built from 《中国开发区审核公告目录》(2018年版) by ``scripts/build_catalog.py``
and ships with the package; user catalogs (``--catalog FILE.csv``) add
zones approved later or correct renamed ones. Files are read in order and a
later row replaces an earlier one with the same code; a user row without a code
(a zone the notice does not list) gets the synthetic id ``USER:<official_name>``.

Every problem with a file is a :class:`CatalogError` whose message is
``'<file>: <problem>'`` (with the line number where there is one).
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..core.errors import CatalogError
from ..core.schema import ZONE_TYPES
from .names import LINKER, OTHER, parse_name

__all__ = [
    "COLUMNS",
    "LEVELS",
    "CatalogEntry",
    "CatalogSource",
    "Catalog",
    "builtin_catalog_path",
    "entry_from_row",
    "read_catalog_file",
    "write_catalog",
    "load_catalog",
]

COLUMNS = (
    "code",
    "official_name",
    "province",
    "prefecture",
    "county",
    "level",
    "approving_body",
    "type",
    "approval_date",
    "area_ha",
    "industries",
)
OPTIONAL_COLUMNS = ("notice_type",)
_ALL_COLUMNS = COLUMNS + OPTIONAL_COLUMNS
LEVELS = {"G": "国家级", "S": "省级"}
APPROVING_BODIES = {"G": "国务院", "S": "省政府"}

_CODE_RE = re.compile(r"^[GS]\d{6}$")
_DATE_RE = re.compile(r"^(\d{4})(?:[-./年](\d{1,2})(?:[-./月](\d{1,2})日?)?月?)?$")
_INDUSTRY_SPLIT = re.compile(r"[、，,;；/]+")
_USER_PREFIX = "USER:"
_BUILTIN_NAME = "zone_catalog.csv"
_BUILTIN_META = "zone_catalog.meta.json"


@dataclass(frozen=True)
class CatalogEntry:
    """One official zone record (a row of a catalog file)."""

    code: str
    official_name: str
    province: str | None = None
    prefecture: str | None = None
    county: str | None = None
    level: str | None = None
    approving_body: str | None = None
    type: str = "其他"
    approval_date: str | None = None
    area_ha: float | None = None
    industries: tuple[str, ...] = ()
    notice_type: str | None = None
    source: str | None = field(default=None, compare=False)
    line: int | None = field(default=None, compare=False)

    @property
    def synthetic(self) -> bool:
        """True when the code is a ``USER:`` id rather than a code of the notice."""
        return self.code.startswith(_USER_PREFIX)

    @property
    def city(self) -> str | None:
        """The prefecture without its 市 / 地区 / 盟 tail, as zone records write cities."""
        return city_of(self.prefecture)

    def to_row(self) -> dict[str, str]:
        """Return the entry as a catalog CSV row (every column a string)."""
        row = {name: _cell(getattr(self, name)) for name in COLUMNS + OPTIONAL_COLUMNS}
        row["code"] = "" if self.synthetic else self.code
        row["industries"] = "、".join(self.industries)
        return row

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as a JSON-ready dict."""
        data = asdict(self)
        data["industries"] = list(self.industries)
        return data


@dataclass(frozen=True)
class CatalogSource:
    """One file a catalog was read from, with the provenance its meta file records."""

    path: str
    kind: str  # "builtin" | "user"
    rows: int
    source: str | None = None
    date: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the source as a JSON-ready dict."""
        return asdict(self)


class Catalog:
    """The merged catalog: ``entries`` in file order after overrides, plus where they came from.

    A catalog from :func:`load_catalog` reads its files on first use of ``entries``,
    ``sources`` or ``len``: a run that links no zone does not pay for the built-in one.
    """

    def __init__(self, entries: Iterable[CatalogEntry] = (), has_builtin: bool = False,
                 sources: Iterable[CatalogSource] = (), *, loader: Callable[[], tuple] | None = None) -> None:
        self.has_builtin = has_builtin
        self._loader = loader
        self._entries: tuple[CatalogEntry, ...] = tuple(entries)
        self._sources: tuple[CatalogSource, ...] = tuple(sources)
        self._codes: dict[str, CatalogEntry] | None = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._loader is not None:
            with self._lock:  # threads of one run share the catalog: read it once, and never half
                if self._loader is not None:
                    self._entries, self._sources = self._loader()
                    self._loader = None

    @property
    def entries(self) -> tuple[CatalogEntry, ...]:
        """Every entry, in file order after overrides."""
        self._load()
        return self._entries

    @property
    def sources(self) -> tuple[CatalogSource, ...]:
        """The files the entries were read from, built-in first."""
        self._load()
        return self._sources

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, code: str) -> CatalogEntry | None:
        """Return the entry with this code (or ``USER:`` id), or None."""
        if self._codes is None:
            self._codes = {entry.code: entry for entry in self.entries}
        return self._codes.get(code)


def city_of(prefecture: str | None) -> str | None:
    """Return ``prefecture`` without its administrative tail (晋城市 → 晋城), or None."""
    if not prefecture:
        return None
    for tail in ("自治州", "地区", "市", "盟"):
        if prefecture.endswith(tail) and len(prefecture) - len(tail) >= 2:
            return prefecture[: -len(tail)]
    return prefecture


def builtin_catalog_path() -> Path:
    """Return where the built-in catalog lives (the file may not exist)."""
    return Path(str(resources.files("kaifaqu_llm") / "data" / _BUILTIN_NAME))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value).removesuffix(".0")
    return str(value)


def _problem(path: str | Path, message: str, line: int | None = None) -> CatalogError:
    where = f"{path}: line {line}: " if line is not None else f"{path}: "
    return CatalogError(where + message)


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _problem(path, f"cannot read catalog ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _problem(path, f"not UTF-8 (byte 0x{data[exc.start]:02x}); save the catalog as UTF-8", line) from None


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _parse_date(path: str | Path, line: int, text: str | None) -> str | None:
    if not text:
        return None
    match = _DATE_RE.match(text)
    if not match:
        raise _problem(path, f"approval_date {text!r} is not a date (write 2013-03 or 2013-03-15)", line)
    year, month, day = match.groups()
    if month and not 1 <= int(month) <= 12 or day and not 1 <= int(day) <= 31:
        raise _problem(path, f"approval_date {text!r} is not a date", line)
    parts = [year] + [f"{int(p):02d}" for p in (month, day) if p]
    return "-".join(parts)


def _parse_area(path: str | Path, line: int, text: str | None) -> float | None:
    if not text:
        return None
    try:
        area = float(text.replace(",", ""))
    except ValueError:
        raise _problem(path, f"area_ha {text!r} is not a number of hectares", line) from None
    if area < 0 or area != area:
        raise _problem(path, f"area_ha {text!r} is not a number of hectares", line)
    return area


def entry_from_row(row: Mapping[str, str | None], path: str | Path, line: int) -> CatalogEntry:
    """Return the :class:`CatalogEntry` of one catalog row, checking every cell.

    Raises :class:`CatalogError` (``'<path>: line <line>: <problem>'``) for a
    bad code, level, type, date or area. An empty ``type`` is read off the name;
    an empty ``level`` / ``approving_body`` off the code.
    """
    get = {name: _clean(row.get(name)) for name in _ALL_COLUMNS}
    name = get["official_name"]
    if not name:
        raise _problem(path, "official_name is empty", line)
    code = get["code"]
    letter = None
    if code:
        code = code.upper()
        if not _CODE_RE.match(code):
            raise _problem(path, f"code {code!r} is not a notice code (G or S and six digits, e.g. G141061)", line)
        letter = code[0]
    level = get["level"]
    if level and level not in LEVELS.values():
        raise _problem(path, f"level {level!r} is not one of {', '.join(LEVELS.values())}", line)
    if letter and level and level != LEVELS[letter]:
        raise _problem(path, f"level {level!r} contradicts code {code} ({LEVELS[letter]})", line)
    zone_type = get["type"]
    if zone_type and zone_type not in ZONE_TYPES:
        raise _problem(path, f"type {zone_type!r} is not one of {', '.join(ZONE_TYPES)}", line)
    if not zone_type:
        zone_type = parse_name(name, LINKER).type or OTHER
    industries = tuple(p.strip() for p in _INDUSTRY_SPLIT.split(get["industries"] or "") if p.strip())
    return CatalogEntry(
        code=code or _USER_PREFIX + name,
        official_name=name,
        province=get["province"],
        prefecture=get["prefecture"],
        county=get["county"],
        level=level or (LEVELS[letter] if letter else None),
        approving_body=get["approving_body"] or (APPROVING_BODIES[letter] if letter else None),
        type=zone_type,
        approval_date=_parse_date(path, line, get["approval_date"]),
        area_ha=_parse_area(path, line, get["area_ha"]),
        industries=industries,
        notice_type=get["notice_type"],
        source=path if isinstance(path, str) else str(path),
        line=line,
    )


def read_catalog_file(path: str | Path) -> list[CatalogEntry]:
    """Read and check one catalog file; return its entries in file order.

    Lines starting with ``#`` are comments. Raises :class:`CatalogError` for a
    file that cannot be read, is not UTF-8, lacks a required column, has a
    malformed cell, or repeats a code.
    """
    path = Path(path)
    source = str(path)
    text = _decode(path)
    # comments become blank lines so that csv line numbers stay the file's own
    lines = ["\n" if ln.lstrip().startswith("#") else ln for ln in io.StringIO(text)]
    reader = csv.reader(lines)
    header: list[str] | None = None
    entries: list[CatalogEntry] = []
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            line = reader.line_num
            if header is None:
                header = [c.strip() for c in cells]
                missing = [c for c in COLUMNS if c not in header]
                if missing:
                    raise _problem(path, f"missing column(s) {', '.join(missing)} "
                                         f"(a catalog needs {','.join(COLUMNS)})", line)
                continue
            if len(cells) != len(header):
                raise _problem(path, f"{len(cells)} fields, the header has {len(header)}", line)
            entry = entry_from_row(dict(zip(header, cells)), source, line)
            if entry.code in seen:
                what = "official_name (no code)" if entry.synthetic else "code"
                raise _problem(path, f"duplicate {what} {entry.code.removeprefix(_USER_PREFIX)}, "
                                     f"first on line {seen[entry.code]}", line)
            seen[entry.code] = line
            entries.append(entry)
    except csv.Error as exc:
        raise _problem(path, f"not a CSV file ({exc})", reader.line_num) from None
    if header is None:
        raise _problem(path, "empty catalog: no header row")
    return entries


def _read_built(path: Path) -> list[CatalogEntry]:
    """Read a catalog that :func:`write_catalog` wrote (the built-in one) without checking its cells again.

    The build checked every cell (and tests/unit/test_catalog.py reads the shipped file with
    :func:`read_catalog_file`); a file with another header is read the checked way.
    """
    text = _decode(path)
    rows = csv.reader(io.StringIO(text))
    if next(rows, None) != list(_ALL_COLUMNS):
        return read_catalog_file(path)
    source = str(path)
    entries = []
    for line, r in enumerate(rows, start=2):
        name = r[1]
        entries.append(CatalogEntry(
            r[0] or _USER_PREFIX + name, name, r[2] or None, r[3] or None, r[4] or None, r[5] or None, r[6] or None,
            r[7], r[8] or None, float(r[9]) if r[9] else None, tuple(r[10].split("、")) if r[10] else (),
            r[11] or None, source, line,
        ))
    return entries


def write_catalog(entries: Iterable[CatalogEntry], path: str | Path) -> int:
    """Write entries as a catalog CSV (UTF-8, our columns) and return how many rows were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [entry.to_row() for entry in entries]
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS + OPTIONAL_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)
    return len(rows)


def _meta_of(path: Path) -> dict[str, Any]:
    meta_path = path.with_name(path.stem + ".meta.json")
    if not meta_path.is_file():
        return {}
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _problem(meta_path, f"unreadable catalog meta file ({exc})") from None
    return meta if isinstance(meta, dict) else {}


def load_catalog(user_files: Sequence[str | Path] = (), *, builtin: bool = True) -> Catalog:
    """Return the built-in catalog (when ``builtin``) merged with ``user_files`` in order.

    A later row replaces an earlier one with the same code (or, for rows without
    a code, the same official name); new rows are added. User files are read and
    checked now, raising :class:`CatalogError` for a malformed file or one that
    does not exist; the built-in catalog is read when the catalog is first used.
    """
    files: list[tuple[Path, str, list[CatalogEntry] | None]] = []
    has_builtin = builtin and builtin_catalog_path().is_file()
    if has_builtin:
        files.append((builtin_catalog_path(), "builtin", None))
    for user_file in user_files:
        path = Path(user_file)
        if not path.is_file():
            raise _problem(path, "catalog file not found")
        files.append((path, "user", read_catalog_file(path)))

    def merge() -> tuple[tuple[CatalogEntry, ...], tuple[CatalogSource, ...]]:
        merged: dict[str, CatalogEntry] = {}
        sources: list[CatalogSource] = []
        for path, kind, entries in files:
            entries = _read_built(path) if entries is None else entries
            for entry in entries:
                merged.pop(entry.code, None)  # an override moves to the end, in its file's order
                merged[entry.code] = entry
            meta = _meta_of(path)
            sources.append(CatalogSource(
                path=str(path), kind=kind, rows=len(entries),
                source=meta.get("source"), date=meta.get("date"), meta=meta,
            ))
        return tuple(merged.values()), tuple(sources)

    return Catalog(has_builtin=has_builtin, loader=merge)
