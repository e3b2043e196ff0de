"""Tidy exports of an output folder: CSV tables (Excel-safe) and one SQLite database.

Both carry the same tables: ``articles``, ``zones``, ``article_zones`` and one
table per fact kind the zone registry attributes (every registered kind but the
zones: :func:`~kaifaqu_llm.core.facts.zone_fact_kinds`), its columns and their
SQL types taken from the kind's model. Every fact row carries its
``article_id`` (``<source>#<article_index>``), ``source``, ``article_index``,
the ``zone_id`` it is attributed to (empty for articles naming no zone) and
its evidence with offsets. Ungrounded facts are left out (they stay in
``profiles.jsonl``) unless ``keep_ungrounded`` is set (ground.counted); the
registry passed in is expected to be built with the same choice.

Every file is written to a temporary file in the same folder and moved into
place with :func:`os.replace`, so a crash mid-write leaves the previous file
whole and re-running into the same folder only ever swaps complete files.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from ..core.facts import zone_fact_kinds
from ..ground.counted import counted_records
from ..zones.spill import key_text, open_spill

__all__ = [
    "article_id",
    "table_rows",
    "write_csv",
    "write_sqlite",
    "TABLES",
]

_PROVENANCE = ["evidence", "grounded", "start", "end"]
_KEYS = ["article_id", "source", "article_index", "zone_id"]
_ARTICLE_COLUMNS = ["article_id", "source", "article_index", "title", "zone_header", "article_start",
                    "article_end", "summary", "backend", "model", "prompt_version", "error"]
_ZONE_COLUMNS = ["zone_id", "canonical", "type", "aliases", "city", "province", "level", "catalog_code",
                 "official_name", "link_score", "articles"]
_ARTICLE_ZONE_COLUMNS = ["article_id", "zone_id", "is_primary", "mention", "evidence", "grounded", "start", "end"]



def _tables() -> dict[str, list[str]]:
    kinds = zone_fact_kinds()
    return {
        "articles": _ARTICLE_COLUMNS,
        "zones": _ZONE_COLUMNS + [f"n_{k.name}" for k in kinds],
        "article_zones": _ARTICLE_ZONE_COLUMNS,
        **{k.name: ["fact_id"] + _KEYS + k.columns + _PROVENANCE for k in kinds},
    }


class _Tables(Mapping):
    """Table name → column names, in order; read from the fact-kind registry on every access."""

    def __getitem__(self, name: str) -> list[str]:
        return _tables()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_tables())

    def __len__(self) -> int:
        return len(_tables())


TABLES: Mapping[str, list[str]] = _Tables()
"""Table name → column names, in order, shared by the CSV and SQLite exports."""


@contextlib.contextmanager
def _temp_beside(path: Path) -> Iterator[Path]:
    """Yield a fresh temp path next to ``path``; on success move it onto ``path``, else delete it.

    For files built in place by a library (SQLite); text files go through
    ``_output.atomic_write_text``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp makes 0600 files; give the result the mode a plain open() would (0666 minus umask)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def article_id(source: str | None, index: int | None) -> str:
    """Return the key of an article in every export table: ``<source>#<article_index>``."""
    return f"{source}#{index}"


def _cell(value: object) -> object:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


_LINKS = """
CREATE TABLE links (aid TEXT, zone TEXT, body TEXT, prim INTEGER, PRIMARY KEY (aid, zone));
CREATE TABLE owners (key TEXT PRIMARY KEY, zone TEXT);
"""


