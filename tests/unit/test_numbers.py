"""Properties of number parsing and unit normalisation (hypothesis) plus the awkward cases news writes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaifaqu_llm.core.numbers import normalize_unit, parse_number

_DIGITS = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """Write 0 < n < 10**8 the way Chinese text does (一千零五, 三万二千, 十五)."""
    def below_10000(x: int) -> str:
        out, zero = "", False
        for value, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            digit = x // value % 10
            if digit:
                if zero and out:
                    out += "零"
                out += _DIGITS[digit] + name
                zero = False
            else:
                zero = True
        return out

    high, low = divmod(n, 10_000)
    text = (below_10000(high) + "万") if high else ""
    if low:
        if high and low < 1000:
            text += "零"
        text += below_10000(low)
    if text.startswith("一十"):
        text = text[1:]
    return text


@given(st.integers(min_value=1, max_value=99_999_999))
def test_chinese_numerals_round_trip(n):
    assert parse_number(to_chinese(n)).value == n


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99))
def test_arabic_numbers_parse_exactly(whole, cents):
    text = f"{whole}.{cents:02d}"
    assert parse_number(text).value == pytest.approx(float(text))


@given(st.integers(min_value=1, max_value=10**6), st.sampled_from(["余", "多", "以上", "左右"]))
def test_approximation_words_keep_the_value(n, word):
    quantity = parse_number(f"{n}{word}")
    assert quantity.value == n and quantity.approx == word


@given(st.integers(min_value=1, max_value=9999), st.sampled_from(["约", "近", "超过"]))
def test_approximation_prefixes_keep_the_value(n, word):
    quantity = parse_number(f"{word}{n}")
    assert quantity.value == n and quantity.approx == word


@given(st.floats(min_value=0.01, max_value=1e6, allow_nan=False), st.sampled_from(["万元", "亿元", "万平方米", "万吨"]))
def test_normalised_value_scales_by_the_unit_prefix(value, unit):
    base_unit = unit[1:]
    scaled, base = normalize_unit(value, unit)
    plain, plain_base = normalize_unit(value, base_unit)
    assert base == plain_base
    assert scaled == pytest.approx(plain * (1e4 if unit[0] == "万" else 1e8))


@given(st.integers(min_value=1, max_value=10**5))
def test_approximation_in_the_unit_is_ignored(n):
    assert normalize_unit(n, "万余人") == normalize_unit(n, "万人")
    assert normalize_unit(n, "多家") == (n, "家")


@pytest.mark.parametrize(("text", "value"), [("1.3万余", 13000), ("两", 2), ("三千五百", 3500), ("1,200", 1200),
                                              ("２０２４", 2024), ("二十余", 20)])
def test_written_forms(text, value):
    assert parse_number(text).value == value


@pytest.mark.parametrize("text", ["", "abc", "万", "亿", "一点"])
def test_not_numbers(text):
    assert parse_number(text) is None
