"""When two facts of a kind say the same thing: the lenient matchers of ``kaifaqu eval`` and the hybrid cross-check.

Facts are plain dicts (a record's facts, or gold annotations); every text is
compared with its whitespace removed. The rules, per matcher:

* :func:`zones_match` — a zone's names are its ``mention`` and ``canonical``;
  two zones match when any name of one equals, contains or is contained in any
  name of the other.
* :func:`indicators_match` — value and unit agree: the values are numerically
  equal and the units are equal once the approximation words 余 / 多 / 以上 /
  左右 are removed (``"20"+"余家"`` = ``20 家``), or both normalise to the same
  amount in the same base unit (``2 万人`` = ``20000 人``).
* :func:`named_indicators_match` — as :func:`indicators_match` and the names
  agree (see :func:`names_agree`): after removing the generic words 数量 / 总数
  / 总量 / 总额 / 总计 / 累计, one name contains the other, or at least half of
  the shorter name's character bigrams occur in the other (规上工业增加值 ~
  规模以上工业增加值). A bare unit is not a name.
* :func:`names_match` — names equal or one contains the other (industries,
  projects, organizations).
* :func:`same_name` — names equal (people).
* :func:`events_match` — dates equal or one contains the other (去年10月27日 ~
  10月27日) and the descriptions overlap: one contains the other, or at least
  40% of the shorter one's character bigrams occur in the other.
"""

from __future__ import annotations

import math
from typing import Any

from .numbers import normalize_unit, parse_number
from .text import squash

__all__ = [
    "bigram_overlap",
    "names_agree",
    "zones_match",
    "indicators_match",
    "named_indicators_match",
    "with_indicator_key",
    "names_match",
    "same_name",
    "events_match",
    "fields_agree",
]

_GENERIC_NAME_WORDS = ("数量", "总数", "总量", "总额", "总计", "累计")
_APPROX_IN_UNIT = ("余", "多", "以上", "左右")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return squash(str(value)) or ""


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} if len(text) > 1 else {text}


def bigram_overlap(a: str, b: str) -> float:
    """Return the share of the shorter string's character bigrams found in the other (0.0–1.0)."""
    if not a or not b:
        return 0.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    grams = _bigrams(short)
    return len(grams & _bigrams(long_)) / len(grams)


def _contains_either(a: str, b: str) -> bool:
    return bool(a) and bool(b) and (a in b or b in a)


def _name_key(name: str | None) -> str:
    text = squash(name or "") or ""
    for word in _GENERIC_NAME_WORDS:
        text = text.replace(word, "")
    return text


def names_agree(a: str | None, b: str | None) -> bool:
    """Return True when two indicator names say the same thing (rule in the module docstring)."""
    x, y = _name_key(a), _name_key(b)
    if len(x) < 2 or len(y) < 2:
        return False
    return _contains_either(x, y) or bigram_overlap(x, y) >= 0.5


def _strip_approx(unit: str) -> str:
    for word in _APPROX_IN_UNIT:
        unit = unit.replace(word, "")
    return unit.replace("％", "%")


def _indicator_key(fact: dict) -> tuple[float, str] | None:
    value = fact.get("value")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        quantity = parse_number(str(value))
        if quantity is None:
            return None
        number = quantity.value
    if math.isnan(number):
        return None
    return number, _strip_approx(_text(fact.get("unit")))


def with_indicator_key(fact: dict) -> dict:
    """Return a copy of an indicator with its parsed (value, unit) cached under ``_key`` for repeated matching."""
    return {**fact, "_key": _indicator_key(fact)}


def _same_number(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def indicators_match(g: dict, p: dict) -> bool:
    """Return True when two indicators agree in value and unit (rule in the module docstring)."""
    gk = g["_key"] if "_key" in g else _indicator_key(g)
    pk = p["_key"] if "_key" in p else _indicator_key(p)
    if gk is None or pk is None:
        return False
    if _same_number(gk[0], pk[0]) and gk[1] == pk[1]:
        return True
    gn, pn = normalize_unit(gk[0], gk[1]), normalize_unit(pk[0], pk[1])
    return gn is not None and pn is not None and gn[1] == pn[1] and _same_number(gn[0], pn[0])


def named_indicators_match(g: dict, p: dict) -> bool:
    """Return True when two indicators agree in value and unit and their names agree."""
    return indicators_match(g, p) and names_agree(g.get("name"), p.get("name"))


def _zone_names(fact: dict) -> list[str]:
    return [n for n in (_text(fact.get("mention")), _text(fact.get("canonical"))) if n]


def zones_match(g: dict, p: dict) -> bool:
    """Return True when a name of one zone equals, contains or is contained in a name of the other."""
    return any(_contains_either(a, b) for a in _zone_names(g) for b in _zone_names(p))


def names_match(g: dict, p: dict) -> bool:
    """Return True when the ``name`` of one fact equals, contains or is contained in the other's."""
    return _contains_either(_text(g.get("name")), _text(p.get("name")))


def same_name(g: dict, p: dict) -> bool:
    """Return True when both facts have the same non-empty ``name``."""
    a, b = _text(g.get("name")), _text(p.get("name"))
    return bool(a) and a == b


def events_match(g: dict, p: dict) -> bool:
    """Return True when the dates contain one another and the descriptions overlap (module docstring)."""
    if not _contains_either(_text(g.get("date")), _text(p.get("date"))):
        return False
    a, b = _text(g.get("what")), _text(p.get("what"))
    return _contains_either(a, b) or bigram_overlap(a, b) >= 0.4


def fields_agree(g: dict, p: dict, fields: tuple[str, ...]) -> bool:
    """Return True when the two facts have the same text (whitespace removed) in every one of ``fields``."""
    return all(_text(g.get(f)) == _text(p.get(f)) for f in fields)
