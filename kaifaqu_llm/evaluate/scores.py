"""Scoring extractions against gold annotations (``kaifaqu eval``).

Facts are pooled per page (the record's ``source``) on both sides, the same
fact stated twice on a page counting once (its kind's identity), and matched
one-to-one: each gold fact matches at most one prediction, exact agreements
are paired first, lenient ones after. The rows of the table, and each row's
matching rule, come from the fact-kind registry (:func:`~kaifaqu_llm.core.facts.eval_rows`;
the rules are in :mod:`kaifaqu_llm.core.matching`): zones, industries,
indicators (value + unit), indicators_named (and the name), projects,
organizations, people, events.

Precision / recall / F1 with nothing to divide by are 1.0 when there was
nothing to find and nothing found, 0.0 otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ..core.document import Article
from ..core.errors import InputError, input_error
from ..core.facts import EvalRow, FactKind, eval_rows, fact_kinds
from ..core.matching import bigram_overlap, fields_agree, names_agree
from .gold import GoldPage

__all__ = [
    "score_profiles",
    "format_table",
    "format_segment_table",
    "format_misses",
    "fact_matches",
    "load_segments",
    "names_agree",
    "bigram_overlap",
]


def _row(name: str) -> tuple[FactKind, EvalRow]:
    for kind in fact_kinds():
        for row in kind.eval_rows:
            if row.name == name:
                return kind, row
    raise KeyError(name)


def fact_matches(category: str, a: dict, b: dict) -> bool:
    """Return True when facts ``a`` and ``b`` (dicts, or bare names) of ``category`` match.

    ``category`` is a row of the eval table (a kind's name, or ``indicators_named``); the
    rule is that row's matcher in the fact-kind registry.
    """
    _, row = _row(category)
    a, b = ({"name": x} if isinstance(x, str) else dict(x) for x in (a, b))
    return row.matches(a, b)


def _facts(articles: Iterable[dict], kind: FactKind, row: EvalRow) -> list[dict]:
    """Pool one kind's facts of a page, each once; bare strings in gold (organizations, industries) are names."""
    facts: list[dict] = []
    seen: set[tuple] = set()
    for article in articles:
        for fact in article.get(kind.name) or []:
            if isinstance(fact, str):
                fact = {"name": fact}
            if not isinstance(fact, dict):
                continue
            identity = kind.eval_key(fact)
            if identity in seen:
                continue
            seen.add(identity)
            facts.append(row.prepare(fact) if row.prepare else dict(fact))
    return facts


def _match(gold: list[dict], pred: list[dict], row: EvalRow) -> dict[int, int]:
    """Return the one-to-one matching as {gold index: prediction index}: exact agreements first,
    then a maximum matching of the rest."""
    matcher, exact_fields = row.matches, row.exact
    pairs: dict[int, int] = {}
    used: set[int] = set()  # the predictions already paired
    unmatched = []
    for j, g in enumerate(gold):
        hit = next((i for i, p in enumerate(pred)
                    if i not in used and matcher(g, p) and fields_agree(g, p, exact_fields)), None)
        if hit is None:
            unmatched.append(j)
        else:
            pairs[j] = hit
            used.add(hit)
    free = [i for i in range(len(pred)) if i not in used]
    edges = [[i for i in free if matcher(gold[j], pred[i])] for j in unmatched]
    owner: dict[int, int] = {}

    def augment(j: int, seen: set[int]) -> bool:  # Kuhn's augmenting path
        for i in edges[j]:
            if i not in seen:
                seen.add(i)
                if i not in owner or augment(owner[i], seen):
                    owner[i] = j
                    return True
        return False

    for j in range(len(unmatched)):
        augment(j, set())
    pairs.update({unmatched[j]: i for i, j in owner.items()})
    return pairs


def _prf(tp: int, fp: int, fn: int) -> dict:
    if tp + fp + fn == 0:
        precision = recall = f1 = 1.0
    else:
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4)}


