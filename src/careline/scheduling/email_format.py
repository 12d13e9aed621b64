"""The booking email's simple format (pure), in English or Chinese.

One field per line, ``label: value`` (an ASCII or full-width colon); labels in any case:

    Card: 8800 1234 5678 9012        卡号：8800 1234 5678 9012
    Doctor: 1001 (or the name)       医生：王明
    Department: Cardiology           科室：心内科
    Date: 2026-12-01                 日期：2026-12-01 / 2026年12月1日 / 12月1日
    Period: morning                  时段：上午 / 下午 / 晚上        (optional)
    Time: 09:30                      时间：09:30                    (optional)

Card, date and a doctor or a department are required; other lines are ignored, so a
signature or a quoted reply does no harm.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time

_LABELS = {
    "card": "card",
    "card number": "card",
    "卡号": "card",
    "会员卡": "card",
    "会员卡号": "card",
    "doctor": "doctor",
    "医生": "doctor",
    "department": "department",
    "科室": "department",
    "date": "date",
    "day": "date",
    "日期": "date",
    "period": "period",
    "时段": "period",
    "time": "time",
    "时间": "time",
}
_PERIODS = {
    "morning": "morning",
    "am": "morning",
    "上午": "morning",
    "afternoon": "afternoon",
    "pm": "afternoon",
    "下午": "afternoon",
    "evening": "evening",
    "晚上": "evening",
}
_LINE = re.compile(r"^\s*([^:]{1,20}?)\s*:\s*(.+?)\s*$")
_CN_DATE = re.compile(r"^(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")
_TIME = re.compile(r"^(\d{1,2})[:：.](\d{2})$")


class EmailFormatError(ValueError):
    """The email does not follow the format; the message says which line is wrong."""

    error_id = "booking_email_unreadable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class EmailBooking:
    card_number: str
    day: date
    doctor: str = ""
    department: str = ""
    period: str = ""
    at: time | None = None
    chinese: bool = False


def _fields(text: str) -> tuple[dict[str, str], bool]:
    found: dict[str, str] = {}
    chinese = False
    for raw in text.splitlines():
        line = unicodedata.normalize("NFKC", raw)  # full-width colon and digits to ASCII
        match = _LINE.match(line)
        if not match:
            continue
        label = match.group(1).strip().casefold()
        key = _LABELS.get(label)
        if key and key not in found:
            found[key] = match.group(2).strip()
            chinese = chinese or not label.isascii()
    return found, chinese


def _day(text: str, today: date) -> date:
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        pass
    match = _CN_DATE.match(text)
    if match:
        year = int(match.group(1)) if match.group(1) else today.year
        try:
            day = date(year, int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise EmailFormatError("The date is not a real day.") from None
        # "1月3日" written in December means next January.
        return day if match.group(1) or day >= today else date(year + 1, day.month, day.day)
    raise EmailFormatError("The date must be written like 2026-12-01 or 12月1日.")


def parse_booking_email(text: str, *, today: date) -> EmailBooking:
    """Read the booking fields from an email body, or raise EmailFormatError."""
    found, chinese = _fields(text)
    if "card" not in found:
        raise EmailFormatError("The email needs a line with the card number (Card: ...).")
    if "date" not in found:
        raise EmailFormatError("The email needs a line with the date (Date: ...).")
    if "doctor" not in found and "department" not in found:
        raise EmailFormatError("The email needs a doctor or a department line.")
    period = ""
    if "period" in found:
        period = _PERIODS.get(found["period"].casefold(), "")
        if not period:
            raise EmailFormatError("The period must be morning, afternoon or evening.")
    at: time | None = None
    if "time" in found:
        match = _TIME.match(found["time"])
        if not match or int(match.group(1)) > 23:
            raise EmailFormatError("The time must be written like 09:30.")
        at = time(int(match.group(1)), int(match.group(2)))
    return EmailBooking(
        card_number=found["card"],
        day=_day(found["date"], today),
        doctor=found.get("doctor", ""),
        department=found.get("department", ""),
        period=period,
        at=at,
        chinese=chinese,
    )
