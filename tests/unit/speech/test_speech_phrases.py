from datetime import date, time, timedelta

import pytest

from careline.speech import phrases
from careline.speech.language import Language, as_language

ZH, EN = Language.ZH, Language.EN


@pytest.mark.parametrize(
    ("fen", "zh", "en"),
    [
        (0, "零元", "zero yuan"),
        (1, "一分", "one fen"),
        (50, "五角", "fifty fen"),
        (25, "两角五分", "twenty-five fen"),
        (100, "一元", "one yuan"),
        (200, "两元", "two yuan"),
        (1250, "十二元五角", "twelve yuan fifty"),
        (1205, "十二元零五分", "twelve yuan oh five"),
        (1255, "十二元五角五分", "twelve yuan fifty-five"),
        (10005, "一百元零五分", "one hundred yuan oh five"),
        (20000, "两百元", "two hundred yuan"),
        (1030000, "一万零三百元", "ten thousand three hundred yuan"),
        (-1250, "负十二元五角", "minus twelve yuan fifty"),
        (-5, "负五分", "minus five fen"),
    ],
)
def test_money_in_fen(fen: int, zh: str, en: str) -> None:
    assert phrases.money(fen, ZH) == zh
    assert phrases.money(fen, EN) == en


def test_numbers_pick_the_language_and_counting_mode() -> None:
    assert phrases.number(205, "zh-CN") == "二百零五"
    assert phrases.number(2, "zh-CN", counting=True) == "两"
    assert phrases.number(2, "en", counting=True) == "two"
    assert phrases.decimal("36.5", "zh") == "三十六点五"
    assert phrases.decimal("36.5", "en") == "thirty-six point five"


@pytest.mark.parametrize(
    ("day", "zh", "en"),
    [
        (date(2026, 11, 25), "十一月二十五日 星期三", "Wednesday, November twenty-fifth"),
        (date(2028, 2, 29), "二月二十九日 星期二", "Tuesday, February twenty-ninth"),
        (date(2024, 2, 29), "二月二十九日 星期四", "Thursday, February twenty-ninth"),
        (date(2026, 3, 1), "三月一日 星期日", "Sunday, March first"),
        (date(2026, 12, 31), "十二月三十一日 星期四", "Thursday, December thirty-first"),
    ],
)
def test_dates_with_weekday(day: date, zh: str, en: str) -> None:
    assert phrases.date_phrase(day, ZH) == zh
    assert phrases.date_phrase(day, EN) == en


def test_dates_with_year_and_without_weekday() -> None:
    day = date(2026, 11, 25)
    assert phrases.date_phrase(day, ZH, with_year=True) == "二零二六年十一月二十五日 星期三"
    assert phrases.date_phrase(day, ZH, with_weekday=False) == "十一月二十五日"
    assert (
        phrases.date_phrase(day, EN, with_year=True)
        == "Wednesday, November twenty-fifth, twenty twenty-six"
    )
    assert phrases.date_phrase(day, EN, with_weekday=False) == "November twenty-fifth"


@pytest.mark.parametrize(
    ("value", "spoken"),
    [(2026, "twenty twenty-six"), (2000, "two thousand"), (2005, "two thousand and five")]
    + [(2010, "twenty ten"), (1999, "nineteen ninety-nine"), (1900, "nineteen hundred")]
    + [(1905, "nineteen oh five")],
)
def test_english_years(value: int, spoken: str) -> None:
    assert phrases.year(value, EN) == spoken


def test_weekday_from_iso_number_and_bounds() -> None:
    assert phrases.weekday(7, ZH) == "星期日"
    assert phrases.weekday(1, EN) == "Monday"
    with pytest.raises(ValueError, match="1..7"):
        phrases.weekday(0, ZH)


