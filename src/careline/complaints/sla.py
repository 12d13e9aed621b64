"""The SLA clock on Chinese working days (pure apart from the holidays tables).

A working day is Monday to Friday unless it is a public holiday or a day off in lieu, plus
every make-up working day (调休上班, e.g. Sunday 2026-09-20). "Answer within 5 working days"
means by the end of the 5th working day after the day the ticket was received, so a
deadline is midnight (hospital time) at the end of that day. While the ticket waits for the
patient the clock stops: on resuming, every deadline moves on by the working days that
passed while paused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from careline.complaints.model import SlaPolicy
from careline.directory.sessions import HolidayCalendar, china_calendar

CalendarSource = Callable[[int], HolidayCalendar]


def china_year(year: int) -> HolidayCalendar:
    """Return China's holiday calendar for one year (cached by the directory helper)."""
    return china_calendar((year,))


class WorkCalendar:
    """Working days of the hospital, year tables loaded on demand."""

    def __init__(self, source: CalendarSource = china_year) -> None:
        self._source = source

    def is_working_day(self, day: date) -> bool:
        """Tell whether staff work on ``day``."""
        calendar = self._source(day.year)
        if day in calendar.makeup_workdays:
            return True
        return day.weekday() < 5 and calendar.holiday(day) is None

    def add_working_days(self, day: date, count: int) -> date:
        """Return the ``count``-th working day after ``day`` (``day`` itself not counted)."""
        current = day
        remaining = count
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Count working days d with start < d <= end."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            count += self.is_working_day(current)
        return count


def _end_of(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Deadlines:
    first_response_due_at: datetime
    resolution_due_at: datetime
    warn_at: datetime


class SlaClock:
    """Compute and move a ticket's deadlines."""

    def __init__(
        self, policy: SlaPolicy, zone: tzinfo, calendar: WorkCalendar | None = None
    ) -> None:
        self.policy = policy
        self.zone = zone
        self.calendar = calendar or WorkCalendar()

    def due_after(self, moment: datetime, working_days: int) -> datetime:
        """Return the end of the ``working_days``-th working day after ``moment``'s day."""
        local_day = moment.astimezone(self.zone).date()
        return _end_of(self.calendar.add_working_days(local_day, working_days), self.zone)

    def deadlines(self, received_at: datetime, *, multi_department: bool) -> Deadlines:
        """Return the deadlines of a ticket received at ``received_at``."""
        days = (
            self.policy.multi_department_working_days
            if multi_department
            else self.policy.resolution_working_days
        )
        resolution = self.due_after(received_at, days)
        return Deadlines(
            first_response_due_at=self.due_after(
                received_at, self.policy.first_response_working_days
            ),
            resolution_due_at=resolution,
            warn_at=self.warning_for(resolution),
        )

    def warning_for(self, due: datetime) -> datetime:
        """Return when to warn before ``due``."""
        return due - timedelta(hours=self.policy.warning_hours)

    def paused_working_days(self, paused_at: datetime, resumed_at: datetime) -> int:
        """Return the working days the clock was stopped for."""
        return self.calendar.working_days_between(
            paused_at.astimezone(self.zone).date(), resumed_at.astimezone(self.zone).date()
        )

    def extend(self, due: datetime | None, working_days: int) -> datetime | None:
        """Move a deadline on by ``working_days`` working days."""
        if due is None or working_days <= 0:
            return due
        last_day = due.astimezone(self.zone).date() - timedelta(days=1)
        return _end_of(self.calendar.add_working_days(last_day, working_days), self.zone)

    def next_level_due(self, now: datetime) -> datetime:
        """Return when the level a ticket was just escalated to must have acted."""
        return self.due_after(now, self.policy.escalation_step_working_days)