class _Attribution:
    """Each article's zone links and the zone each fact occurrence was merged into, read from the registry once
    and kept in a scratch SQLite file (in ``directory``), so that memory does not follow the batch."""

    def __init__(self, registry: Iterable[dict], directory: str | os.PathLike[str] | None) -> None:
        self.db, self.path = open_spill(directory, _LINKS)
        self.zone_rows: list[dict] = []  # one per zone, in registry order
        kinds = zone_fact_kinds()
        for zone in registry:
            if zone.get("unassigned"):
                continue
            for mention in zone.get("mentions", []):
                aid = article_id(mention["source"], mention["article_index"])
                link = {"article_id": aid, "zone_id": zone["zone_id"], "is_primary": False,
                        "mention": mention.get("mention"), "evidence": mention.get("evidence"),
                        "grounded": mention.get("grounded"), "start": mention.get("start"), "end": mention.get("end")}
                self.db.execute("INSERT INTO links VALUES (?, ?, ?, ?) ON CONFLICT (aid, zone) "
                                "DO UPDATE SET prim = prim OR excluded.prim",
                                (aid, zone["zone_id"], json.dumps(link, ensure_ascii=False),
                                 int(bool(mention.get("primary")))))
            for kind in kinds:
                for fact in zone.get(kind.name, []):
                    for occ in fact.get("occurrences", [fact]):
                        key = (kind.name, occ["source"], occ["article_index"], occ.get("start"), occ.get("evidence"))
                        self.db.execute("INSERT OR IGNORE INTO owners VALUES (?, ?)", (key_text(key), zone["zone_id"]))
            row = {c: zone.get(c) for c in _ZONE_COLUMNS}
            row["aliases"] = "；".join(zone.get("aliases", []))
            row["articles"] = len(zone.get("sources", []))
            row.update({f"n_{k.name}": len(zone.get(k.name, [])) for k in kinds})
            self.zone_rows.append(row)

    def links(self, aid: str) -> list[dict]:
        """Return the zone links of an article, in registry order."""
        rows = self.db.execute("SELECT body, prim FROM links WHERE aid = ? ORDER BY rowid", (aid,))
        return [{**json.loads(body), "is_primary": bool(prim)} for body, prim in rows]

    def owner(self, key: tuple) -> str | None:
        """Return the zone a fact occurrence ``(kind, source, article_index, start, evidence)`` was merged into."""
        row = self.db.execute("SELECT zone FROM owners WHERE key = ?", (key_text(key),)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        """Drop the scratch file."""
        self.db.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)


def _record_rows(records: Iterable[dict], attribution: _Attribution) -> Iterator[tuple[str, dict]]:
    """Yield ``(table, row)`` for every row but the zones', record by record: its article, links, facts."""
    kinds = zone_fact_kinds()
    counts = {kind.name: 0 for kind in kinds}
    for record in records:
        aid = article_id(record.get("source"), record.get("article_index"))
        row = {c: record.get(c) for c in _ARTICLE_COLUMNS}
        row["article_id"] = aid
        yield "articles", row
        for link in attribution.links(aid):
            yield "article_zones", link
        for kind in kinds:
            for fact in record.get(kind.name) or []:
                key = (kind.name, record.get("source"), record.get("article_index"), fact.get("start"),
                       fact.get("evidence"))
                counts[kind.name] += 1
                row = {"fact_id": counts[kind.name], "article_id": aid, "source": record.get("source"),
                       "article_index": record.get("article_index"), "zone_id": attribution.owner(key)}
                row.update({c: fact.get(c) for c in kind.columns + _PROVENANCE})
                yield kind.name, row


def table_rows(records: Iterable[dict], registry: Iterable[dict], *,
               keep_ungrounded: bool = False) -> dict[str, list[dict]]:
    """Return every export table as a list of row dicts keyed by the columns in :data:`TABLES`.

    Fact rows are one per fact occurrence in ``records`` (not merged), so row
    counts equal the facts extracted; ``zone_id`` is the zone the registry
    attributed the fact to, None for articles naming no zone. The tables are
    held whole; :func:`write_csv` and :func:`write_sqlite` stream them instead.
    """
    tables: dict[str, list[dict]] = {name: [] for name in TABLES}
    attribution = _Attribution(registry, None)
    try:
        for name, row in _record_rows(counted_records(records, keep_ungrounded), attribution):
            tables[name].append(row)
        tables["zones"] = attribution.zone_rows
    finally:
        attribution.close()
    return tables


def write_csv(out_dir: str | Path, records: Iterable[dict], registry: Iterable[dict], *,
              keep_ungrounded: bool = False) -> list[Path]:
    """Write one UTF-8-with-BOM CSV per table into ``out_dir`` and return their paths.

    The BOM makes Excel open the Chinese text correctly; lists (aliases are
    joined with ``；``, project figures) are JSON text; booleans are 0/1. Rows
    are written as the records are read (``records`` and ``registry`` are each
    read once); every file replaces the old one only when all are written.
    """
    out = Path(out_dir)
    paths = {name: out / f"{name}.csv" for name in TABLES}
    with contextlib.ExitStack() as stack:
        temps = {name: stack.enter_context(_temp_beside(path)) for name, path in paths.items()}
        handles = {name: stack.enter_context(open(temp, "w", encoding="utf-8-sig", newline=""))
                   for name, temp in temps.items()}
        writers = {name: csv.DictWriter(handle, fieldnames=TABLES[name], lineterminator="\r\n")
                   for name, handle in handles.items()}
        for writer in writers.values():
            writer.writeheader()
        attribution = stack.enter_context(contextlib.closing(_Attribution(registry, out)))
        writers["zones"].writerows({k: _cell(v) for k, v in row.items()} for row in attribution.zone_rows)
        for name, row in _record_rows(counted_records(records, keep_ungrounded), attribution):
            writers[name].writerow({k: _cell(v) for k, v in row.items()})
        for handle in handles.values():
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()  # on disk before the temp files move into place
    return list(paths.values())


