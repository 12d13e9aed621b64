"""The SLA clock on Chinese working days: holidays, days off in lieu, make-up working days."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from careline.complaints.clockwork import next_escalation_due
from careline.complaints.model import SlaPolicy, TicketStatus
from careline.complaints.sla import SlaClock, WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOCK = SlaClock(SlaPolicy(), SHANGHAI)


def local(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(UTC)


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), SHANGHAI).astimezone(UTC)


def test_national_day_2026_and_its_make_up_saturday() -> None:
    calendar = WorkCalendar()
    assert not calendar.is_working_day(date(2026, 10, 1))
    assert not calendar.is_working_day(date(2026, 10, 7))  # day off in lieu, a Wednesday
    assert calendar.is_working_day(date(2026, 10, 10))  # make-up Saturday
    assert calendar.is_working_day(date(2026, 9, 20))  # make-up Sunday
    assert not calendar.is_working_day(date(2026, 10, 11))


def test_five_working_days_across_national_day() -> None:
    # Received Wednesday 30 September: 1-7 October are off, Saturday 10 October is worked.
    deadlines = CLOCK.deadlines(local(date(2026, 9, 30)), multi_department=False)
    assert deadlines.first_response_due_at == end_of(date(2026, 10, 8))
    # 8 Thu, 9 Fri, 10 Sat (make-up), 12 Mon, 13 Tue.
    assert deadlines.resolution_due_at == end_of(date(2026, 10, 13))
    assert deadlines.resolution_due_at == datetime(2026, 10, 13, 16, 0, tzinfo=UTC)
    assert deadlines.warn_at == deadlines.resolution_due_at - timedelta(hours=24)


def test_make_up_sunday_counts_as_the_first_working_day() -> None:
    deadlines = CLOCK.deadlines(local(date(2026, 9, 18)), multi_department=False)
    assert deadlines.first_response_due_at == end_of(date(2026, 9, 20))
    assert deadlines.resolution_due_at == end_of(date(2026, 9, 24))


def test_several_departments_get_ten_working_days() -> None:
    deadlines = CLOCK.deadlines(local(date(2026, 11, 25)), multi_department=True)
    assert deadlines.resolution_due_at == end_of(date(2026, 12, 9))


def test_spring_festival_2027() -> None:
    deadlines = CLOCK.deadlines(local(date(2027, 2, 4)), multi_department=False)
    # 5-10 February off; 11, 12, 15, 16, 17 worked.
    assert deadlines.resolution_due_at == end_of(date(2027, 2, 17))


def test_received_late_evening_hospital_time_counts_from_the_local_day() -> None:
    # 23:30 in Shanghai is still 15:30 UTC the same day; a UTC date would be right by luck,
    # 00:30 local is 16:30 UTC the previous day and would be wrong by a day.
    just_after_midnight = datetime(2026, 11, 25, 0, 30, tzinfo=SHANGHAI)
    deadlines = CLOCK.deadlines(just_after_midnight, multi_department=False)
    assert deadlines.first_response_due_at == end_of(date(2026, 11, 26))


def test_pause_extends_deadlines_by_the_working_days_waited() -> None:
    paused = local(date(2026, 11, 23))  # Monday
    resumed = local(date(2026, 11, 25), 15)  # Wednesday
    days = CLOCK.paused_working_days(paused, resumed)
    assert days == 2
    assert CLOCK.extend(end_of(date(2026, 11, 27)), days) == end_of(date(2026, 12, 1))


def test_pause_over_national_day_counts_only_working_days() -> None:
    days = CLOCK.paused_working_days(local(date(2026, 9, 30)), local(date(2026, 10, 11)))
    assert days == 3  # 8, 9 and the make-up 10 October


def test_pause_within_one_day_costs_nothing() -> None:
    assert (
        CLOCK.paused_working_days(local(date(2026, 11, 25), 9), local(date(2026, 11, 25), 17)) == 0
    )
    due = end_of(date(2026, 11, 27))
    assert CLOCK.extend(due, 0) == due


def test_escalation_watches_the_earlier_deadline_until_first_response() -> None:
    first, resolution = end_of(date(2026, 11, 26)), end_of(date(2026, 12, 2))

    def due(status: TicketStatus, responded: datetime | None) -> datetime | None:
        return next_escalation_due(
            status=status,
            level=0,
            policy=SlaPolicy(),
            first_response_due_at=first,
            first_responded_at=responded,
            resolution_due_at=resolution,
        )

    assert due(TicketStatus.NEW, None) == first
    assert due(TicketStatus.IN_PROGRESS, local(date(2026, 11, 25))) == resolution


def test_no_escalation_while_paused_finished_or_at_the_top() -> None:
    due = end_of(date(2026, 12, 2))
    policy = SlaPolicy()
    for status, level in [
        (TicketStatus.AWAITING_PATIENT, 0),
        (TicketStatus.RESOLVED, 0),
        (TicketStatus.CLOSED, 1),
        (TicketStatus.ESCALATED, policy.top_level),
    ]:
        assert (
            next_escalation_due(
                status=status,
                level=level,
                policy=policy,
                first_response_due_at=due,
                first_responded_at=None,
                resolution_due_at=due,
            )
            is None
        )
