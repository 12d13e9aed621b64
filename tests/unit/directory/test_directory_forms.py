"""Reading the admin forms: typed values, schedule rows and errors at the row shown."""

from __future__ import annotations

from datetime import date, time

import pytest

from careline.directory.forms import (
    FormErrors,
    read_doctor,
    read_exception,
    session_form_rows,
    submitted_rows,
)
from careline.directory.model import ClinicType, DoctorTitle, ExceptionKind, SessionPeriod

DOCTOR_FORM = {
    "department_id": "3",
    "name": "张伟",
    "title": "chief_physician",
    "doctor_number": "1001",
    "active": "on",
}


def test_doctor_form_reads_rows_in_yuan_and_skips_empty_weekdays() -> None:
    form = DOCTOR_FORM | {
        "sessions-0-weekday": "2",
        "sessions-0-period": "evening",
        "sessions-0-capacity": "12",
        "sessions-0-registration_fee": "12.5",
        "sessions-0-start_time": "18:30",
        "sessions-1-weekday": "",
        "sessions-1-capacity": "99",
        "sessions-2-weekday": "4",
        "sessions-2-period": "morning",
        "sessions-2-capacity": "20",
        "sessions-2-registration_fee": "50",
        "sessions-2-clinic_type": "expert",
        "sessions-2-runs_on_holidays": "on",
    }
    doctor, rows = read_doctor(form)
    assert (doctor.department_id, doctor.title, doctor.active) == (3, DoctorTitle.CHIEF, True)
    assert [(r.weekday, r.period, r.registration_fee) for r in rows] == [
        (2, SessionPeriod.EVENING, 1250),
        (4, SessionPeriod.MORNING, 5000),
    ]
    assert rows[0].start_time == time(18, 30)
    assert rows[0].clinic_type is ClinicType.GENERAL
    assert rows[1].runs_on_holidays


def test_unreadable_and_rule_errors_are_reported_together_at_the_row_shown() -> None:
    form = DOCTOR_FORM | {
        "doctor_number": "x1",
        "sessions-0-weekday": "",
        "sessions-1-weekday": "1",
        "sessions-1-period": "morning",
        "sessions-1-capacity": "-2",
        "sessions-1-registration_fee": "ten",
    }
    with pytest.raises(FormErrors) as caught:
        read_doctor(form)
    assert caught.value.errors == {
        "sessions-1-registration_fee": "Enter an amount in yuan, such as 50 or 12.50.",
        "doctor_number": "A doctor number is 1 to 8 digits.",
        "sessions-1-capacity": "Capacity must be between 0 and 1000.",
    }


def test_exception_form_defaults_to_one_whole_day() -> None:
    exception = read_exception({"kind": "stopped", "first_day": "2026-12-01"}, doctor_id=5)
    assert exception.kind is ExceptionKind.STOPPED
    assert (exception.first_day, exception.last_day) == (date(2026, 12, 1), date(2026, 12, 1))
    assert exception.period is None
    assert exception.doctor_id == 5
    with pytest.raises(FormErrors) as caught:
        read_exception({"kind": "nap", "first_day": "tomorrow"}, doctor_id=5)
    assert set(caught.value.errors) == {"kind", "first_day"}


def test_rows_shown_again_keep_their_positions() -> None:
    form = {"sessions-0-weekday": "", "sessions-1-weekday": "3", "sessions-1-capacity": "-1"}
    rows = submitted_rows(form, blank=1)
    assert [r["weekday"] for r in rows] == ["", "3", ""]
    assert rows[1]["capacity"] == "-1"


def test_stored_rows_become_form_values_in_yuan_with_blank_rows() -> None:
    _, rows = read_doctor(
        DOCTOR_FORM
        | {
            "sessions-0-weekday": "0",
            "sessions-0-period": "afternoon",
            "sessions-0-capacity": "8",
            "sessions-0-registration_fee": "30",
        }
    )
    values = session_form_rows(rows, blank=2)
    assert len(values) == 3
    assert values[0]["registration_fee"] == "30.00"
    assert values[0]["start_time"] == ""
    assert values[1]["weekday"] == ""
