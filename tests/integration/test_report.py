"""The HTML review page: highlights at the right offsets, escaping, self-containment, and a real browser run."""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaifaqu_llm._cli import main
from kaifaqu_llm.outputs.files import read_profiles
from kaifaqu_llm.zones.registry import build_registry
from kaifaqu_llm.outputs.report import _Span, highlight, load_pages, render_report, write_report

from tests.support import browser

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "zones_out"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CATEGORIES = ("zones", "industries", "indicators", "projects", "organizations", "people", "events")


class _Marks(HTMLParser):
    """Collects, per fact id, the text inside its <mark> pieces; and a few structural counts."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str | None] = []
        self.text: dict[str, str] = {}
        self.categories: dict[str, str] = {}
        self.tags: dict[str, int] = {}
        self.zone_rows = 0
        self.hidden_articles: list[str] = []
        self.body_classes = ""
        self._in_zone_body = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        classes = (attrs.get("class") or "").split()
        if tag == "mark":
            fact = attrs.get("data-fact")
            self.open.append(fact)
            self.text.setdefault(fact, "")
            self.categories[fact] = next(c[2:] for c in classes if c.startswith("c-"))
        if tag == "tbody":
            self._in_zone_body = True
        if tag == "tr" and self._in_zone_body:
            self.zone_rows += 1
        if tag == "article" and "hidden" in classes:
            self.hidden_articles.append(f'{attrs["data-source"]}#{attrs["data-index"]}')
        if tag == "body":
            self.body_classes = attrs.get("class") or ""

    def handle_endtag(self, tag):
        if tag == "mark":
            self.open.pop()
        if tag == "tbody":
            self._in_zone_body = False

    def handle_data(self, data):
        for fact in set(self.open):
            self.text[fact] += data


def _records() -> list[dict]:
    return read_profiles(FIXTURE / "profiles.jsonl")


def _pages() -> dict[str, str]:
    return {p.name: p.read_bytes().decode("utf-8") for p in (FIXTURE / "pages").iterdir()}


def _grounded(records) -> list[dict]:
    return [f for r in records for c in CATEGORIES for f in r.get(c) or [] if f.get("grounded")]


def test_every_grounded_fact_is_highlighted_over_its_evidence():
    records = _records()
    parsed = _Marks()
    parsed.feed(render_report(records, _pages(), build_registry(records)))
    grounded = _grounded(records)
    assert len(parsed.text) == len(grounded) == 19
    # mark text equals the evidence at the offsets, also for nested and crossing facts
    assert sorted(parsed.text.values()) == sorted(f["evidence"] for f in grounded)
    assert set(parsed.categories.values()) == set(CATEGORIES)
    assert parsed.zone_rows == len(build_registry(records))


def test_crossing_spans_split_and_keep_their_ids():
    text = "火山云项目累计上报投资13.95亿元。"
    spans = [_Span(0, 11, "p", "projects", "项目"), _Span(9, 19, "i", "indicators", "投资")]
    rendered = highlight(text, 100, [_Span(s.start + 100, s.end + 100, s.fact_id, s.category, s.label) for s in spans])
    parsed = _Marks()
    parsed.feed(rendered)
    assert parsed.text == {"p": text[0:11], "i": text[9:19]}
    assert rendered.count('data-fact="i"') == 2  # split around the end of "p"
    assert re.sub(r"<[^>]+>", "", rendered) == text


def test_ocr_text_is_escaped_and_nothing_is_fetched():
    records = _records()
    page = render_report(records, _pages(), build_registry(records))
    assert page.count("<script") == 1  # ours; the OCR'd <script> title is text
    assert '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;' in page
    assert "&lt;b&gt;不在原文&lt;/b&gt;" in page
    assert not re.search(r"https?://", page)
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", page)
    assert "@import" not in page and "url(" not in page


def test_ungrounded_facts_are_listed_and_marked():
    records = _records()
    page = render_report(records, _pages(), build_registry(records))
    ungrounded = re.findall(r'<li class="fact c-(\w+) ungrounded"[^>]*data-status="ungrounded"', page)
    assert sorted(ungrounded) == ["events", "indicators"]
    assert page.count('class="badge ungrounded"') == 2


def test_missing_page_text_still_lists_facts(tmp_path):
    shutil.copy(FIXTURE / "profiles.jsonl", tmp_path / "profiles.jsonl")
    path = write_report(tmp_path, tmp_path / "report.html")
    page = path.read_text(encoding="utf-8")
    assert "<mark" not in page
    assert page.count("page text not found") == 2
    assert page.count('data-status="outside"') == len(_grounded(_records()))


def test_pages_found_through_manifest_and_checked_by_sha256(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(FIXTURE / "profiles.jsonl", out / "profiles.jsonl")
    shutil.copytree(FIXTURE / "pages", tmp_path / "seeds")
    manifest = json.loads((FIXTURE / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["pages"]:
        entry["path"] = f"seeds/{entry['source']}"  # relative to the working directory of the extract run
    manifest["pages"][1]["sha256"] = "0" * 64  # page_b changed since extraction
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    pages = load_pages(out, {"page_a.txt", "page_b.txt"})
    assert list(pages) == ["page_a.txt"]
    assert "\r\n" in (FIXTURE / "pages" / "page_b.txt").read_bytes().decode("utf-8")


def test_crlf_page_offsets_are_kept():
    records = _records()
    pages = _pages()
    parsed = _Marks()
    parsed.feed(render_report([r for r in records if r["source"] == "page_b.txt"], pages, None))
    assert "全年新签约项目24个" in parsed.text.values()


def test_catalog_columns_appear_when_zones_are_linked():
    records = _records()
    linked = json.loads(json.dumps(records))
    linked[0]["zones"][0].update(catalog_code="S140500", official_name="山西晋城经济技术开发区", level="国家级",
                                 province="山西", city="晋城", link_score=0.875)
    page = render_report(linked, _pages(), build_registry(linked))
    assert "目录代码 Catalog" in page and "S140500" in page and "0.88" in page
    assert "目录代码" not in render_report(records, _pages(), build_registry(records))


def test_sparse_records_render():
    records = [{"source": "a.txt", "article_index": 0, "zones": None, "title": None},
               {"source": "a.txt", "article_index": 1, "people": [{"name": "王五", "grounded": True, "start": 3}],
                "error": "ResponseError: <no profile>"}]
    page = render_report(records, {"a.txt": "短文"}, None)
    assert "王五" in page and "&lt;no profile&gt;" in page
    assert 'data-status="ungrounded"' in page  # grounded without an end offset cannot be placed


def test_cli_report_writes_the_file(tmp_path, capsys):
    target = tmp_path / "r.html"
    assert main(["report", str(FIXTURE), "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    if browser.find_chromium() is None:
        pytest.skip("no chromium binary (apt-get install chromium, or set KAIFAQU_CHROMIUM)")
    return write_report(FIXTURE, tmp_path_factory.mktemp("report") / "report.html")


@pytest.mark.slow
def test_browser_renders_highlights_and_zone_table(report_file):
    dom = browser.dump_dom(report_file.as_uri())
    parsed = _Marks()
    parsed.feed(dom)
    assert 'data-ready="1"' in dom  # our script ran
    assert len(parsed.text) == len(_grounded(_records()))
    assert parsed.zone_rows == 4
    assert parsed.tags.get("script") == 1
    assert "<script>alert" not in dom.replace("&lt;script&gt;alert", "")
    shot = browser.screenshot(report_file.as_uri(), ARTIFACTS / "report.png")
    assert shot.stat().st_size > 20_000
    print(f"report screenshot: {shot}")


@pytest.mark.slow
def test_browser_filters_by_zone_and_category(report_file):
    registry = build_registry(_records())
    yanhu = next(z for z in registry if z["canonical"] == "盐湖高新技术产业园")
    parsed = _Marks()
    parsed.feed(browser.dump_dom(f"{report_file.as_uri()}#zone={yanhu['zone_id']}&hide=indicators,people"))
    assert sorted(parsed.hidden_articles) == ["page_a.txt#0", "page_b.txt#0", "page_b.txt#1"]
    assert "hide-indicators" in parsed.body_classes and "hide-people" in parsed.body_classes


# --- on the real pipeline output of the sample pages ---------------------------------

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def seeds_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("seeds_out")
    code = main(["extract", str(SEEDS), "-o", str(out), "--backend", "rules", "--no-cache", "--stitch",
                 "--format", "csv", "--format", "sqlite", "-q"])
    assert code == 0
    return out


def test_real_output_registry_exports_and_report_agree(seeds_out):
    import csv
    import sqlite3

    from kaifaqu_llm.zones.registry import zone_name

    records = read_profiles(seeds_out / "profiles.jsonl")
    registry = build_registry(records)
    # the pipeline wrote the same registry we build
    written = [json.loads(line) for line in (seeds_out / "zones.jsonl").read_text(encoding="utf-8").splitlines()]
    assert written == json.loads(json.dumps(registry, ensure_ascii=False))
    # aliases resolved: no two zones share a (stem, type) key
    keys = [(zone_name(z["canonical"]).stem, z["type"]) for z in registry if not z.get("unassigned")]
    assert len(keys) == len(set(keys))
    # every fact occurrence of the records is somewhere in the registry, with its provenance
    def facts(rows):
        return {(c, f["source"], f["article_index"], f["start"], f["evidence"]) for c, f in rows}
    in_records = facts((c, {**f, "source": r["source"], "article_index": r["article_index"]})
                       for r in records for c in CATEGORIES[1:] for f in r[c])
    in_registry = facts((c, o) for z in registry for c in CATEGORIES[1:] for f in z[c] for o in f["occurrences"])
    assert in_records == in_registry

    db = sqlite3.connect(seeds_out / "kaifaqu.sqlite")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    for category in CATEGORIES[1:]:
        expected = sum(len(r[category]) for r in records)
        assert db.execute(f"SELECT count(*) FROM {category}").fetchone() == (expected,)
        with open(seeds_out / f"{category}.csv", encoding="utf-8-sig", newline="") as handle:
            assert len(list(csv.DictReader(handle))) == expected
    db.close()

    page = write_report(seeds_out, seeds_out / "report.html").read_text(encoding="utf-8")
    assert "page text not found" not in page
    parsed = _Marks()
    parsed.feed(page)
    grounded = [f for r in records for c in CATEGORIES for f in r[c] if f.get("grounded")]
    assert any(len(r.get("parts") or []) > 1 for r in records)  # stitched articles span two pages
    # every grounded fact is highlighted, stitched continuations included, over the text of its evidence
    assert len(parsed.text) == len(grounded) > 100
    squash = "".join
    assert sorted(squash(t.split()) for t in parsed.text.values()) == sorted(
        squash(f["evidence"].split()) for f in grounded)
    assert parsed.zone_rows == len(registry)


@pytest.mark.slow
def test_browser_real_output_screenshot(seeds_out):
    if browser.find_chromium() is None:
        pytest.skip("no chromium binary (apt-get install chromium, or set KAIFAQU_CHROMIUM)")
    report = write_report(seeds_out, seeds_out / "report.html")
    parsed = _Marks()
    parsed.feed(browser.dump_dom(report.as_uri()))
    assert parsed.zone_rows == len(build_registry(read_profiles(seeds_out / "profiles.jsonl")))
    assert len(parsed.text) > 100
    shot = browser.screenshot(report.as_uri(), ARTIFACTS / "report-seeds.png", size=(1280, 2400))
    print(f"report screenshot: {shot}")


# --- the highlighter on arbitrary overlapping spans ---------------------------------

@st.composite
def _text_and_spans(draw):
    text = draw(st.text(alphabet="开发区<>&\"'\n 12", min_size=1, max_size=40))
    base = draw(st.integers(0, 1000))
    spans = []
    for number in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        category = draw(st.sampled_from(CATEGORIES))
        spans.append(_Span(base + start, base + end, f"f{number}", category, "<label>"))
    return text, base, spans


@settings(max_examples=300, deadline=None)
@given(_text_and_spans())
def test_highlight_keeps_text_and_every_span_exactly(case):
    text, base, spans = case
    rendered = highlight(text, base, spans)
    parsed = _Marks()
    parsed.feed(rendered)
    parsed.close()
    assert parsed.open == []  # balanced tags
    for span in spans:
        assert parsed.text[span.fact_id] == text[span.start - base: span.end - base]
    assert parsed.tags.get("mark", 0) >= len(spans)
    assert html.unescape(re.sub(r"<[^>]+>", "", rendered)) == text