@pytest.mark.parametrize(
    ("moment", "zh", "en"),
    [
        (time(0, 0), "凌晨零点", "twelve midnight"),
        (time(0, 30), "凌晨零点半", "twelve thirty a.m."),
        (time(2, 0), "凌晨两点", "two a.m."),
        (time(9, 30), "上午九点半", "nine thirty a.m."),
        (time(9, 5), "上午九点零五分", "nine oh five a.m."),
        (time(11, 59), "上午十一点五十九分", "eleven fifty-nine a.m."),
        (time(12, 0), "中午十二点", "twelve noon"),
        (time(12, 30), "中午十二点半", "twelve thirty p.m."),
        (time(13, 0), "下午一点", "one p.m."),
        (time(14, 45), "下午两点四十五分", "two forty-five p.m."),
        (time(18, 0), "晚上六点", "six p.m."),
        (time(22, 10), "晚上十点十分", "ten ten p.m."),
    ],
)
def test_times_of_day(moment: time, zh: str, en: str) -> None:
    assert phrases.time_of_day(moment, ZH) == zh
    assert phrases.time_of_day(moment, EN) == en


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [
        (0, "零秒", "zero seconds"),
        (1, "一秒", "one second"),
        (2, "两秒", "two seconds"),
        (90, "一分钟三十秒", "one minute and thirty seconds"),
        (120, "两分钟", "two minutes"),
        (3600, "一小时", "one hour"),
        (7325, "两小时两分钟五秒", "two hours, two minutes and five seconds"),
        (3605, "一小时五秒", "one hour and five seconds"),
    ],
)
def test_durations(seconds: int, zh: str, en: str) -> None:
    assert phrases.duration(seconds, ZH) == zh
    assert phrases.duration(timedelta(seconds=seconds), EN) == en


def test_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        phrases.duration(-1, ZH)


def test_digit_strings_read_one_digit_at_a_time_with_yao() -> None:
    assert phrases.digits("110", ZH) == "幺幺零"
    assert phrases.digits("110", ZH, yao=False) == "一一零"
    assert phrases.digits("2026-0012", ZH) == "二零二六，零零幺二"
    assert phrases.digits("*12#", EN) == "star one two hash"
    assert phrases.digits("0 7", EN) == "zero, seven"


@pytest.mark.parametrize("text", ["", " - ", "12a4", "１２"])
def test_digit_strings_refuse_other_characters(text: str) -> None:
    with pytest.raises(ValueError, match="digit string"):
        phrases.digits(text, ZH)


def test_phone_numbers_group_mobiles_3_4_4_and_keep_landline_groups() -> None:
    assert phrases.phone_number("13800138000", ZH) == "幺三八，零零幺三，八零零零"
    assert phrases.phone_number("+86 138 0013 8000", ZH) == "幺三八，零零幺三，八零零零"
    assert phrases.phone_number("010-65123456", ZH) == "零幺零，六五幺二三四五六"
    assert (
        phrases.phone_number("13800138000", EN)
        == "one three eight, zero zero one three, eight zero zero zero"
    )


def test_queue_numbers_and_menu_keys() -> None:
    assert phrases.queue_number(12, ZH) == "第十二号"
    assert phrases.queue_number(12, EN) == "queue number twelve"
    assert phrases.queue_number(102, ZH) == "第一百零二号"
    assert phrases.press_key("1", ZH) == "请按一"
    assert phrases.press_key("2", ZH) == "请按二"
    assert phrases.press_key("#", ZH) == "请按井号"
    assert phrases.press_key("0", EN) == "press zero"
    assert phrases.menu_option("1", "挂号", ZH) == "挂号请按一"
    assert phrases.menu_option("9", "anything else", EN) == "For anything else, press nine"


@pytest.mark.parametrize("key", ["", "12", "a", "٣"])
def test_press_key_refuses_what_a_phone_cannot_send(key: str) -> None:
    with pytest.raises(ValueError, match="telephone key"):
        phrases.press_key(key, ZH)


def test_language_names_are_forgiving_but_not_open_ended() -> None:
    assert as_language("zh") is ZH
    assert as_language("ZH_CN") is ZH
    assert as_language("en-US") is EN
    with pytest.raises(ValueError, match="unsupported language"):
        as_language("fr")
