"""Numbers and units as Chinese news writes them.

``parse_number("1.3万余")`` → ``Quantity(value=13000.0, approx="余", text="1.3万余")``;
``parse_number("两")`` → 2; ``parse_number("三千五百")`` → 3500.
``normalize_unit(114.0, "亿元")`` → ``(1.14e10, "元")``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Quantity",
    "parse_number",
    "normalize_unit",
    "APPROX_PREFIXES",
    "APPROX_SUFFIXES",
]

APPROX_PREFIXES = ("约", "近", "超", "逾", "超过", "达", "共")
APPROX_SUFFIXES = ("以上", "左右", "余", "多", "+")

_DIGITS = {"〇": 0, "零": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
           "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
           "九": 9, "玖": 9}
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
CHINESE_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_SMALL_UNITS) + "".join(_BIG_UNITS)

_ARABIC = re.compile(r"[0-9０-９]+(?:[.．][0-9０-９]+)?")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．，", "0123456789.,")


@dataclass(frozen=True)
class Quantity:
    """A parsed number: ``value`` as a float, ``approx`` the modifier written with it (余, 多, 约...)."""

    value: float
    approx: str | None
    text: str


def _chinese_to_int(text: str) -> int | None:
    """Return the integer a pure Chinese numeral spells, or None."""
    if not text or any(ch not in _DIGITS and ch not in _SMALL_UNITS and ch not in _BIG_UNITS for ch in text):
        return None
    if all(ch in _BIG_UNITS for ch in text):  # a bare 万 / 亿 ("近万名") spells no number
        return None
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch] if digit is None else digit * 10 + _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[ch]
            digit = None
        else:
            section += digit or 0
            big = _BIG_UNITS[ch]
            total = (total + section) * big if big > 10_000 or total < big else total + section * big
            section, digit = 0, None
    return total + section + (digit or 0)


def parse_number(text: str) -> Quantity | None:
    """Return the :class:`Quantity` written in ``text`` (Arabic or Chinese numerals), or None.

    A trailing 万/亿 multiplies (``"1.3万"`` → 13000); approximation words before or
    after the number are kept in ``approx`` and do not change the value.
    """
    raw = text
    s = text.strip().translate(_FULLWIDTH_DIGITS).replace(",", "")
    approx = None
    for prefix in sorted(APPROX_PREFIXES, key=len, reverse=True):
        if s.startswith(prefix):
            approx, s = prefix, s[len(prefix):]
            break
    for suffix in sorted(APPROX_SUFFIXES, key=len, reverse=True):
        if s.endswith(suffix) and len(s) > len(suffix):
            approx, s = suffix, s[: -len(suffix)]
            break
    multiplier = 1.0
    while s and s[-1] in _BIG_UNITS and len(s) > 1 and _ARABIC.fullmatch(s[:-1].rstrip("余多")):
        multiplier *= _BIG_UNITS[s[-1]]
        s = s[:-1]
        if s.endswith(("余", "多")):
            approx, s = s[-1], s[:-1]
    if _ARABIC.fullmatch(s):
        return Quantity(float(s.replace("．", ".")) * multiplier, approx, raw)
    if s.endswith(("余", "多")) and len(s) > 1:  # 二十余, 十多
        approx, s = s[-1], s[:-1]
    value = _chinese_to_int(s)
    if value is None:
        return None
    return Quantity(float(value) * multiplier, approx, raw)


# unit as written → (factor, normalised unit)
_UNIT_FACTORS: dict[str, tuple[float, str]] = {
    "元": (1, "元"), "万元": (1e4, "元"), "亿元": (1e8, "元"), "千元": (1e3, "元"),
    "万亿元": (1e12, "元"), "美元": (1, "美元"), "万美元": (1e4, "美元"), "亿美元": (1e8, "美元"),
    "平方米": (1, "m²"), "平米": (1, "m²"), "㎡": (1, "m²"), "m2": (1, "m²"), "m²": (1, "m²"),
    "万平方米": (1e4, "m²"), "万平米": (1e4, "m²"), "万㎡": (1e4, "m²"),
    "平方公里": (1e6, "m²"), "平方千米": (1e6, "m²"), "公顷": (1e4, "m²"),
    "亩": (2000 / 3, "m²"), "万亩": (2e7 / 3, "m²"),
    "人次": (1, "人次"), "万人次": (1e4, "人次"), "亿人次": (1e8, "人次"),
    "人": (1, "人"), "万人": (1e4, "人"), "名": (1, "人"),
    "吨": (1, "吨"), "万吨": (1e4, "吨"), "亿吨": (1e8, "吨"),
    "千瓦": (1e3, "W"), "万千瓦": (1e7, "W"), "兆瓦": (1e6, "W"), "MW": (1e6, "W"),
    "GW": (1e9, "W"), "吉瓦": (1e9, "W"), "kW": (1e3, "W"), "KW": (1e3, "W"),
    "立方米": (1, "m³"), "万立方米": (1e4, "m³"), "方": (1, "m³"), "万方": (1e4, "m³"),
    "公里": (1e3, "m"), "千米": (1e3, "m"), "米": (1, "m"),
    "家": (1, "家"), "个": (1, "个"), "项": (1, "项"), "套": (1, "套"), "%": (1, "%"),
}


def normalize_unit(value: float, unit: str | None) -> tuple[float, str] | None:
    """Return ``(value, unit)`` in base units (元, m², 人次, W, ...), or None for an unknown unit.

    Approximation words in the unit (``余家``, ``万余人``, ``多家``) are ignored.
    """
    if unit is None:
        return None
    u = unit.strip().replace("余", "").replace("多", "").replace("以上", "").replace("左右", "")
    u = u.replace("％", "%")
    if u in _UNIT_FACTORS:
        factor, base = _UNIT_FACTORS[u]
        return value * factor, base
    return None
