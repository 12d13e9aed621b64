"""Values turned into what a caller expects to hear, in Mandarin and English; no I/O.

Every function takes the value and a language and returns text for the speech engine:
``money(1250, "zh-CN")`` -> "十二元五角", ``money(1250, "en")`` -> "twelve yuan fifty".

Digit strings (phone, card, ticket numbers) read 1 as 幺 in Mandarin by default: it is the
convention of Chinese telephony (幺幺零, operators reading back numbers) because 一 (yī) and
七 (qī) are easily confused over narrowband telephone audio. ``yao=False`` reads 一.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

from careline.speech.language import Language, as_language
from careline.speech.numerals import (
    ZH_DIGITS,
    en_decimal,
    en_number,
    en_ordinal,
    zh_decimal,
    zh_number,
)

_ZH_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_EN_DIGITS = "zero one two three four five six seven eight nine".split()
_ZH_KEYS = {"*": "星号", "#": "井号"}
_EN_KEYS = {"*": "star", "#": "hash"}
_SEPARATORS = frozenset(" -()/.")
_ZH_MOBILE_LENGTH = 11


def number(value: int, language: str | Language, *, counting: bool = False) -> str:
    """Spell an integer; counting=True is for quantities (Mandarin 两个, 两百)."""
    if as_language(language) is Language.ZH:
        return zh_number(value, counting=counting)
    return en_number(value)


def decimal(value: int | Decimal | str, language: str | Language) -> str:
    """Spell a decimal given as int or str ('3.05'); fraction digits one by one."""
    if as_language(language) is Language.ZH:
        return zh_decimal(value)
    return en_decimal(value)


def money(fen: int, language: str | Language) -> str:
    """Spell an amount of integer fen: 1250 -> 十二元五角 / 'twelve yuan fifty'."""
    sign_zh, sign_en = ("负", "minus ") if fen < 0 else ("", "")
    yuan, rest = divmod(abs(fen), 100)
    jiao, fen_part = divmod(rest, 10)
    if as_language(language) is Language.EN:
        if not rest:
            return f"{sign_en}{en_number(yuan)} yuan"
        if not yuan:
            return f"{sign_en}{en_number(rest)} fen"
        # Read like "twelve dollars fifty"; "oh five" keeps 12.05 apart from 12.50.
        cents = en_number(rest) if rest >= 10 else f"oh {en_number(rest)}"
        return f"{sign_en}{en_number(yuan)} yuan {cents}"
    parts: list[str] = []
    if yuan or not rest:
        parts.append(zh_number(yuan, counting=True) + "元")
    if jiao:
        parts.append(zh_number(jiao, counting=True) + "角")
    if fen_part:
        parts.append(
            ("零" if yuan and not jiao else "") + zh_number(fen_part, counting=True) + "分"
        )
    return sign_zh + "".join(parts)


def weekday(day: date | int, language: str | Language) -> str:
    """Name the weekday of a date, or of an ISO weekday number (1 = Monday)."""
    index = (day.isoweekday() if isinstance(day, date) else day) - 1
    if not 0 <= index < 7:
        raise ValueError(f"ISO weekday must be 1..7: {day}")
    names = _ZH_WEEKDAYS if as_language(language) is Language.ZH else _EN_WEEKDAYS
    return names[index]


def year(value: int, language: str | Language) -> str:
    """Spell a year the way it is said: 二零二六年 / 'twenty twenty-six'."""
    if as_language(language) is Language.ZH:
        return "".join(ZH_DIGITS[int(digit)] for digit in str(value)) + "年"
    century, rest = divmod(value, 100)
    if value < 1000 or 2000 <= value < 2010:
        return en_number(value)
    if rest == 0:
        return f"{en_number(century)} hundred"
    tail = en_number(rest) if rest >= 10 else f"oh {en_number(rest)}"
    return f"{en_number(century)} {tail}"


def date_phrase(
    day: date, language: str | Language, *, with_year: bool = False, with_weekday: bool = True
) -> str:
    """Say a date: 十一月二十五日 星期三 / 'Wednesday, November twenty-fifth'."""
    if as_language(language) is Language.ZH:
        text = f"{zh_number(day.month)}月{zh_number(day.day)}日"
        if with_year:
            text = year(day.year, language) + text
        return f"{text} {weekday(day, language)}" if with_weekday else text
    text = f"{_EN_MONTHS[day.month - 1]} {en_ordinal(day.day)}"
    if with_year:
        text += f", {year(day.year, language)}"
    return f"{weekday(day, language)}, {text}" if with_weekday else text


def _zh_period(hour: int) -> str:
    if hour < 5:
        return "凌晨"
    if hour < 12:
        return "上午"
    if hour < 13:
        return "中午"
    return "下午" if hour < 18 else "晚上"


def _zh_time(moment: time) -> str:
    hour, minute = moment.hour, moment.minute
    # A 12-hour clock after the period word: 下午两点; midnight stays 凌晨零点.
    clock_hour = hour if hour <= 12 else hour - 12
    text = _zh_period(hour) + zh_number(clock_hour, counting=True) + "点"
    if minute == 30:
        return text + "半"
    if minute:
        text += ("零" if minute < 10 else "") + zh_number(minute) + "分"
    return text


def _en_time(moment: time) -> str:
    hour, minute = moment.hour, moment.minute
    if minute == 0 and hour in (0, 12):
        return "twelve midnight" if hour == 0 else "twelve noon"
    clock_hour = hour % 12 or 12
    suffix = "a.m." if hour < 12 else "p.m."
    if not minute:
        return f"{en_number(clock_hour)} {suffix}"
    minutes = en_number(minute) if minute >= 10 else f"oh {en_number(minute)}"
    return f"{en_number(clock_hour)} {minutes} {suffix}"


def time_of_day(moment: time, language: str | Language) -> str:
    """Say a clock time: 上午九点半 / 'nine thirty a.m.'; 12:00 is noon, 00:00 midnight."""
    if as_language(language) is Language.ZH:
        return _zh_time(moment)
    return _en_time(moment)


def duration(length: int | timedelta, language: str | Language) -> str:
    """Say a length of time in whole seconds: 两小时五分钟 / 'two hours and five minutes'."""
    seconds = int(length.total_seconds()) if isinstance(length, timedelta) else length
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {seconds}")
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    units = [(hours, "小时", "hour"), (minutes, "分钟", "minute"), (secs, "秒", "second")]
    present = [(count, zh, en) for count, zh, en in units if count]
    if as_language(language) is Language.ZH:
        if not present:
            return "零秒"
        return "".join(zh_number(count, counting=True) + zh for count, zh, _ in present)
    if not present:
        return "zero seconds"
    words = [f"{en_number(count)} {en}{'' if count == 1 else 's'}" for count, _, en in present]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _digit_word(character: str, language: Language, *, yao: bool) -> str:
    if language is Language.ZH:
        if character in _ZH_KEYS:
            return _ZH_KEYS[character]
        return "幺" if character == "1" and yao else ZH_DIGITS[int(character)]
    return _EN_KEYS.get(character) or _EN_DIGITS[int(character)]


def digits(text: str, language: str | Language, *, yao: bool = True) -> str:
    """Read a digit string one digit at a time, keeping the caller's groups as pauses."""
    lang = as_language(language)
    groups: list[list[str]] = [[]]
    for character in text.strip():
        if character in _SEPARATORS:
            if groups[-1]:
                groups.append([])
        elif character.isascii() and (character.isdigit() or character in "*#"):
            groups[-1].append(_digit_word(character, lang, yao=yao))
        else:
            raise ValueError(f"not a digit string: {text!r}")
    if not groups[0]:
        raise ValueError("empty digit string")
    joiner, pause = ("", "，") if lang is Language.ZH else (" ", ", ")
    return pause.join(joiner.join(group) for group in groups if group)