_SQL_TYPES = {"article_index": "INTEGER", "article_start": "INTEGER", "article_end": "INTEGER", "start": "INTEGER",
              "end": "INTEGER", "grounded": "INTEGER", "is_primary": "INTEGER", "link_score": "REAL",
              "articles": "INTEGER", "fact_id": "INTEGER"}
_SQL_OF_TYPE = {float: "REAL", int: "INTEGER", bool: "INTEGER"}


def _ddl(name: str) -> list[str]:
    kind = next((k for k in zone_fact_kinds() if k.name == name), None)
    kind_types = kind.column_types if kind is not None else {}

    def column(c: str) -> str:
        sql_type = "INTEGER" if c.startswith("n_") else _SQL_TYPES.get(c) or _SQL_OF_TYPE.get(kind_types.get(c), "TEXT")
        return f'"{c}" {sql_type}'

    columns = [column(c) for c in TABLES[name]]
    if name == "articles":
        columns[0] += " PRIMARY KEY"
        columns.append("UNIQUE (source, article_index)")
    elif name == "zones":
        columns[0] += " PRIMARY KEY"
    elif name == "article_zones":
        columns += ["PRIMARY KEY (article_id, zone_id)",
                    "FOREIGN KEY (article_id) REFERENCES articles(article_id)",
                    "FOREIGN KEY (zone_id) REFERENCES zones(zone_id)"]
    else:
        columns[0] += " PRIMARY KEY"
        columns[1] += " NOT NULL"
        columns += ["FOREIGN KEY (article_id) REFERENCES articles(article_id)",
                    "FOREIGN KEY (zone_id) REFERENCES zones(zone_id)"]
    statements = [f'CREATE TABLE "{name}" ({", ".join(columns)})']
    if kind is not None or name == "article_zones":
        statements += [f'CREATE INDEX "ix_{name}_article" ON "{name}"(article_id)',
                       f'CREATE INDEX "ix_{name}_zone" ON "{name}"(zone_id)']
    return statements


def write_sqlite(out_dir: str | Path, records: Iterable[dict], registry: Iterable[dict], *,
                 keep_ungrounded: bool = False) -> Path:
    """Write ``OUT/kaifaqu.sqlite`` (all tables, keys, foreign keys, indexes) and return its path.

    The database is built in a temp file with ``PRAGMA foreign_keys=ON`` (so a
    dangling key fails the write) and checked with ``foreign_key_check`` before
    it replaces the previous one.
    """
    path = Path(out_dir) / "kaifaqu.sqlite"
    order = ["articles", "zones", "article_zones", *(k.name for k in zone_fact_kinds())]
    inserts = {}
    for name in order:
        columns = TABLES[name]
        marks = ", ".join("?" for _ in columns)
        quoted = ", ".join(f'"{c}"' for c in columns)
        inserts[name] = (f'INSERT INTO "{name}" ({quoted}) VALUES ({marks})', columns)
    with _temp_beside(path) as tmp, contextlib.closing(_Attribution(registry, Path(out_dir))) as attribution:
        connection = sqlite3.connect(tmp)
        try:
            connection.execute("PRAGMA foreign_keys=ON")
            with connection:
                for name in order:
                    for statement in _ddl(name):
                        connection.execute(statement)
                # zones first, then each record's article before its links and facts (foreign keys)
                sql, columns = inserts["zones"]
                connection.executemany(sql, ([_cell(row.get(c)) for c in columns] for row in attribution.zone_rows))
                for name, row in _record_rows(counted_records(records, keep_ungrounded), attribution):
                    sql, columns = inserts[name]
                    connection.execute(sql, [_cell(row.get(c)) for c in columns])
            problems = connection.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise sqlite3.IntegrityError(f"dangling foreign keys: {problems[:3]}")
        finally:
            connection.close()
    return path
