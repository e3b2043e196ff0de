"""The review page: one self-contained HTML file to check every extracted fact against its page.

Each page's articles are shown in their original text with every grounded fact
highlighted at its offsets (a ``<mark>`` per fact, coloured by category;
overlapping facts nest, and a fact crossing another is split into pieces that
share its ``data-fact`` id). Ungrounded facts are listed under their article,
marked. A per-zone table (with catalog columns when zones are linked) and
filters by zone and category sit on top. CSS and JS are inline: the file makes
no network request. Every piece of text is HTML-escaped — OCR output is data.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..core.facts import fact_kind, fact_kinds, zone_fact_kinds
from ..ground.counted import is_counted
from ..zones.registry import UNASSIGNED, build_registry
from .files import PROFILES_FILE, atomic_write_text, read_profiles

__all__ = ["render_report", "write_report", "load_pages"]


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    fact_id: str
    category: str
    label: str

    def open_tag(self) -> str:
        return (f'<mark class="hl c-{self.category}" data-fact="{self.fact_id}" data-cat="{self.category}" '
                f'title="{_e(fact_kind(self.category).label + "：" + self.label)}">')


def _category_css() -> str:
    """Return the CSS of every kind's colour: a ``--<kind>`` variable, its marks and its fact list items."""
    kinds = fact_kinds()
    return "\n".join([":root { " + " ".join(f"--{k.name}:{k.colour};" for k in kinds) + " }"] + [
        f"mark.c-{k.name} {{ background: var(--{k.name}); }} ul.facts li.c-{k.name} {{ border-color: var(--{k.name}); }}"
        for k in kinds])


def highlight(text: str, base: int, spans: list[_Span]) -> str:
    """Return ``text`` (which starts at page offset ``base``) as HTML with ``spans`` marked.

    Spans nest when one contains another; a span crossing the end of another is
    closed and re-opened around it, so every piece of it keeps its fact id.
    """
    spans = sorted(spans, key=lambda s: (s.start, -s.end, s.fact_id))
    bounds = sorted({base, base + len(text), *(s.start for s in spans), *(s.end for s in spans)})
    out: list[str] = []
    stack: list[_Span] = []
    pending = list(spans)
    position = base
    for bound in bounds:
        out.append(_e(text[position - base: bound - base]))
        position = bound
        reopen: list[_Span] = []
        while any(s.end == bound for s in stack):
            span = stack.pop()
            out.append("</mark>")
            if span.end != bound:
                reopen.append(span)
        starting = [s for s in pending if s.start == bound]
        pending = [s for s in pending if s.start != bound]
        for span in sorted(reopen + starting, key=lambda s: (-s.end, s.fact_id)):
            out.append(span.open_tag())
            stack.append(span)
    out.extend("</mark>" for _ in stack)
    return "".join(out)


def _article_zones(registry: list[dict]) -> dict[tuple, list[dict]]:
    zones: dict[tuple, list[dict]] = {}
    for zone in registry:
        for source in zone.get("sources", []):
            zones.setdefault((source["source"], source["article_index"]), []).append(zone)
    return zones


def _fact_item(fact_id: str, category: str, fact: dict, status: str) -> str:
    badge = {"ungrounded": '<span class="badge ungrounded">未定位 ungrounded</span>',
             "outside": '<span class="badge outside">偏移超出文章/原文缺失 not shown</span>'}.get(status, "")
    css = f"fact c-{category}" + (" ungrounded" if status == "ungrounded" else "")
    return (f'<li class="{css}" data-fact="{fact_id}" data-cat="{category}" data-status="{status}">'
            f'<span class="cat">{fact_kind(category).label}</span>{_e(fact_kind(category).describe(fact))}{badge}'
            f'<div class="ev">“{_e(fact.get("evidence"))}”</div></li>')


def _parts(record: dict, pages: dict[str, str]) -> list[tuple[str, int, int, str | None]]:
    """Return the article's page regions as (source, start, end, page text or None when unusable)."""
    parts = record.get("parts") or [(record.get("source"), record.get("article_start"), record.get("article_end"))]
    out = []
    for part in parts:
        source, start, end = (list(part) + [None, None, None])[:3]
        text = pages.get(str(source))
        valid = text is not None and isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text)
        out.append((str(source), start, end, text if valid else None))
    return out


def _squash(text: str) -> str:
    return "".join(text.split())


def _place(fact: dict, parts: list[tuple]) -> int | None:
    """Return the index of the part the fact's offsets point into, or None.

    Offsets of a stitched article's facts point into whichever page they were
    found on; when two parts' ranges both contain them, the part whose text at
    the offsets is the evidence wins.
    """
    start, end = fact.get("start"), fact.get("end")
    fits = [i for i, (source, p_start, p_end, text) in enumerate(parts)
            if text is not None and p_start <= start < end <= p_end
            and fact.get("source") in (None, source)]
    same = [i for i in fits if _squash(parts[i][3][start:end]) == _squash(fact.get("evidence") or "")]
    return (same or fits or [None])[0]


