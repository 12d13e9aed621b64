"""Check-up due dates (stored date before interval), their CSV, and greetings off service SMS."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from careline.campaigns.checkups import Checkup, CheckupSource, parse_checkups_csv
from careline.campaigns.model import (
    Appointment,
    AudienceKind,
    AudienceRule,
    CampaignKind,
    Channel,
    InvalidCampaign,
    MessageKind,
    PatientFacts,
    choose_channel,
    matches,
    message_kind,
    template_values,
)

TODAY = date(2026, 11, 25)
BASE = PatientFacts(patient_id=1, name="王芳", gender="female", phone="+8613900000001")
YEARLY = AudienceRule(AudienceKind.CHECKUP_DUE, days=365)


def test_a_stored_due_date_wins_over_the_interval() -> None:
    # Last visit long ago, but the doctor set the next check-up for next month: not yet.
    later = replace(BASE, last_visit=date(2024, 1, 1), checkup_due=date(2026, 12, 20))
    assert not matches(YEARLY, later, TODAY)
    # Visited last week, but the check-up was due yesterday: remind.
    overdue = replace(BASE, last_visit=date(2026, 11, 18), checkup_due=date(2026, 11, 24))
    assert matches(YEARLY, overdue, TODAY)
    # No visit at all: the stored date alone selects the patient, from the day it is due.
    assert matches(YEARLY, replace(BASE, checkup_due=TODAY), TODAY)
    assert not matches(YEARLY, replace(BASE, checkup_due=date(2026, 11, 26)), TODAY)


def test_without_a_due_date_the_interval_applies_and_a_booking_excludes() -> None:
    assert matches(YEARLY, replace(BASE, last_visit=date(2025, 11, 25)), TODAY)
    assert not matches(YEARLY, replace(BASE, last_visit=date(2025, 11, 26)), TODAY)
    assert not matches(YEARLY, BASE, TODAY)
    booked = replace(
        BASE, checkup_due=date(2026, 11, 1), appointment=Appointment(date(2026, 11, 26))
    )
    assert not matches(YEARLY, booked, TODAY)


def test_the_due_date_fills_the_date_field_when_nothing_is_booked() -> None:
    due = replace(BASE, checkup_due=date(2026, 12, 3))
    assert template_values(due, "zh-CN")["date"] == "12月3日"
    assert template_values(due, "en")["date"] == "03 December 2026"
    booked = replace(due, appointment=Appointment(date(2026, 11, 26), "李医生"))
    assert template_values(booked, "zh-CN")["date"] == "11月26日"


def test_csv_lines_are_read_and_errors_carry_line_numbers() -> None:
    text = (
        "patient_id,kind,due_date\n"
        "1,糖化血红蛋白,2026-12-01\n"
        "\n"
        "2,annual,2027/01/15\n"
        "x,annual,2026-12-01\n"
        "3,annual,2026-02-30\n"
        "4,annual\n"
        "1,糖化血红蛋白,2026-12-09\n"
        f"5,{'k' * 61},2026-12-01\n"
    )
    found, errors = parse_checkups_csv(text)
    assert found == [
        (2, Checkup(1, "糖化血红蛋白", date(2026, 12, 1), CheckupSource.CSV)),
        (4, Checkup(2, "annual", date(2027, 1, 15), CheckupSource.CSV)),
    ]
    assert [(e.line, e.message) for e in errors] == [
        (5, "The patient id must be a positive number."),
        (6, "The due date must be a date like 2026-12-31."),
        (7, "A line needs three values: patient id, kind and due date."),
        (8, "This check-up is already on an earlier line."),
        (9, "The check-up kind must have 1 to 60 characters."),
    ]


def test_a_first_line_that_is_data_is_not_taken_for_a_header() -> None:
    found, errors = parse_checkups_csv("\ufeff7,eye,2026-12-01\r\n")
    assert errors == []
    assert found == [(1, Checkup(7, "eye", date(2026, 12, 1), CheckupSource.CSV))]


def test_a_checkup_refuses_a_blank_kind_and_a_zero_patient() -> None:
    with pytest.raises(InvalidCampaign, match="1 to 60"):
        Checkup(1, "  ", TODAY).validate()
    with pytest.raises(InvalidCampaign, match="positive"):
        Checkup(0, "eye", TODAY).validate()


def test_greetings_are_marketing_and_stay_off_the_service_sms_route() -> None:
    assert message_kind(CampaignKind.CARE) is MessageKind.MARKETING
    assert message_kind(CampaignKind.REMINDER) is MessageKind.NOTIFICATION
    assert message_kind(CampaignKind.SURVEY) is MessageKind.NOTIFICATION
    texter = replace(BASE, preferred_channel=Channel.SMS, consents={"marketing": True})
    both = (Channel.SMS, Channel.VOICE)
    # A greeting falls back to a call, and is not sent at all when only SMS is allowed.
    assert choose_channel(texter, CampaignKind.CARE, both) is Channel.VOICE
    assert choose_channel(texter, CampaignKind.CARE, (Channel.SMS,)) is None
    # With a marketing SMS route configured, greetings may go by SMS.
    assert choose_channel(texter, CampaignKind.CARE, both, marketing_sms=True) is Channel.SMS
    # Reminders are service notifications: SMS as before.
    assert choose_channel(texter, CampaignKind.REMINDER, (Channel.SMS,)) is Channel.SMS
