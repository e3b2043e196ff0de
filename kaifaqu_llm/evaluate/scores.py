"""Scoring extractions against gold annotations (``kaifaqu eval``).

Facts are pooled per page (the record's ``source``) on both sides and matched
one-to-one: each gold fact matches at most one prediction, exact agreements
are paired first, lenient ones after. Matching rules, per category:

* ``zones`` — a zone's names are its ``mention`` and ``canonical``; two zones
  match when any name of one equals, contains or is contained in any name of
  the other (whitespace removed).
* ``indicators`` — value and unit agree: the values are numerically equal and
  the units are equal once the approximation words 余 / 多 / 以上 / 左右 are
  removed (``"20"+"余家"`` = ``20 家``), or both normalise to the same amount
  in the same base unit (``2 万人`` = ``20000 人``).
* ``indicators_named`` — as ``indicators`` and the names agree (see
  :func:`names_agree`): after removing whitespace and the generic words
  数量 / 总数 / 总量 / 总额 / 总计 / 累计, one name contains the other, or at
  least half of the shorter name's character bigrams occur in the other
  (规上工业增加值 ~ 规模以上工业增加值). A bare unit is not a name.
* ``projects``, ``organizations`` — names equal or one contains the other.
* ``people`` — person names equal.
* ``events`` — dates equal or one contains the other (去年10月27日 ~ 10月27日)
  and the descriptions overlap: one contains the other, or at least 40% of the
  shorter one's character bigrams occur in the other.

Precision / recall / F1 with nothing to divide by are 1.0 when there was
nothing to find and nothing found, 0.0 otherwise.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable, Iterable

from ..core.document import Article
from ..core.errors import InputError, input_error
from .gold import GoldPage, squash
from ..core.numbers import normalize_unit, parse_number
from ..outputs.files import read_profiles

__all__ = [
    "CATEGORIES",
    "score_profiles",
    "format_table",
    "format_segment_table",
    "fact_matches",
    "load_segments",
    "names_agree",
    "bigram_overlap",
]

CATEGORIES = ("zones", "indicators", "indicators_named", "projects", "organizations", "people", "events")

_FACT_KEYS = ("zones", "indicators", "projects", "organizations", "people", "events")
_GENERIC_NAME_WORDS = ("数量", "总数", "总量", "总额", "总计", "累计")
_APPROX_IN_UNIT = ("余", "多", "以上", "左右")


# --- text agreement -----------------------------------------------------------

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


def names_agree(a: str | None, b: str | None) -> bool:
    """Return True when two indicator names say the same thing (rule in the module docstring)."""
    x, y = _name_key(a), _name_key(b)
    if len(x) < 2 or len(y) < 2:
        return False
    return _contains_either(x, y) or bigram_overlap(x, y) >= 0.5


def _name_key(name: str | None) -> str:
    text = squash(name or "") or ""
    for word in _GENERIC_NAME_WORDS:
        text = text.replace(word, "")
    return text


# --- fact normalisation ----------------------------------------------------------

def _text(value: Any) -> str:
    if value is None:
        return ""
    return squash(str(value)) or ""


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


def _same_number(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _indicators_match(g: dict, p: dict) -> bool:
    gk, pk = g["_key"], p["_key"]
    if gk is None or pk is None:
        return False
    if _same_number(gk[0], pk[0]) and gk[1] == pk[1]:
        return True
    gn, pn = normalize_unit(gk[0], gk[1]), normalize_unit(pk[0], pk[1])
    return gn is not None and pn is not None and gn[1] == pn[1] and _same_number(gn[0], pn[0])


def _zone_names(fact: dict) -> list[str]:
    return [n for n in (_text(fact.get("mention")), _text(fact.get("canonical"))) if n]


def _zones_match(g: dict, p: dict) -> bool:
    return any(_contains_either(a, b) for a in _zone_names(g) for b in _zone_names(p))


def _name_match(g: dict, p: dict) -> bool:
    return _contains_either(_text(g.get("name")), _text(p.get("name")))


def _people_match(g: dict, p: dict) -> bool:
    a, b = _text(g.get("name")), _text(p.get("name"))
    return bool(a) and a == b


def _events_match(g: dict, p: dict) -> bool:
    if not _contains_either(_text(g.get("date")), _text(p.get("date"))):
        return False
    a, b = _text(g.get("what")), _text(p.get("what"))
    return _contains_either(a, b) or bigram_overlap(a, b) >= 0.4


def _exact(g: dict, p: dict, fields: tuple[str, ...]) -> bool:
    return all(_text(g.get(f)) == _text(p.get(f)) for f in fields)


_MATCHERS: dict[str, tuple[Callable[[dict, dict], bool], tuple[str, ...]]] = {
    "zones": (_zones_match, ("mention",)),
    "indicators": (_indicators_match, ("value", "unit")),
    "indicators_named": (lambda g, p: _indicators_match(g, p) and names_agree(g.get("name"), p.get("name")),
                         ("value", "unit", "name")),
    "projects": (_name_match, ("name",)),
    "organizations": (_name_match, ("name",)),
    "people": (_people_match, ("name",)),
    "events": (_events_match, ("date", "what")),
}


def fact_matches(category: str, a: dict, b: dict) -> bool:
    """Return True when facts ``a`` and ``b`` (dicts, or bare organization names) of ``category`` match.

    ``category`` is one of :data:`CATEGORIES`; the rules are those of the module docstring.
    """
    a, b = ({"name": x} if isinstance(x, str) else dict(x) for x in (a, b))
    if category in ("indicators", "indicators_named"):
        a["_key"], b["_key"] = _indicator_key(a), _indicator_key(b)
    return _MATCHERS[category][0](a, b)


def _facts(articles: Iterable[dict], category: str) -> list[dict]:
    """Pool one category's facts of a page; organizations may be bare strings in gold."""
    source_key = "indicators" if category == "indicators_named" else category
    facts: list[dict] = []
    seen: set[str] = set()
    for article in articles:
        for fact in article.get(source_key) or []:
            if isinstance(fact, str):
                fact = {"name": fact}
            if not isinstance(fact, dict):
                continue
            fact = dict(fact)
            if source_key == "indicators":
                fact["_key"] = _indicator_key(fact)
            # the same fact stated twice on a page (e.g. once per article) counts once
            identity = json.dumps({k: _text(v) for k, v in sorted(fact.items())
                                   if k in ("mention", "name", "value", "unit", "date", "what", "evidence")},
                                  ensure_ascii=False)
            if category in ("organizations", "people", "projects"):
                identity = _text(fact.get("name"))
            elif category == "zones":
                identity = _text(fact.get("canonical") or fact.get("mention"))
            if identity in seen:
                continue
            seen.add(identity)
            facts.append(fact)
    return facts


