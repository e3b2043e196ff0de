"""The rule table: every extraction rule is a named row of data, and lexicons are files.

``lexicons/rules.json`` lists each rule: its ``name`` (``org.suffix``…), the fact
``category`` it feeds, a one-line ``summary``, the ``lexicons`` it reads and
example sentences: ``finds`` (what the rules must find in ``text``) and
``misses`` (what they must not). ``tests/unit/test_rules_table.py`` turns every
example into a test, and checks that switching the rule off loses what the
example finds. A module asks for its rules once, at import (``rule("org.suffix")``,
which fails loudly on a name the table lacks) and asks ``.on`` where it applies one.

Rules are switched off by name for one call (:func:`rules_off`), by
``ExtractOptions.rules_off`` / ``kaifaqu extract --rules-off``, or by the
environment variable ``KAIFAQU_RULES_OFF`` (comma-separated names).

Lexicons are UTF-8 text files in ``lexicons/``, one entry per line; ``#`` starts
a comment; ``.tsv`` files carry a tab-separated value (an organization suffix and its kind).
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable, Iterator

__all__ = [
    "Example", "Rule", "RULES_ENV", "all_rules", "rule", "rules_off", "lexicon", "lexicon_map",
    "parse_rule_names", "env_rules_off",
]

RULES_ENV = "KAIFAQU_RULES_OFF"
_OFF: ContextVar[frozenset[str] | None] = ContextVar("kaifaqu_rules_off", default=None)


@dataclass(frozen=True)
class Example:
    """A sentence of the rule's kind: ``finds`` must be found in ``text``, ``misses`` must not."""

    text: str
    finds: tuple[str, ...] = ()
    misses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One named rule of the table (see the module docstring)."""

    name: str
    category: str
    summary: str
    lexicons: tuple[str, ...] = ()
    examples: tuple[Example, ...] = ()

    @property
    def on(self) -> bool:
        """Return True unless this rule is switched off for the current call (or by the environment)."""
        off = _OFF.get()
        if off is None:
            off = env_rules_off()
        return self.name not in off


def _read(name: str) -> str:
    return (resources.files(__package__) / "lexicons" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _table() -> dict[str, Rule]:
    rows = json.loads(_read("rules.json"))
    table = {}
    for row in rows:
        examples = tuple(Example(e["text"], tuple(e.get("finds", ())), tuple(e.get("misses", ())))
                         for e in row.get("examples", ()))
        table[row["name"]] = Rule(row["name"], row["category"], row["summary"], tuple(row.get("lexicons", ())),
                                  examples)
    return table


def all_rules() -> tuple[Rule, ...]:
    """Return every rule of the table, in table order."""
    return tuple(_table().values())


def rule(name: str) -> Rule:
    """Return the rule called ``name``; raises KeyError naming it when the table has no such rule."""
    try:
        return _table()[name]
    except KeyError:
        raise KeyError(f"no rule named {name!r} in lexicons/rules.json") from None


def parse_rule_names(spec: str | Iterable[str] | None) -> frozenset[str]:
    """Return the rule names in ``spec`` ("a,b" or an iterable); raises ValueError naming an unknown one."""
    if spec is None:
        return frozenset()
    items = spec.split(",") if isinstance(spec, str) else spec
    names = frozenset(n.strip() for n in items if n and n.strip())
    unknown = sorted(names - set(_table()))
    if unknown:
        raise ValueError(f"unknown rule name(s): {', '.join(unknown)} (see `kaifaqu eval --list-rules`)")
    return names


def env_rules_off() -> frozenset[str]:
    """Return the rules the environment switches off (``KAIFAQU_RULES_OFF``); unknown names are ignored."""
    raw = os.environ.get(RULES_ENV, "")
    if not raw:
        return frozenset()
    return frozenset(n.strip() for n in raw.split(",") if n.strip() in _table())


@contextmanager
def rules_off(names: Iterable[str] | None) -> Iterator[None]:
    """Switch the named rules off (on top of the environment's) inside the ``with`` block."""
    token = _OFF.set(env_rules_off() | frozenset(names or ()))
    try:
        yield
    finally:
        _OFF.reset(token)


@lru_cache(maxsize=None)
def lexicon(name: str) -> tuple[str, ...]:
    """Return the entries of ``lexicons/<name>.txt`` in file order (comments and blank lines dropped)."""
    return tuple(_entries(_read(f"{name}.txt")))


@lru_cache(maxsize=None)
def lexicon_map(name: str) -> dict[str, str]:
    """Return ``lexicons/<name>.tsv`` as a dict of its first column to its second."""
    pairs = (line.split("\t", 1) for line in _entries(_read(f"{name}.tsv")))
    return {key.strip(): value.strip() for key, value in pairs}


def _entries(text: str) -> Iterator[str]:
    for line in text.splitlines():
        line = line.split("#", 1)[0].rstrip()
        if line.strip():
            yield line.strip() if "\t" not in line else line
