"""Read the doctor's consultation forms (pure): windows as text lines, fees in yuan."""

from __future__ import annotations

import re
from datetime import date, time

from careline.consultations.model import (
    ConsultSettings,
    FeeMode,
    InvalidConsultSettings,
    InvalidWindow,
    Window,
    WindowException,
)
from careline.kit.money import format_yuan, parse_yuan

# "3 14:00-16:30": weekday 1 (Monday) to 7 (Sunday), then the hours.
_LINE = re.compile(r"^\s*([1-7])\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _time(hour: str, minute: str) -> time:
    try:
        return time(int(hour), int(minute))
    except ValueError:
        raise InvalidWindow("Write each window as: weekday 1-7, then 09:00-11:30.") from None


def parse_windows(text: str) -> list[Window]:
    """Read one window per line; blank lines are skipped."""
    windows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise InvalidWindow("Write each window as: weekday 1-7, then 09:00-11:30.")
        day, h1, m1, h2, m2 = match.groups()
        windows.append(Window(int(day) - 1, _time(h1, m1), _time(h2, m2)))
    return windows


def format_windows(windows: list[Window]) -> str:
    """Write windows back as the form's text lines."""
    return "\n".join(f"{w.weekday + 1} {w.start:%H:%M}-{w.end:%H:%M}" for w in windows)


def parse_exception(day: str, available: bool, start: str, end: str) -> WindowException:
    """Read one exception row of the form."""
    try:
        when = date.fromisoformat(day.strip())
    except ValueError:
        raise InvalidWindow("Give the date as 2026-12-01.", field="day") from None
    hours = [part.split(":") for part in (start.strip(), end.strip()) if part.strip()]
    if any(len(h) != 2 for h in hours):
        raise InvalidWindow("Write each window as: weekday 1-7, then 09:00-11:30.")
    times = [_time(h, m) for h, m in hours]
    if len(times) == 1:
        raise InvalidWindow("Give both a start and an end, or neither.", field="end")
    return WindowException(
        when, available, times[0] if times else None, times[1] if times else None
    )


def parse_settings(
    doctor_id: int, *, enabled: bool, minutes: str, fee_mode: str, fee_yuan: str
) -> ConsultSettings:
    """Read the terms form: call length in minutes and the fee in yuan."""
    if not minutes.strip().isdigit():
        raise InvalidConsultSettings(
            "The maximum call length must be between 1 and 60 minutes.",
            field="max_call_seconds",
        )
    mode = FeeMode(fee_mode) if fee_mode in {m.value for m in FeeMode} else FeeMode.FREE
    try:
        fee = parse_yuan(fee_yuan) if fee_yuan.strip() and mode is not FeeMode.FREE else 0
    except ValueError:
        raise InvalidConsultSettings(
            "A charged consultation needs a fee above zero.", field="fee_fen"
        ) from None
    return ConsultSettings(doctor_id, enabled, int(minutes) * 60, mode, fee)


def fee_text(settings: ConsultSettings) -> str:
    """The fee as the form shows it."""
    return format_yuan(settings.fee_fen) if settings.charged else ""
