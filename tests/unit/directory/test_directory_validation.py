"""Validation of directory entries: every problem reported per field, values trimmed."""

from __future__ import annotations

from datetime import date, time

import pytest

from careline.directory.model import (
    Article,
    Department,
    Doctor,
    DoctorTitle,
    Drug,
    ExceptionKind,
    FaxDocument,
    InvalidDirectoryInput,
    ScheduleException,
    SessionPeriod,
    WeeklySession,
)
from careline.directory.validation import (
    validate_article,
    validate_department,
    validate_doctor,
    validate_document,
    validate_drug,
    validate_exception,
    validate_weekly_sessions,
)


def session(**changes: object) -> WeeklySession:
    values: dict[str, object] = {
        "weekday": 0,
        "period": SessionPeriod.MORNING,
        "capacity": 10,
        "registration_fee": 500,
    }
    values.update(changes)
    return WeeklySession(**values)  # type: ignore[arg-type]


def test_department_is_trimmed_and_needs_a_chinese_name() -> None:
    cleaned = validate_department(Department(name_zh="  心血管内科 ", name_en=" Cardiology  "))
    assert (cleaned.name_zh, cleaned.name_en) == ("心血管内科", "Cardiology")
    with pytest.raises(InvalidDirectoryInput) as caught:
        validate_department(Department(name_zh="   "))
    assert caught.value.errors == {"name_zh": "This field is required."}


def test_oversized_fields_are_reported_together() -> None:
    with pytest.raises(InvalidDirectoryInput) as caught:
        validate_department(Department(name_zh="科" * 65, phone="1" * 65))
    assert set(caught.value.errors) == {"name_zh", "phone"}
    assert caught.value.status_code == 422


def test_department_cannot_be_its_own_parent() -> None:
    with pytest.raises(InvalidDirectoryInput) as caught:
        validate_department(Department(name_zh="内科", parent_id=3, id=3))
    assert "parent_id" in caught.value.errors


def test_doctor_number_must_be_digits() -> None:
    doctor = Doctor(department_id=1, name="张伟", title=DoctorTitle.CHIEF, doctor_number="12a")
    with pytest.raises(InvalidDirectoryInput) as caught:
        validate_doctor(doctor)
    assert caught.value.errors == {"doctor_number": "A doctor number is 1 to 8 digits."}


def test_doctor_photo_must_be_a_path_or_web_address() -> None:
    doctor = Doctor(
        department_id=1, name="张伟", title=DoctorTitle.CHIEF, doctor_number="1001", photo="c:x"
    )
    with pytest.raises(InvalidDirectoryInput) as caught:
        validate_doctor(doctor)
    assert set(caught.value.errors) == {"photo"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capacity": -1}, "sessions-0-capacity"),
        ({"capacity": 1001}, "sessions-0-capacity"),
        ({"registration_fee": -1}, "sessions-0-registration_fee"),
        ({"weekday": 7}, "sessions-0-weekday"),
        ({"start_time": time(12, 0), "end_time": time(11, 0)}, "sessions-0-end_time"),
        ({"period": SessionPeriod.MORNING, "start_time": time(12, 30)}, "sessions-0-end_time"),
    ],
)
def test_impossible_template_rows_are_refused(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidDirectoryInput) as caught:
        validate_weekly_sessions([session(**changes)])
    assert field in caught.value.errors


def test_zero_capacity_and_free_sessions_are_allowed() -> None:
    (checked,) = validate_weekly_sessions([session(capacity=0, registration_fee=0)])
    assert checked.capacity == 0


def test_duplicate_weekday_and_period_is_refused_on_the_second_row() -> None:
    with pytest.raises(InvalidDirectoryInput) as caught:
        validate_weekly_sessions([session(), session(capacity=3)])
    assert caught.value.errors == {"sessions-1-period": "This weekday and session appear twice."}


def test_template_rows_come_back_in_week_order() -> None:
    rows = [
        session(weekday=2, period=SessionPeriod.EVENING),
        session(weekday=2, period=SessionPeriod.MORNING),
        session(weekday=0, period=SessionPeriod.AFTERNOON),
    ]
    ordered = validate_weekly_sessions(rows)
    assert [(s.weekday, s.period) for s in ordered] == [
        (0, SessionPeriod.AFTERNOON),
        (2, SessionPeriod.MORNING),
        (2, SessionPeriod.EVENING),
    ]


def test_exception_last_day_not_before_first() -> None:
    backwards = ScheduleException(
        kind=ExceptionKind.LEAVE, first_day=date(2026, 12, 2), last_day=date(2026, 12, 1)
    )
    with pytest.raises(InvalidDirectoryInput) as caught:
        validate_exception(backwards)
    assert "last_day" in caught.value.errors


def test_drug_code_price_and_required_fields() -> None:
    drug = Drug(code="bad code!", name_zh="", specification="0.25g*24粒", unit="盒", price=-5)
    with pytest.raises(InvalidDirectoryInput) as caught:
        validate_drug(drug)
    assert set(caught.value.errors) == {"code", "name_zh", "price"}


def test_article_tags_are_deduplicated_and_language_checked() -> None:
    article = Article(
        title="冬季防流感",
        body="勤洗手。",
        language="zh-CN",
        published_on=date(2026, 11, 1),
        tags=("流感", " 流感 ", "", "预防"),
    )
    assert validate_article(article).tags == ("流感", "预防")
    with pytest.raises(InvalidDirectoryInput) as caught:
        validate_article(Article(title="x", body="y", language="fr", published_on=date.today()))
    assert "language" in caught.value.errors


def test_document_needs_text_or_file_and_a_digit_code() -> None:
    with pytest.raises(InvalidDirectoryInput) as caught:
        validate_document(FaxDocument(code="A1", title="就诊须知"))
    assert set(caught.value.errors) == {"code", "body"}