def phone_number(text: str, language: str | Language) -> str:
    """Read a phone number; an 11-digit Chinese mobile number is grouped 3-4-4."""
    compact = "".join(character for character in text if character not in _SEPARATORS)
    if compact.startswith("+86"):
        compact = compact[3:]
    if len(compact) == _ZH_MOBILE_LENGTH and compact.startswith("1") and compact.isdigit():
        text = f"{compact[:3]} {compact[3:7]} {compact[7:]}"
    return digits(text.replace("+86", ""), language)


def queue_number(value: int, language: str | Language) -> str:
    """Say a queue number: 12 -> 第十二号 / 'queue number twelve'."""
    if value < 0:
        raise ValueError(f"queue numbers are not negative: {value}")
    if as_language(language) is Language.ZH:
        return f"第{zh_number(value)}号"
    return f"queue number {en_number(value)}"


def press_key(key: str, language: str | Language) -> str:
    """Ask for a key press: '1' -> 请按一 / 'press one'."""
    lang = as_language(language)
    if len(key) != 1 or not ((key.isdigit() and key.isascii()) or key in "*#"):
        raise ValueError(f"not a telephone key: {key!r}")
    word = _digit_word(key, lang, yao=False)
    return f"请按{word}" if lang is Language.ZH else f"press {word}"


def menu_option(key: str, action: str, language: str | Language) -> str:
    """Offer a menu choice: 挂号请按一 / 'For appointments, press one'."""
    if as_language(language) is Language.ZH:
        return action + press_key(key, language)
    return f"For {action}, {press_key(key, language)}"
