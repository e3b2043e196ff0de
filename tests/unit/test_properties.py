"""Properties the robustness claims rest on, beyond tests/test_numbers.py and tests/test_grounding.py:

* the number parser and the evidence locator never raise, whatever the text (OCR noise, control
  characters, surrogates, any script), and the locator never answers outside its region;
* a grounded fact's offsets always hold its evidence in the original page, an ungrounded one has none;
* merging runs into profiles.jsonl, in any order and any overlap, loses no page and duplicates no line.
"""

from __future__ import annotations

import json
import math
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaifaqu_llm.core.document import Article, Page
from kaifaqu_llm.ground.evidence import EvidenceLocator, fold_for_matching
from kaifaqu_llm.core.numbers import normalize_unit, parse_number
from kaifaqu_llm.outputs.files import merge_profiles, read_profiles
from kaifaqu_llm.ground.records import build_record
from kaifaqu_llm.core.schema import ArticleProfile

NEWS = st.sampled_from(list("开发区经济技术高新园项目投资亿元万平方米家个，。、；：（）“”0123456789.%余多近约以上"))
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
NEWSY_TEXT = st.lists(st.one_of(NEWS, st.sampled_from([" ", "\n", "\u3000", "\r\n", "\x07", "\ufeff"])),
                      max_size=120).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, NEWSY_TEXT))
def test_parse_number_never_raises_and_gives_a_finite_value(text) -> None:
    quantity = parse_number(text)
    if quantity is not None:
        assert math.isfinite(quantity.value) and quantity.value >= 0


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1e12), st.one_of(ANY_TEXT, NEWSY_TEXT))
def test_normalize_unit_never_raises(value, unit) -> None:
    result = normalize_unit(value, unit)
    if result is not None:
        assert math.isfinite(result[0]) and isinstance(result[1], str)


@settings(max_examples=300, deadline=None)
@given(NEWSY_TEXT, st.one_of(NEWSY_TEXT, ANY_TEXT), st.data())
def test_locator_answers_only_inside_its_region(text, quote, data) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    span = EvidenceLocator(text, start, end).locate(quote)
    if span is not None:
        assert start <= span.start < span.end <= end
        if span.match in ("exact", "folded"):
            assert fold_for_matching(text[span.start:span.end]) == fold_for_matching(quote)


@st.composite
def page_and_quotes(draw):
    """A page of news-like text with one article in it, and quotes: some cut from the article, some not."""
    before, body, after = draw(NEWSY_TEXT), draw(NEWSY_TEXT.filter(lambda t: len(t) >= 4)), draw(NEWSY_TEXT)
    text = before + body + after
    start, end = len(before), len(before) + len(body)
    quotes = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            i = draw(st.integers(start, end - 1))
            quotes.append(text[i:draw(st.integers(i + 1, end))])
        else:
            quotes.append(draw(NEWSY_TEXT.filter(bool)))
    return text, start, end, quotes


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page_and_quotes())
def test_record_offsets_always_hold_the_evidence(case) -> None:
    text, start, end, quotes = case
    page = Page(source="p.txt", text=text, encoding="utf-8", path=None)
    article = Article(source="p.txt", index=0, title=None, text=text[start:end], start=start, end=end)
    profile = ArticleProfile.model_validate(
        {"events": [{"date": "", "what": "x", "evidence": q} for q in quotes],
         "organizations": [{"name": "某公司", "evidence": q} for q in quotes]}
    )
    record = build_record(article, profile, {"p.txt": page}, backend="llm")
    json.dumps(record, ensure_ascii=False)  # always serialisable
    for fact in record["events"] + record["organizations"]:
        if fact["grounded"]:
            assert start <= fact["start"] < fact["end"] <= end, "evidence located outside its article"
            if fact.get("match", "exact") in ("exact", "folded"):
                assert fold_for_matching(text[fact["start"]:fact["end"]]) == fold_for_matching(fact["evidence"])
        else:
            assert fact["start"] is None and fact["end"] is None
        if fold_for_matching(fact["evidence"]) and fact["evidence"] in text[start:end]:
            assert fact["grounded"], "a verbatim quote from the article was not found"


RUNS = st.lists(  # each run: page name → number of articles it extracted from that page
    st.dictionaries(st.sampled_from(["a.txt", "b.txt", "c.txt", "d.txt"]), st.integers(0, 4), min_size=1, max_size=3),
    min_size=1, max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(RUNS)
def test_merging_runs_keeps_the_last_run_of_every_page_once(tmp_path_factory, runs) -> None:
    out = tmp_path_factory.mktemp("out")
    latest: dict[str, tuple[int, int]] = {}
    for number, run in enumerate(runs):
        records = [{"source": source, "article_index": i, "run": number}
                   for source, count in run.items() for i in range(count)]
        merge_profiles(out, records, run)
        latest.update({source: (number, count) for source, count in run.items()})
    merged = read_profiles(out)
    keys = Counter((r["source"], r["article_index"]) for r in merged)
    assert not keys or max(keys.values()) == 1
    expected = {(s, i) for s, (_, count) in latest.items() for i in range(count)}
    assert set(keys) == expected
    assert all(r["run"] == latest[r["source"]][0] for r in merged)