def _match(gold: list[dict], pred: list[dict], category: str) -> int:
    """Return the number of one-to-one matches: exact agreements first, then a maximum matching of the rest."""
    matcher, exact_fields = _MATCHERS[category]
    used: set[int] = set()
    unmatched = []
    for g in gold:
        hit = next((i for i, p in enumerate(pred) if i not in used and matcher(g, p) and _exact(g, p, exact_fields)),
                   None)
        if hit is None:
            unmatched.append(g)
        else:
            used.add(hit)
    free = [i for i in range(len(pred)) if i not in used]
    edges = [[i for i in free if matcher(g, pred[i])] for g in unmatched]
    owner: dict[int, int] = {}

    def augment(j: int, seen: set[int]) -> bool:  # Kuhn's augmenting path
        for i in edges[j]:
            if i not in seen:
                seen.add(i)
                if i not in owner or augment(owner[i], seen):
                    owner[i] = j
                    return True
        return False

    lenient = sum(1 for j in range(len(unmatched)) if augment(j, set()))
    return len(used) + lenient


def _prf(tp: int, fp: int, fn: int) -> dict:
    if tp + fp + fn == 0:
        precision = recall = f1 = 1.0
    else:
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4)}


def score_profiles(gold: dict[str, GoldPage], records: list[dict]) -> dict:
    """Score profile records against gold pages.

    A record's facts count on the page named by the fact's ``evidence_source`` (set for
    stitched articles) or else the record's ``source``.
    Returns ``{"overall": {category: {tp, fp, fn, precision, recall, f1}}, "pages": {source: {...}},
    "unscored_sources": [sources of records with no gold page]}``; only pages in ``gold`` are scored
    (a gold page without any record scores zero recall).
    """
    by_source: dict[str, list[dict]] = {}
    for record in records:
        # an article stitched across pages (上接/下转) scores each fact on the page that holds its evidence
        for key in _FACT_KEYS:
            for fact in record.get(key) or []:
                page = fact.get("evidence_source") if isinstance(fact, dict) else None
                page = page or str(record.get("source"))
                by_source.setdefault(page, [{}])[0].setdefault(key, []).append(fact)
    totals = {c: [0, 0, 0] for c in CATEGORIES}
    pages: dict[str, dict] = {}
    for source in sorted(gold):
        predicted = by_source.get(source, [])
        page_scores = {}
        for category in CATEGORIES:
            g = _facts(gold[source].articles, category)
            p = _facts(predicted, category)
            tp = _match(g, p, category)
            counts = (tp, len(p) - tp, len(g) - tp)
            page_scores[category] = _prf(*counts)
            for i, n in enumerate(counts):
                totals[category][i] += n
        pages[source] = page_scores
    return {
        "overall": {c: _prf(*totals[c]) for c in CATEGORIES},
        "pages": pages,
        "unscored_sources": sorted(set(by_source) - set(gold)),
    }


