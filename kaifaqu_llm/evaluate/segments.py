"""Scoring a segmentation against gold annotations (tests/gold format).

Gold verbatim fields have all whitespace removed, so every comparison squashes our text the
same way (:func:`kaifaqu_llm.core.text.squash`). Matching: each gold article is paired with the one of
our articles on the same page whose squashed body contains the gold ``body_start`` (else
``body_end``), preferring an equal title, one-to-one in page order. Unmatched gold articles are
"missed"; unmatched articles of ours are "spurious".

Per page and overall, :func:`score_segmentation` counts, among gold articles:
``found`` (matched), ``title``, ``zone_header``, ``subtitle``, ``authors`` (same names, any
order), ``continuation`` (both ``continued_from`` and ``continues_to``), ``body_exact`` (our
squashed body starts with ``body_start`` and ends with ``body_end``) and ``body_contains`` (both
occur in it), each as a count and as a rate over the gold articles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..core.document import Article
from ..core.errors import input_error
from .gold import GoldPage, squash

__all__ = ["score_segmentation", "SEGMENT_CHECKS"]

SEGMENT_CHECKS = ("found", "title", "zone_header", "subtitle", "authors", "continuation",
                  "body_exact", "body_contains")


def _same(a: str | None, b: str | None) -> bool:
    return (squash(a) or None) == (squash(b) or None)


def _match(gold: Sequence[dict], ours: Sequence[Article]) -> list[int | None]:
    bodies = [squash(a.text) or "" for a in ours]
    used: set[int] = set()
    pairs: list[int | None] = []
    for g in gold:
        start, end = squash(g.get("body_start")) or "", squash(g.get("body_end")) or ""
        candidates = [k for k, body in enumerate(bodies) if k not in used and start and start in body]
        if not candidates:
            candidates = [k for k, body in enumerate(bodies) if k not in used and end and end in body]
        if not candidates:
            pairs.append(None)
            continue
        titled = [k for k in candidates if _same(ours[k].title, g.get("title"))]
        pick = (titled or candidates)[0]
        used.add(pick)
        pairs.append(pick)
    return pairs


def _checks(g: dict, a: Article) -> dict[str, bool]:
    body = squash(a.text) or ""
    start, end = squash(g.get("body_start")) or "", squash(g.get("body_end")) or ""
    gold_authors = sorted(squash(x) for x in g.get("authors") or [])
    return {
        "found": True,
        "title": _same(a.title, g.get("title")),
        "zone_header": _same(a.zone_header, g.get("zone_header")),
        "subtitle": _same(a.subtitle, g.get("subtitle")),
        "authors": sorted(squash(x) for x in a.authors) == gold_authors,
        "continuation": _same(a.continued_from, g.get("continued_from"))
        and _same(a.continues_to, g.get("continues_to")),
        "body_exact": body.startswith(start) and body.endswith(end),
        "body_contains": start in body and end in body,
    }


def _rates(counts: dict[str, int], total: int) -> dict[str, float]:
    return {k: (counts[k] / total if total else 1.0) for k in SEGMENT_CHECKS}


def score_segmentation(gold_pages: Mapping[str, GoldPage], segments: Mapping[str, Sequence[Article]]) -> dict:
    """Return ``{"pages": {source: page_score}, "overall": score}``; a score holds ``gold``,
    ``ours``, ``spurious``, ``counts`` and ``rates`` for every check in :data:`SEGMENT_CHECKS`,
    and a page score also ``articles``: one entry per gold article with the failed checks."""
    pages: dict[str, dict] = {}
    total = {k: 0 for k in SEGMENT_CHECKS}
    n_gold = n_ours = n_spurious = 0
    for source, gold_page in gold_pages.items():
        ours = list(segments.get(source, ()))
        gold = list(gold_page.articles)
        pairs = _match(gold, ours)
        counts = {k: 0 for k in SEGMENT_CHECKS}
        details = []
        for g, pick in zip(gold, pairs):
            checks = _checks(g, ours[pick]) if pick is not None else {k: False for k in SEGMENT_CHECKS}
            for k, ok in checks.items():
                counts[k] += ok
            details.append({"gold_index": g.get("index"), "ours": None if pick is None else ours[pick].index,
                            "failed": [k for k, ok in checks.items() if not ok]})
        spurious = len(ours) - sum(p is not None for p in pairs)
        pages[source] = {"gold": len(gold), "ours": len(ours), "spurious": spurious, "counts": counts,
                         "rates": _rates(counts, len(gold)), "articles": details}
        for k in SEGMENT_CHECKS:
            total[k] += counts[k]
        n_gold, n_ours, n_spurious = n_gold + len(gold), n_ours + len(ours), n_spurious + spurious
    overall = {"gold": n_gold, "ours": n_ours, "spurious": n_spurious, "counts": total,
               "rates": _rates(total, n_gold)}
    return {"pages": pages, "overall": overall}


def segments_of_run(profiles: str | Path) -> dict[str, list[Article]]:
    """Return the layout segmentation of the pages a run read, keyed by page source.

    The pages are those ``manifest.json`` beside ``profiles`` lists (by path); a page
    that is missing or changed since the run (its SHA-256 differs) raises
    :class:`InputError` naming it, so the score is always of the text the run saw.
    """
    import hashlib
    import json

    from ..pages.reader import read_page
    from ..pages.segment import segment

    manifest_path = Path(profiles).parent / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise input_error(manifest_path, f"cannot read the run's manifest ({exc.__class__.__name__})") from None
    pages: dict[str, list[Article]] = {}
    for entry in manifest.get("pages") or []:
        path = Path(entry.get("path") or "")
        try:
            data = path.read_bytes()
        except OSError:
            raise input_error(path, "page of the run is missing (score `kaifaqu segment --json` output instead)") \
                from None
        if entry.get("sha256") and hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise input_error(path, "page changed since the run")
        page = read_page(path)
        pages[page.source] = list(segment(page))
    return pages