def score_profiles(gold: dict[str, GoldPage], records: list[dict], misses: bool = False) -> dict:
    """Score profile records against gold pages.

    A record's facts count on the page named by the fact's ``evidence_source`` (set for
    stitched articles) or else the record's ``source``.
    Returns ``{"overall": {category: {tp, fp, fn, precision, recall, f1}}, "pages": {source: {...}},
    "unscored_sources": [sources of records with no gold page]}``; only pages in ``gold`` are scored
    (a gold page without any record scores zero recall). With ``misses``, each page's row also
    holds ``"missed"`` (gold facts nothing matched) and ``"spurious"`` (predictions that matched nothing).
    """
    by_source: dict[str, list[dict]] = {}
    for record in records:
        # an article stitched across pages (上接/下转) scores each fact on the page that holds its evidence
        for kind in fact_kinds():
            for fact in record.get(kind.name) or []:
                page = fact.get("evidence_source") if isinstance(fact, dict) else None
                page = page or str(record.get("source"))
                by_source.setdefault(page, [{}])[0].setdefault(kind.name, []).append(fact)
    rows = [(kind, row) for kind in fact_kinds() for row in kind.eval_rows]
    totals = {row.name: [0, 0, 0] for _, row in rows}
    pages: dict[str, dict] = {}
    for source in sorted(gold):
        predicted = by_source.get(source, [])
        page_scores = {}
        for kind, row in rows:
            g = _facts(gold[source].articles, kind, row)
            p = _facts(predicted, kind, row)
            pairs = _match(g, p, row)
            tp = len(pairs)
            counts = (tp, len(p) - tp, len(g) - tp)
            page_scores[row.name] = _prf(*counts)
            if misses:
                page_scores[row.name]["missed"] = [f for j, f in enumerate(g) if j not in pairs]
                paired = set(pairs.values())
                page_scores[row.name]["spurious"] = [f for i, f in enumerate(p) if i not in paired]
            for i, n in enumerate(counts):
                totals[row.name][i] += n
        pages[source] = page_scores
    return {
        "overall": {name: _prf(*counts) for name, counts in totals.items()},
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


def format_table(scores: dict) -> str:
    """Return the overall scores (and per-page F1) as a plain-text table."""
    header = f"{'category':<18}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}{'f1':>7}"
    lines = [header, "-" * len(header)]
    rows = [row for row in eval_rows() if row.name in scores["overall"]]
    for category in (row.name for row in rows):
        s = scores["overall"][category]
        lines.append(f"{category:<18}{s['tp']:>5}{s['fp']:>5}{s['fn']:>5}"
                     f"{s['precision']:>11.3f}{s['recall']:>8.3f}{s['f1']:>7.3f}")
    if len(scores.get("pages", {})) > 1:
        lines.append("")
        lines.append("F1 per page  " + " ".join(f"{row.short:>7}" for row in rows))
        for source, page in scores["pages"].items():
            lines.append(f"{source[:12]:<13}" + " ".join(f"{page[row.name]['f1']:>7.3f}" for row in rows))
    if scores.get("unscored_sources"):
        lines.append(f"(no gold for {len(scores['unscored_sources'])} page(s): "
                     + ", ".join(scores["unscored_sources"][:5]) + ")")
    return "\n".join(lines)


def _fact_label(fact: dict) -> str:
    label = str(fact.get("name") or fact.get("title") or fact.get("canonical") or fact.get("mention") or "")
    for key in ("value", "unit"):
        if fact.get(key) not in (None, ""):
            label += f" {fact[key]}"
    return label.strip() or json.dumps(fact, ensure_ascii=False)[:60]


def format_misses(scores: dict) -> str:
    """Return, per page and category, the gold facts missed (``-``) and the predictions that
    matched no gold fact (``+``), from ``score_profiles(..., misses=True)``."""
    lines = []
    for source, page in scores["pages"].items():
        for category, s in page.items():
            missed, spurious = s.get("missed") or [], s.get("spurious") or []
            if missed or spurious:
                lines.append(f"{source}  {category}")
                lines += [f"  - {_fact_label(f)}" for f in missed]
                lines += [f"  + {_fact_label(f)}" for f in spurious]
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
