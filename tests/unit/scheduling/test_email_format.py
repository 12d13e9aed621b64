from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from careline.scheduling.email_format import EmailFormatError, parse_booking_email
from careline.scheduling.ics import appointment_ics, escape_text, fold

TODAY = date(2026, 12, 20)


def test_chinese_request_with_full_width_colons() -> None:
    text = (
        "您好！\n卡号：8800 0000 0012 3456\n科室：心内科\n日期：1月3日\n"
        "时段：上午\n时间：９:３０\n谢谢"
    )
    found = parse_booking_email(text, today=TODAY)
    assert found.card_number == "8800 0000 0012 3456"
    assert found.department == "心内科"
    assert found.day == date(2027, 1, 3)  # January written in December is next year's
    assert found.period == "morning"
    assert found.at == time(9, 30)
    assert found.chinese


def test_english_request() -> None:
    found = parse_booking_email("Card: 1\nDOCTOR: 1001\ndate: 2026-12-22", today=TODAY)
    assert (found.doctor, found.day, found.chinese) == ("1001", date(2026, 12, 22), False)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("Doctor: 1\nDate: 2026-12-22", "card number"),
        ("Card: 1\nDoctor: 1", "date"),
        ("Card: 1\nDate: 2026-12-22", "doctor or a department"),
        ("Card: 1\nDoctor: 1\nDate: tomorrow", "2026-12-01"),
        ("Card: 1\nDoctor: 1\nDate: 2月30日", "real day"),
        ("Card: 1\nDoctor: 1\nDate: 2026-12-22\nPeriod: night", "morning"),
        ("Card: 1\nDoctor: 1\nDate: 2026-12-22\nTime: 25:00", "09:30"),
    ],
)
def test_mistakes_are_named(text: str, complaint: str) -> None:
    with pytest.raises(EmailFormatError, match=complaint):
        parse_booking_email(text, today=TODAY)


def test_ics_text_is_escaped_and_folded() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    long = "DESCRIPTION:" + "预约" * 40
    folded = fold(long)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == long


def test_ics_event_times_are_utc() -> None:
    ics = appointment_ics(
        uid="booking-1@careline",
        starts_at=datetime(2026, 12, 22, 1, 30, tzinfo=UTC),
        ends_at=datetime(2026, 12, 22, 2, 0, tzinfo=UTC),
        summary="Visit, number 3",
        description="line one\nline two",
        location="Hospital",
        stamp=datetime(2026, 12, 20, tzinfo=UTC),
    )
    lines = ics.decode().split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert "DTSTART:20261222T013000Z" in lines
    assert "SUMMARY:Visit\\, number 3" in lines
    assert "DESCRIPTION:line one\\nline two" in lines
    assert lines[-2] == "END:VCALENDAR"
