"""The on-disk side of the zone registry: each zone's sources, mentions and merged facts, spilled to SQLite.

The registry keeps only its grouping (one entry per distinct zone name) in
memory; everything that grows with the batch — an article slot per zone, a
mention, a fact and each of its occurrences — goes to a temporary SQLite file
(beside the output when there is one) and is read back zone by zone while
``zones.jsonl`` is written. A zone line is streamed too: the lists of one zone
are never held whole, so memory stays flat however many articles name a zone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

__all__ = ["ZoneStore", "open_spill", "remove_stale_spills", "key_text", "dump_streamed"]

_PREFIX, _SUFFIX = ".kaifaqu.", ".spill"
_SCHEMA = """
CREATE TABLE sources (zone TEXT, akey TEXT, article TEXT, prim INTEGER, PRIMARY KEY (zone, akey));
CREATE TABLE mentions (zone TEXT, body TEXT);
CREATE INDEX ix_mentions ON mentions (zone);
CREATE TABLE facts (id INTEGER PRIMARY KEY, zone TEXT, kind TEXT, key TEXT, head TEXT, tail TEXT,
                    UNIQUE (zone, kind, key));
CREATE TABLE occurrences (fact INTEGER, body TEXT);
CREATE INDEX ix_occurrences ON occurrences (fact);
"""


def _normal(value: object) -> object:
    """A JSON-able stand-in for ``value`` that is equal exactly when Python's ``==`` says the values are."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (tuple, list)):
        return [_normal(v) for v in value]
    return value


def key_text(key: object) -> str:
    """Return a text of an identity key (a tuple of scalars) that is equal for keys Python finds equal."""
    return json.dumps(_normal(key), ensure_ascii=False, sort_keys=True, default=repr)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def dump_streamed(head: dict, lists: Mapping[str, Iterable[str | Iterable[str]]]) -> Iterator[str]:
    """Yield the pieces of ``json.dumps(head, ensure_ascii=False)`` with the keys in ``lists`` as streamed lists.

    ``lists`` maps a key of ``head`` to its items, each a JSON text or an
    iterable of the pieces of one; each list is written as ``json.dumps`` would
    write it (``[a, b]``) while its items are read, so it is never whole in memory.
    """
    marks = {key: f"\x00{uuid.uuid4().hex}\x00" for key in lists}
    text = _dumps({k: marks.get(k, v) for k, v in head.items()})
    quoted = {_dumps(mark): key for key, mark in marks.items()}
    pieces = re.split("(" + "|".join(map(re.escape, quoted)) + ")", text) if quoted else [text]
    for piece in pieces:
        if piece not in quoted:
            yield piece
            continue
        yield "["
        for n, item in enumerate(lists[quoted[piece]]):
            if n:
                yield ", "
            if isinstance(item, str):
                yield item
            else:
                yield from item
        yield "]"


def remove_stale_spills(directory: Path) -> None:
    """Delete scratch files a killed run left in ``directory`` (one still in use stays readable to its
    process: POSIX keeps an open file until it is closed)."""
    for stale in directory.glob(f"{_PREFIX}*{_SUFFIX}"):
        with contextlib.suppress(OSError):
            stale.unlink()


def open_spill(directory: str | os.PathLike[str] | None, schema: str) -> tuple[sqlite3.Connection, str]:
    """Return a new scratch SQLite database in ``directory`` (the system temp dir when None) with ``schema``,
    in an open transaction, and its path; the caller deletes the file. Its page cache is capped at 8 MB."""
    fd, path = tempfile.mkstemp(prefix=_PREFIX, suffix=_SUFFIX, dir=directory)
    os.close(fd)
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE", "cache_size=-8000"):
        db.execute(f"PRAGMA {pragma}")
    db.executescript(schema)
    db.execute("BEGIN")
    return db, path


class ZoneStore:
    """Sources, mentions and merged facts of every zone in a temporary SQLite file, deleted on :meth:`close`."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.db, self.path = open_spill(directory, _SCHEMA)
        self._loose = 0
        self._mark = _dumps(f"\x00{uuid.uuid4().hex}\x00")

    def close(self) -> None:
        """Drop the store and its file."""
        with contextlib.suppress(sqlite3.Error):
            self.db.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def __enter__(self) -> ZoneStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def add_source(self, zone: str, article: dict, primary: bool, *, merge: bool = True) -> None:
        """Record that ``article`` names ``zone`` (once per zone and article unless ``merge`` is False)."""
        if merge:
            akey = key_text((article.get("source"), article.get("article_index")))
        else:
            self._loose += 1
            akey = f"#{self._loose}"
        self.db.execute("INSERT INTO sources VALUES (?, ?, ?, ?) ON CONFLICT (zone, akey) "
                        "DO UPDATE SET prim = prim OR excluded.prim", (zone, akey, _dumps(article), int(primary)))

    def add_mention(self, zone: str, mention: dict) -> None:
        """Append a mention (with its provenance) to ``zone``."""
        self.db.execute("INSERT INTO mentions VALUES (?, ?)", (zone, _dumps(mention)))

    def add_fact(self, zone: str, kind: str, key: str, fact: dict, where: dict) -> None:
        """Merge a fact into ``zone``: the first fact of a ``key`` keeps its fields, every one adds an occurrence."""
        row = self.db.execute("SELECT id FROM facts WHERE zone = ? AND kind = ? AND key = ?",
                              (zone, kind, key)).fetchone()
        if row is None:
            head, _, tail = _dumps({**fact, **where, "occurrences": json.loads(self._mark)}).partition(self._mark)
            row = (self.db.execute("INSERT INTO facts (zone, kind, key, head, tail) VALUES (?, ?, ?, ?, ?)",
                                   (zone, kind, key, head, tail)).lastrowid,)
        self.db.execute("INSERT INTO occurrences VALUES (?, ?)", (row[0], _dumps(where)))

    def source_counts(self) -> dict[str, int]:
        """Return the number of articles naming each zone."""
        return dict(self.db.execute("SELECT zone, COUNT(*) FROM sources GROUP BY zone"))

    def sources(self, zone: str) -> Iterator[str]:
        """Yield the JSON of each article naming ``zone``, with ``primary``, in the order they came."""
        for article, prim in self._rows("SELECT article, prim FROM sources WHERE zone = ? ORDER BY rowid", zone):
            yield _dumps({**json.loads(article), "primary": bool(prim)})

    def mentions(self, zone: str) -> Iterator[str]:
        """Yield the JSON of each mention of ``zone``, in the order they came."""
        for (body,) in self._rows("SELECT body FROM mentions WHERE zone = ? ORDER BY rowid", zone):
            yield body

    def facts(self, zone: str, kind: str) -> Iterator[Iterator[str]]:
        """Yield each merged fact of a ``kind`` of ``zone`` as the pieces of its JSON, occurrences streamed in."""
        for fact, head, tail in self._rows("SELECT id, head, tail FROM facts WHERE zone = ? AND kind = ? "
                                           "ORDER BY id", zone, kind):
            yield self._fact(fact, head, tail)

    def _fact(self, fact: int, head: str, tail: str) -> Iterator[str]:
        yield head
        yield "["
        for n, (body,) in enumerate(self._rows("SELECT body FROM occurrences WHERE fact = ? ORDER BY rowid", fact)):
            yield (", " + body) if n else body
        yield "]"
        yield tail

    def _rows(self, sql: str, *args: object) -> Iterator[tuple]:
        cursor = self.db.cursor()  # a cursor of its own: reads nest (facts, then each fact's occurrences)
        try:
            yield from cursor.execute(sql, args)
        finally:
            cursor.close()
