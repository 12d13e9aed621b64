"""Direct phone consultations (pure): availability windows, private numbers, fees, records.

A doctor offers consultations in weekly windows (hospital time); exceptions close a day or
part of it, or open an extra window on one date. The doctor's private numbers are dialled
in order by Careline itself, which shows the hospital's number to both sides; the numbers
are never shown to patients or agents, and staff pages show them masked.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from careline.kit.errors import CarelineError

MAX_PRIVATE_NUMBERS = 5
LOOKAHEAD_DAYS = 28


class ConsultationError(CarelineError):
    status_code = 400
    error_id = "consultation_error"


class InvalidWindow(ConsultationError):
    status_code = 422
    error_id = "consultation_invalid_window"


class InvalidConsultSettings(ConsultationError):
    status_code = 422
    error_id = "consultation_invalid_settings"


class ConsultationNotFound(ConsultationError):
    status_code = 404
    error_id = "consultation_not_found"


class FeeMode(StrEnum):
    """How a consultation is charged to the member card."""

    FREE = "free"
    PER_CONSULTATION = "per_consultation"
    PER_MINUTE = "per_minute"


class Outcome(StrEnum):
    """How a consultation attempt ended."""

    RINGING = "ringing"  # in progress: the doctor counts as busy
    CONNECTED = "connected"
    COMPLETED = "completed"
    NO_ANSWER = "no_answer"
    DECLINED = "declined"
    FAILED = "failed"


class Availability(StrEnum):
    AVAILABLE = "available"
    OUTSIDE_HOURS = "outside_hours"
    BUSY = "busy"
    NOT_OFFERED = "not_offered"


@dataclass(frozen=True, slots=True)
class Window:
    """A weekly window: weekday 0 = Monday, start <= t < end in hospital time."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidWindow("A weekday is 0 (Monday) to 6 (Sunday).", field="weekday")
        if self.start >= self.end:
            raise InvalidWindow("A window must end after it starts.", field="end")


@dataclass(frozen=True, slots=True)
class WindowException:
    """One date: closed (whole day when start is None) or an extra open window."""

    day: date
    available: bool
    start: time | None = None
    end: time | None = None

    def __post_init__(self) -> None:
        if (self.start is None) != (self.end is None):
            raise InvalidWindow("Give both a start and an end, or neither.", field="end")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise InvalidWindow("A window must end after it starts.", field="end")
        if self.available and self.start is None:
            raise InvalidWindow("An extra window needs its hours.", field="start")

    def covers(self, moment: time) -> bool:
        if self.start is None or self.end is None:
            return True
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class ConsultSettings:
    """A doctor's terms for direct consultations."""

    doctor_id: int
    enabled: bool = False
    max_call_seconds: int = 600
    fee_mode: FeeMode = FeeMode.FREE
    fee_fen: int = 0

    def __post_init__(self) -> None:
        if not 60 <= self.max_call_seconds <= 3600:
            raise InvalidConsultSettings(
                "The maximum call length must be between 1 and 60 minutes.",
                field="max_call_seconds",
            )
        if self.fee_fen < 0 or (self.fee_mode is not FeeMode.FREE and self.fee_fen == 0):
            raise InvalidConsultSettings(
                "A charged consultation needs a fee above zero.", field="fee_fen"
            )

    @property
    def charged(self) -> bool:
        return self.fee_mode is not FeeMode.FREE


@dataclass(frozen=True, slots=True)
class Consultation:
    """One consultation attempt and, once connected, its length and charge."""

    doctor_id: int
    started_at: datetime
    outcome: Outcome = Outcome.RINGING
    patient_id: int | None = None
    member_card_id: int | None = None
    connected_at: datetime | None = None
    seconds: int = 0
    charge_fen: int = 0
    recording_path: str | None = None
    call_id: str = ""
    id: int = 0


def check_numbers(numbers: Sequence[str]) -> list[str]:
    """Return the numbers in order without repeats; at most five, at least one digit each."""
    cleaned: list[str] = []
    for number in numbers:
        value = number.strip()
        if not value or not any(ch.isdigit() for ch in value):
            raise InvalidConsultSettings("A private number is not valid.", field="numbers")
        if value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_PRIVATE_NUMBERS:
        raise InvalidConsultSettings("At most five private numbers.", field="numbers")
    return cleaned


def _open_ranges(
    day: date, windows: Iterable[Window], exceptions: Iterable[WindowException]
) -> list[tuple[time, time]]:
    todays = [e for e in exceptions if e.day == day]
    if any(not e.available and e.start is None for e in todays):
        return []
    ranges = [(w.start, w.end) for w in windows if w.weekday == day.weekday()]
    ranges += [(e.start, e.end) for e in todays if e.available and e.start and e.end]
    return sorted(ranges)


def _closed(day: date, moment: time, exceptions: Iterable[WindowException]) -> bool:
    return any(e.day == day and not e.available and e.covers(moment) for e in exceptions)


def is_open(at: datetime, windows: Iterable[Window], exceptions: Iterable[WindowException]) -> bool:
    """Tell whether ``at`` (hospital time) falls in an open window."""
    exceptions = list(exceptions)
    moment = at.time()
    in_window = any(s <= moment < e for s, e in _open_ranges(at.date(), windows, exceptions))
    return in_window and not _closed(at.date(), moment, exceptions)


def next_open(
    after: datetime, windows: Iterable[Window], exceptions: Iterable[WindowException]
) -> datetime | None:
    """The start of the next open window after ``after`` (hospital time), within 28 days."""
    windows, exceptions = list(windows), list(exceptions)
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = after.date() + timedelta(days=offset)
        for start, end in _open_ranges(day, windows, exceptions):
            candidate = datetime.combine(day, start, after.tzinfo)
            if candidate <= after:
                continue
            # A partial closure may swallow the window's start: step to its end if it fits.
            for closure in exceptions:
                if closure.day == day and not closure.available and closure.covers(start):
                    assert closure.end is not None
                    candidate = datetime.combine(day, closure.end, after.tzinfo)
            if candidate.time() < end and candidate > after:
                return candidate
    return None


def charge_for(settings: ConsultSettings, seconds: int) -> int:
    """The fen to charge for a connected call of ``seconds`` (a started minute counts)."""
    if seconds <= 0 or settings.fee_mode is FeeMode.FREE:
        return 0
    if settings.fee_mode is FeeMode.PER_CONSULTATION:
        return settings.fee_fen
    return settings.fee_fen * math.ceil(seconds / 60)


def least_balance(settings: ConsultSettings) -> int:
    """What the card must hold before ringing: one consultation or one minute."""
    return settings.fee_fen if settings.charged else 0


def masked(number: str) -> str:
    """Show a private number to its doctor or an administrator: last two digits only."""
    digits = [ch for ch in number if ch.isdigit()]
    return "*" * max(len(digits) - 2, 4) + "".join(digits[-2:])
