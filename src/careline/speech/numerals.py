"""Numbers spelled out for the ear in Mandarin and English; pure functions, no I/O.

Mandarin rules applied here (standard spoken usage):
- a run of zeros inside a number is read as one 零 (205 二百零五, 1005 一千零五), trailing
  zeros are silent (1200 一千二百), and a 万/亿 group below 1000 after a higher group is
  introduced by 零 (10300 一万零三百, 100000001 一亿零一);
- 10-19 at the very start drop the leading 一 (十二, 十五万) but keep it inside (一百一十);
- "counting" numbers (quantities with a measure word, clock hours, money) use 两 for a 2
  that stands alone or in the 百/千 places or before 万/亿 (两个, 两点, 两百, 两千两百, 两万),
  while reading a number, dates and ordinals keep 二 (二百零五, 二月, 第二).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

ZH_DIGITS = "零一二三四五六七八九"
_ZH_SMALL_UNITS = ("", "十", "百", "千")
_ZH_BIG_UNITS = ("", "万", "亿", "万亿")
MAX_NUMBER = 10**16 - 1

_EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))
_EN_ORDINAL_WORDS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def _check_range(number: int) -> None:
    if abs(number) > MAX_NUMBER:
        raise ValueError(f"number out of range for speech: {number}")


def _zh_group(group: int, *, counting: bool, leading: bool) -> str:
    """Spell 1..9999 within one 万 group."""
    parts: list[str] = []
    started = zero_pending = False
    for place in (3, 2, 1, 0):
        digit = group // 10**place % 10
        if digit == 0:
            zero_pending = started
            continue
        if zero_pending:
            parts.append("零")
            zero_pending = False
        if digit == 1 and place == 1 and leading and not started:
            parts.append("十")
        else:
            uses_liang = counting and digit == 2 and place >= 2
            parts.append(("两" if uses_liang else ZH_DIGITS[digit]) + _ZH_SMALL_UNITS[place])
        started = True
    return "".join(parts)


def zh_number(number: int, *, counting: bool = False) -> str:
    """Spell an integer in Mandarin: 205 -> 二百零五; counting=True uses 两 (2 -> 两)."""
    _check_range(number)
    if number < 0:
        return "负" + zh_number(-number, counting=counting)
    if number == 0:
        return "零"
    if counting and number == 2:
        return "两"
    groups = [number // 10000**index % 10000 for index in range(4)]
    parts: list[str] = []
    zero_pending = False
    for index in (3, 2, 1, 0):
        group = groups[index]
        if group == 0:
            zero_pending = bool(parts)
            continue
        if parts and (zero_pending or group < 1000):
            parts.append("零")
        if counting and group == 2 and index > 0:
            text = "两"
        else:
            text = _zh_group(group, counting=counting, leading=not parts)
        parts.append(text + _ZH_BIG_UNITS[index])
        zero_pending = False
    return "".join(parts)


def _split_decimal(value: int | Decimal | str) -> tuple[bool, int, str]:
    """Return (negative, integer part, fraction digits as written)."""
    try:
        decimal = Decimal(value) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not decimal.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    text = format(abs(decimal), "f")
    whole, _, fraction = text.partition(".")
    return decimal.is_signed() and decimal != 0, int(whole), fraction


def zh_decimal(value: int | Decimal | str) -> str:
    """Spell a decimal in Mandarin, fraction digit by digit: '3.05' -> 三点零五."""
    negative, whole, fraction = _split_decimal(value)
    text = zh_number(whole)
    if fraction:
        text += "点" + "".join(ZH_DIGITS[int(digit)] for digit in fraction)
    return ("负" if negative else "") + text


def _en_under_100(number: int) -> str:
    if number < 20:
        return _EN_ONES[number]
    tens, ones = divmod(number, 10)
    return _EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else "")


def _en_under_1000(number: int) -> str:
    hundreds, rest = divmod(number, 100)
    if not hundreds:
        return _en_under_100(rest)
    head = f"{_EN_ONES[hundreds]} hundred"
    return f"{head} and {_en_under_100(rest)}" if rest else head


def en_number(number: int) -> str:
    """Spell an integer in (British) English: 205 -> 'two hundred and five'."""
    _check_range(number)
    if number < 0:
        return "minus " + en_number(-number)
    if number == 0:
        return "zero"
    parts: list[str] = []
    rest = number
    for scale, name in _EN_SCALES:
        count, rest = divmod(rest, scale)
        if count:
            parts.append(f"{_en_under_1000(count)} {name}")
    if rest:
        # "two thousand and five": the "and" joins a final part below one hundred.
        joiner = "and " if parts and rest < 100 else ""
        parts.append(joiner + _en_under_1000(rest))
    return " ".join(parts)


def en_ordinal(number: int) -> str:
    """Spell an ordinal in English: 25 -> 'twenty-fifth'."""
    if number < 1:
        raise ValueError(f"ordinals start at 1: {number}")
    words = en_number(number).split(" ")
    prefix, hyphen, last = words[-1].rpartition("-")
    if last in _EN_ORDINAL_WORDS:
        last = _EN_ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    words[-1] = prefix + hyphen + last
    return " ".join(words)


def en_decimal(value: int | Decimal | str) -> str:
    """Spell a decimal in English, fraction digit by digit: '3.05' -> 'three point zero five'."""
    negative, whole, fraction = _split_decimal(value)
    text = en_number(whole)
    if fraction:
        text += " point " + " ".join(_EN_ONES[int(digit)] for digit in fraction)
    return ("minus " if negative else "") + text
