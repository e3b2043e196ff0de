"""Grounding: quotes are found whitespace- and width-insensitively, offsets point into the original."""

from hypothesis import given, settings
from hypothesis import strategies as st

from kaifaqu_llm.ground.evidence import EvidenceLocator, fold_for_matching, locate, value_in_evidence

PAGE = "科学导报讯 近年来,晋城经开区多向发力。2024年上半年,全区规模以上工业增加值总量\n\n114.0亿元,同比增长5.0%,总量排全省第一。建成5万\n\n平方米孵化器。"


def test_exact_quote_offsets():
    span = locate("晋城经开区多向发力", PAGE)
    assert PAGE[span.start:span.end] == "晋城经开区多向发力" and span.match == "exact"


def test_quote_across_an_ocr_column_break():
    span = locate("全区规模以上工业增加值总量114.0亿元", PAGE)
    assert span is not None and span.match == "folded"
    assert PAGE[span.start:span.end] == "全区规模以上工业增加值总量\n\n114.0亿元"


def test_full_width_punctuation_in_quote_matches_half_width_source():
    span = locate("114.0亿元，同比增长5.0％", PAGE)
    assert span is not None
    assert PAGE[span.start:span.end] == "114.0亿元,同比增长5.0%"


def test_ellipsis_quote_spans_its_pieces():
    span = locate("2024年上半年……同比增长5.0%", PAGE)
    assert span is not None and span.match == "ellipsis"
    assert PAGE[span.start:span.end].startswith("2024年上半年") and PAGE[span.start:span.end].endswith("5.0%")


def test_invented_quote_is_not_found():
    assert locate("全区营业收入突破300亿元", PAGE) is None
    assert locate("", PAGE) is None


def test_region_limits_the_search():
    start = PAGE.index("建成")
    assert locate("晋城经开区", PAGE, start) is None
    span = locate("5万平方米孵化器", PAGE, start)
    assert span is not None and span.start >= start


def test_square_metre_sign_keeps_offsets():
    page = "新建厂房5000㎡，投资2亿元。"
    span = locate("投资2亿元", page)
    assert page[span.start:span.end] == "投资2亿元"


def test_value_must_appear_in_evidence_as_a_whole_number():
    assert value_in_evidence(114.0, "114.0", "总量114.0亿元")
    assert value_in_evidence(114.0, None, "总量114亿元")
    assert value_in_evidence(2, "两", "两个研究院")
    assert not value_in_evidence(5, None, "15.6亿元")
    assert not value_in_evidence(15, None, "15.6亿元")
    assert value_in_evidence(15.6, None, "15.6亿元")


cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)
noise = st.sampled_from([" ", "\n", "\n\n", "\u3000", "\r\n"])
punct = st.sampled_from(["，", "。", "（", "）", "：", "%", "、", "“", "”"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(cjk, punct, st.sampled_from("0123456789.")), min_size=3, max_size=40),
       st.data())
def test_any_substring_is_found_despite_inserted_breaks(chars, data):
    text = "".join(chars)
    i = data.draw(st.integers(0, len(text) - 2))
    j = data.draw(st.integers(i + 1, len(text)))
    quote = text[i:j]
    if not fold_for_matching(quote):
        return
    # OCR noise inserted into the page at random places; offsets must still point at the quote
    broken = "".join(ch + (data.draw(noise) if data.draw(st.booleans()) else "") for ch in text)
    span = EvidenceLocator(broken).locate(quote)
    assert span is not None
    assert fold_for_matching(broken[span.start:span.end]) == fold_for_matching(quote) or span.match != "folded"


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=60), st.text(min_size=1, max_size=10))
def test_located_span_is_inside_the_text_and_folds_to_the_quote(text, quote):
    span = locate(quote, text)
    if span is None:
        return
    assert 0 <= span.start < span.end <= len(text)
    if span.match in ("exact", "folded"):
        assert fold_for_matching(text[span.start:span.end]) == fold_for_matching(quote)