def _render_article(record: dict, pages: dict[str, str], zones: list[dict], counter: list[int]) -> str:
    parts = _parts(record, pages)
    spans: list[list[_Span]] = [[] for _ in parts]
    items, counts = [], {"grounded": 0, "ungrounded": 0, "outside": 0}
    for kind in fact_kinds():
        category = kind.name
        for fact in record.get(category) or []:
            counter[0] += 1
            fact_id = f"f{counter[0]}"
            f_start, f_end = fact.get("start"), fact.get("end")
            if not fact.get("grounded") or not isinstance(f_start, int) or not isinstance(f_end, int):
                status = "ungrounded"
            elif (part := _place(fact, parts)) is not None:
                status = "grounded"
                spans[part].append(_Span(f_start, f_end, fact_id, category, kind.describe(fact)))
            else:
                status = "outside"
            counts[status] += 1
            items.append(_fact_item(fact_id, category, fact, status))
    zone_ids = " ".join(z["zone_id"] for z in zones) or UNASSIGNED
    where = (record.get("source"), record.get("article_index"))
    primary = {z["zone_id"] for z in zones for s in z.get("sources", [])
               if (s["source"], s["article_index"]) == where and s.get("primary")}
    zone_tags = "".join(f'<span class="zone{" primary" if z["zone_id"] in primary else ""}">'
                        f'{_e(z.get("canonical"))}</span>' for z in zones)
    title = record.get("title")
    head = [f'<h3>{_e(title) if title else "<i>（无标题 untitled）</i>"}</h3>',
            f'<div class="meta">#{_e(record.get("article_index"))} '
            + (f'· {_e(record.get("zone_header"))} ' if record.get("zone_header") else "")
            + f'· {zone_tags} · {counts["grounded"]} 已定位 grounded, {counts["ungrounded"]} 未定位 ungrounded'
            + (f', {counts["outside"]} 未显示 not shown' if counts["outside"] else "") + "</div>"]
    if record.get("error"):
        head.append(f'<div class="error">错误 error: {_e(record["error"])}</div>')
    blocks = []
    for (source, start, end, text), part_spans in zip(parts, spans):
        label = f'<div class="part">{_e(source)} [{start}:{end}]</div>' if len(parts) > 1 else ""
        if text is None:
            blocks.append(f'{label}<div class="notice">无原文：事实未在文中标注 '
                          f'(no page text: facts listed without highlighting)</div>')
        else:
            blocks.append(f'{label}<div class="text" data-source="{_e(source)}">'
                          f'{highlight(text[start:end], start, part_spans)}</div>')
    body = "".join(blocks)
    facts = (f'<details class="facts" open><summary>事实 facts ({len(items)})</summary>'
             f'<ul class="facts">{"".join(items)}</ul></details>')
    return (f'<article data-source="{_e(record.get("source"))}" data-index="{_e(record.get("article_index"))}" '
            f'data-zones="{_e(zone_ids)}">{"".join(head)}{body}{facts}</article>')