def load_segments(path: str | Path) -> dict[str, list[Article]]:
    """Return the articles of a ``kaifaqu segment --json`` file, keyed by page source.

    The file is a JSON array of page objects ``{"source", "articles": [article JSON]}``;
    anything else raises :class:`InputError` naming the file.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise input_error(path, f"cannot read segments ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise input_error(path, f"not JSON (line {exc.lineno}: {exc.msg})") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise input_error(path, "expected a JSON array of page objects")
    pages: dict[str, list[Article]] = {}
    for n, page in enumerate(data):
        if not isinstance(page, dict) or not isinstance(page.get("source"), str) \
                or not isinstance(page.get("articles"), list):
            raise input_error(path, f'page {n}: expected an object with "source" and an "articles" list')
        articles = []
        for i, a in enumerate(page["articles"]):
            if not isinstance(a, dict) or not isinstance(a.get("text", ""), str):
                raise input_error(path, f"page {n} ({page['source']}): article {i} is not an article object")
            articles.append(Article(
                source=page["source"], index=int(a.get("index", i)), title=a.get("title"), text=a.get("text") or "",
                start=int(a.get("start") or 0), end=int(a.get("end") or 0), zone_header=a.get("zone_header"),
                subtitle=a.get("subtitle"), authors=tuple(a.get("authors") or ()),
                continued_from=a.get("continued_from"), continues_to=a.get("continues_to"),
            ))
        pages[page["source"]] = articles
    return pages


_SHORT = {"zones": "zones", "indicators": "ind", "indicators_named": "ind+nm", "projects": "proj",
          "organizations": "org", "people": "people", "events": "events"}


def format_table(scores: dict) -> str:
    """Return the overall scores (and per-page F1) as a plain-text table."""
    header = f"{'category':<18}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}{'f1':>7}"
    lines = [header, "-" * len(header)]
    for category in CATEGORIES:
        s = scores["overall"][category]
        lines.append(f"{category:<18}{s['tp']:>5}{s['fp']:>5}{s['fn']:>5}"
                     f"{s['precision']:>11.3f}{s['recall']:>8.3f}{s['f1']:>7.3f}")
    if len(scores.get("pages", {})) > 1:
        lines.append("")
        lines.append("F1 per page  " + " ".join(f"{_SHORT[c]:>7}" for c in CATEGORIES))
        for source, page in scores["pages"].items():
            lines.append(f"{source[:12]:<13}" + " ".join(f"{page[c]['f1']:>7.3f}" for c in CATEGORIES))
    if scores.get("unscored_sources"):
        lines.append(f"(no gold for {len(scores['unscored_sources'])} page(s): "
                     + ", ".join(scores["unscored_sources"][:5]) + ")")
    return "\n".join(lines)


def format_segment_table(scores: dict) -> str:
    """Return segmentation scores (from ``score_segmentation``) as a plain-text table: rate per check and page."""
    checks = list(scores["overall"]["rates"])
    lines = [f"{'page':<14}{'gold':>5}{'ours':>5}{'spur':>5} " + " ".join(f"{c[:9]:>9}" for c in checks)]
    rows = list(scores["pages"].items()) + [("overall", scores["overall"])]
    for name, s in rows:
        lines.append(f"{name[:13]:<14}{s['gold']:>5}{s['ours']:>5}{s['spurious']:>5} "
                     + " ".join(f"{s['rates'][c]:>9.3f}" for c in checks))
    return "\n".join(lines)
