from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careline.speech.numerals import (
    MAX_NUMBER,
    en_decimal,
    en_number,
    en_ordinal,
    zh_decimal,
    zh_number,
)


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        (0, "零"),
        (1, "一"),
        (2, "二"),
        (10, "十"),
        (11, "十一"),
        (19, "十九"),
        (20, "二十"),
        (110, "一百一十"),
        (115, "一百一十五"),
        (205, "二百零五"),
        (1005, "一千零五"),
        (1050, "一千零五十"),
        (1200, "一千二百"),
        (10300, "一万零三百"),
        (10010, "一万零一十"),
        (100000, "十万"),
        (150000, "十五万"),
        (100010, "十万零一十"),
        (1001000, "一百万一千"),
        (10000001, "一千万零一"),
        (100000001, "一亿零一"),
        (100010000, "一亿零一万"),
        (110000000, "一亿一千万"),
        (1015000000, "十亿一千五百万"),
        (10**12, "一万亿"),
        (-205, "负二百零五"),
    ],
)
def test_zh_number_reads_zeros_tens_and_groups(number: int, spoken: str) -> None:
    assert zh_number(number) == spoken


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        (2, "两"),
        (12, "十二"),
        (22, "二十二"),
        (200, "两百"),
        (202, "两百零二"),
        (1200, "一千两百"),
        (2222, "两千两百二十二"),
        (20000, "两万"),
        (22000, "两万两千"),
        (120000, "十二万"),
        (20000000, "两千万"),
        (200000000, "两亿"),
        (-2, "负两"),
    ],
)
def test_zh_counting_numbers_use_liang_where_mandarin_does(number: int, spoken: str) -> None:
    assert zh_number(number, counting=True) == spoken


def test_numbers_beyond_the_supported_range_are_refused() -> None:
    assert zh_number(MAX_NUMBER).startswith("九千九百九十九万")
    with pytest.raises(ValueError, match="out of range"):
        zh_number(MAX_NUMBER + 1)
    with pytest.raises(ValueError, match="out of range"):
        en_number(-MAX_NUMBER - 1)


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        (0, "zero"),
        (13, "thirteen"),
        (40, "forty"),
        (99, "ninety-nine"),
        (100, "one hundred"),
        (205, "two hundred and five"),
        (1005, "one thousand and five"),
        (1200, "one thousand two hundred"),
        (100010, "one hundred thousand and ten"),
        (1_000_001, "one million and one"),
        (2_500_000_000, "two billion five hundred million"),
        (-7, "minus seven"),
    ],
)
def test_en_number(number: int, spoken: str) -> None:
    assert en_number(number) == spoken


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        (1, "first"),
        (2, "second"),
        (3, "third"),
        (5, "fifth"),
        (9, "ninth"),
        (12, "twelfth"),
        (20, "twentieth"),
        (21, "twenty-first"),
        (29, "twenty-ninth"),
        (31, "thirty-first"),
        (100, "one hundredth"),
        (103, "one hundred and third"),
    ],
)
def test_en_ordinal(number: int, spoken: str) -> None:
    assert en_ordinal(number) == spoken


def test_en_ordinal_refuses_zero() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        en_ordinal(0)


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        ("3.05", "三点零五", "three point zero five"),
        ("0.5", "零点五", "zero point five"),
        ("-0.25", "负零点二五", "minus zero point two five"),
        (Decimal("12.50"), "十二点五零", "twelve point five zero"),
        (7, "七", "seven"),
        ("-0", "零", "zero"),
    ],
)
def test_decimals_read_the_fraction_digit_by_digit(value: str | int, zh: str, en: str) -> None:
    assert zh_decimal(value) == zh
    assert en_decimal(value) == en


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", ""])
def test_decimals_refuse_non_numbers(value: str) -> None:
    with pytest.raises(ValueError, match="number"):
        zh_decimal(value)


def parse_zh(spoken: str) -> int:
    """Read a Mandarin numeral back (test oracle, independent of the speaking code)."""
    values = {character: value for value, character in enumerate("零一二三四五六七八九")}
    values["两"] = 2
    small_units = {"十": 10, "百": 100, "千": 1000}

    def section(text: str) -> int:
        total = current = 0
        for character in text:
            if character in small_units:
                total += (current or 1) * small_units[character]
                current = 0
            else:
                current = values[character]
        return total + current

    total = 0
    for marker, scale in (("万亿", 10**12), ("亿", 10**8), ("万", 10**4)):
        if marker in spoken:
            head, spoken = spoken.split(marker, 1)
            total += section(head) * scale
    return total + section(spoken)


@settings(max_examples=300)
@given(st.integers(min_value=1, max_value=MAX_NUMBER), st.booleans())
def test_zh_numbers_read_back_to_the_same_value(number: int, counting: bool) -> None:
    spoken = zh_number(number, counting=counting)
    assert parse_zh(spoken) == number
    assert "零零" not in spoken
    assert not spoken.endswith("零")
    assert not spoken.startswith("一十")
    assert counting or "两" not in spoken