def _zone_table(registry: list[dict]) -> str:
    linked = any(z.get("catalog_code") for z in registry)
    head = ["开发区 Zone", "类型 Type", "别名 Aliases", "城市 City", "省份 Province", "级别 Level"]
    if linked:
        head += ["目录代码 Catalog", "正式名称 Official name", "匹配分 Score"]
    kinds = zone_fact_kinds()
    head += ["文章 Articles", *(k.label for k in kinds), "未定位 Ungrounded"]
    rows = []
    for zone in registry:
        facts = [f for k in kinds for f in zone.get(k.name, [])]
        ungrounded = sum(1 for f in facts for o in f.get("occurrences", [f]) if not o.get("grounded"))
        name = zone.get("canonical") or "未归属 unassigned"
        cells = [_e(name), _e(zone.get("type")), _e("、".join(zone.get("aliases", []))), _e(zone.get("city")),
                 _e(zone.get("province")), _e(zone.get("level"))]
        if linked:
            score = zone.get("link_score")
            cells += [_e(zone.get("catalog_code")), _e(zone.get("official_name")),
                      "" if score is None else f"{score:.2f}"]
        numbers = [len(zone.get("sources", [])), *(len(zone.get(k.name, [])) for k in kinds),
                   ungrounded]
        rows.append(f'<tr data-zone="{_e(zone["zone_id"])}">' + "".join(f"<td>{c}</td>" for c in cells)
                    + "".join(f'<td class="num">{n}</td>' for n in numbers) + "</tr>")
    return ('<div class="table-wrap"><table id="zone-table"><thead><tr>' + "".join(f"<th>{h}</th>" for h in head)
            + f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def render_report(records: list[dict], pages: dict[str, str] | None, registry: list[dict] | None = None, *,
                  keep_ungrounded: bool = False) -> str:
    """Return the review page of ``records`` as one self-contained HTML document.

    ``pages`` maps a record's ``source`` to its original page text (the text the
    offsets point into); articles of a page missing from it are shown without
    highlighting and say so. ``registry`` defaults to ``build_registry(records, keep_ungrounded=...)``.
    Every fact is listed under its article; the totals, like the registry, count
    ungrounded facts only with ``keep_ungrounded`` (they are shown apart otherwise).
    """
    pages = pages or {}
    registry = build_registry(records, keep_ungrounded=keep_ungrounded) if registry is None else registry
    by_article = _article_zones(registry)
    counter = [0]
    sections = []
    by_source: dict[str, list[dict]] = {}
    for record in records:
        by_source.setdefault(str(record.get("source")), []).append(record)
    for source, page_records in by_source.items():
        note = "" if source in pages else '<div class="notice">未找到版面原文 page text not found</div>'
        articles = "".join(
            _render_article(r, pages, [z for z in by_article.get((r.get("source"), r.get("article_index")), [])
                                      if not z.get("unassigned")], counter)
            for r in sorted(page_records, key=lambda r: (r.get("article_index") is None, r.get("article_index")))
        )
        sections.append(f'<section class="page" data-source="{_e(source)}"><h2>{_e(source)}</h2>{note}{articles}</section>')

    facts = [f for r in records for k in fact_kinds() for f in r.get(k.name) or []]
    grounded = sum(1 for f in facts if f.get("grounded"))
    counted = sum(1 for f in facts if is_counted(f, keep_ungrounded))
    stats = "".join(f"<span>{label} <b>{n}</b></span>" for label, n in [
        ("版面 pages", len(by_source)), ("文章 articles", len(records)),
        ("开发区 zones", sum(1 for z in registry if not z.get("unassigned"))), ("事实 facts", counted),
        ("已定位 grounded", grounded),
        ("未定位 ungrounded" + ("" if keep_ungrounded else " (未计入 not counted)"), len(facts) - grounded)])
    options = "".join(f'<option value="{_e(z["zone_id"])}">{_e(z.get("canonical") or "未归属 unassigned")}</option>'
                      for z in registry)
    boxes = "".join(f'<label><input type="checkbox" value="{k.name}" checked><span class="swatch" '
                    f'style="background:var(--{k.name})"></span>{k.label}</label>' for k in fact_kinds())
    hide_css = "\n".join(f".hide-{c} mark.c-{c} {{ background: transparent; box-shadow: none; }} "
                         f".hide-{c} li.c-{c} {{ display: none; }}" for c in (k.name for k in fact_kinds()))
    template = resources.files(__package__).joinpath("report_template.html").read_text(encoding="utf-8")
    for marker, value in [("/*@CATEGORY_CSS*/", _category_css()), ("/*@CATEGORY_FILTER_CSS*/", hide_css), ("<!--@STATS-->", stats),
                          ("<!--@ZONE_OPTIONS-->", options), ("<!--@CATEGORY_BOXES-->", boxes),
                          ("<!--@ZONE_TABLE-->", _zone_table(registry)), ("<!--@PAGES-->", "\n".join(sections))]:
        template = template.replace(marker, value, 1)
    return template


def _decode(path: Path, encoding: str | None) -> str | None:
    try:
        # bytes → str keeps \r\n: offsets count them (read_text would translate them).
        return path.read_bytes().decode(encoding or "utf-8")
    except (OSError, UnicodeDecodeError, LookupError):
        return None


def load_pages(out_dir: str | Path, sources: set[str]) -> dict[str, str]:
    """Return the original text of each page in ``sources`` that can be found, by source.

    Looks in ``OUT/pages/<source>`` first, then at the ``path`` recorded in
    ``OUT/manifest.json`` (relative paths tried from the working directory and
    from OUT). A page whose text no longer matches the manifest's ``sha256`` is
    left out: its offsets would point at the wrong characters.
    """
    out = Path(out_dir)
    entries: dict[str, dict] = {}
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        entries = {p["source"]: p for p in manifest.get("pages", []) if isinstance(p, dict) and p.get("source")}
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    pages = {}
    for source in sources:
        entry = entries.get(source, {})
        # A source is a bare file name; one with a path in it (a hand-edited or foreign profiles.jsonl)
        # must not make the report read, and embed, a file outside OUT/pages.
        plain = source not in ("", ".", "..") and Path(source).name == source and "\\" not in source
        candidates = [out / "pages" / source] if plain else []
        if entry.get("path"):
            candidates += [Path(entry["path"]), out / entry["path"]]
        for candidate in candidates:
            text = _decode(candidate, entry.get("encoding")) if candidate.is_file() else None
            if text is None:
                continue
            digest = entry.get("sha256")
            if digest and hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
                continue
            pages[source] = text
            break
    return pages


def write_report(out_dir: str | Path, output_path: str | Path, *, keep_ungrounded: bool = False) -> Path:
    """Render the review page of ``OUT/profiles.jsonl`` to ``output_path`` (atomically) and return it
    (ungrounded facts counted in its zones and totals only with ``keep_ungrounded``)."""
    records = read_profiles(Path(out_dir) / PROFILES_FILE)
    sources = {str(r.get("source")) for r in records}
    sources |= {str(part[0]) for r in records for part in r.get("parts") or [] if part}
    pages = load_pages(out_dir, sources)
    return atomic_write_text(output_path, render_report(records, pages, build_registry(records, keep_ungrounded=keep_ungrounded),
                                                            keep_ungrounded=keep_ungrounded))
