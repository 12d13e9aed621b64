"""Audience rules, vaccination schedule, consent and channel choice, templates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from careline.campaigns.lunar import Festival, LunarDate, to_solar
from careline.campaigns.model import (
    Appointment,
    AudienceKind,
    AudienceRule,
    CampaignKind,
    CampaignStateConflict,
    CampaignStatus,
    Channel,
    InvalidCampaign,
    MessageTemplate,
    PatientFacts,
    choose_channel,
    matches,
    move_status,
    template_values,
)
from careline.campaigns.vaccines import (
    NATIONAL_SCHEDULE,
    add_months,
    doses_due_on,
    parse_schedule,
)

TODAY = date(2026, 11, 25)
BASE = PatientFacts(patient_id=1, name="王芳", gender="female", phone="+8613900000001")


def test_birthday_uses_the_lunar_calendar_for_patients_who_keep_it() -> None:
    born = to_solar(LunarDate(1990, 10, 6))
    lunar_day = to_solar(LunarDate(2026, 10, 6))
    rule = AudienceRule(AudienceKind.BIRTHDAY)
    lunar = replace(BASE, birth_date=born, lunar_birthday=True)
    solar = replace(BASE, birth_date=born)
    assert matches(rule, lunar, lunar_day)
    assert not matches(rule, solar, lunar_day)
    assert matches(rule, solar, born.replace(year=2026))


def test_festival_rule_selects_only_on_that_festival() -> None:
    rule = AudienceRule(AudienceKind.FESTIVAL, festival=Festival.MID_AUTUMN)
    assert matches(rule, BASE, date(2026, 9, 25))
    assert not matches(rule, BASE, date(2026, 2, 17))
    assert matches(AudienceRule(AudienceKind.FESTIVAL), BASE, date(2026, 2, 17))


def test_appointment_tomorrow_and_follow_up_and_checkup() -> None:
    booked = replace(BASE, appointment=Appointment(date(2026, 11, 26), "李医生"))
    assert matches(AudienceRule(AudienceKind.APPOINTMENT_TOMORROW), booked, TODAY)
    assert not matches(AudienceRule(AudienceKind.APPOINTMENT_TOMORROW), BASE, TODAY)
    visited = replace(BASE, last_visit=date(2026, 11, 18))
    assert matches(AudienceRule(AudienceKind.FOLLOW_UP, days=7), visited, TODAY)
    assert not matches(AudienceRule(AudienceKind.FOLLOW_UP, days=6), visited, TODAY)
    old = replace(BASE, last_visit=date(2025, 11, 20))
    assert matches(AudienceRule(AudienceKind.CHECKUP_DUE, days=365), old, TODAY)
    assert not matches(AudienceRule(AudienceKind.CHECKUP_DUE, days=365), visited, TODAY)


def test_vaccination_due_dates_follow_the_schedule() -> None:
    born = date(2026, 5, 31)
    # Six-month doses (HepB 3, MPSV-A 1) fall on 30 November: 31 November does not exist.
    due = doses_due_on(born, date(2026, 11, 30))
    assert {(d.vaccine, d.dose) for d in due} == {("HepB", 3), ("MPSV-A", 1)}
    rule = AudienceRule(AudienceKind.VACCINATION, days=5)
    child = replace(BASE, birth_date=born)
    assert matches(rule, child, TODAY)
    assert not matches(AudienceRule(AudienceKind.VACCINATION, days=4), child, TODAY)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert len(NATIONAL_SCHEDULE) == 22


def test_a_hospital_schedule_replaces_the_default() -> None:
    schedule = parse_schedule("# own list\nFlu,1,6,流感疫苗\nFlu,2,7\n")
    child = replace(BASE, birth_date=date(2026, 5, 25))
    assert matches(AudienceRule(AudienceKind.VACCINATION, schedule=schedule), child, TODAY)
    with pytest.raises(ValueError, match="vaccine,dose"):
        parse_schedule("Flu,one,6")


def test_greetings_need_marketing_consent() -> None:
    allowed = (Channel.VOICE, Channel.SMS)
    assert choose_channel(BASE, CampaignKind.CARE, allowed) is None
    consenting = replace(BASE, consents={"marketing": True})
    assert choose_channel(consenting, CampaignKind.CARE, allowed) is Channel.VOICE
    assert choose_channel(BASE, CampaignKind.REMINDER, allowed) is Channel.VOICE


def test_channel_follows_preference_then_refusals_and_addresses() -> None:
    allowed = (Channel.VOICE, Channel.SMS, Channel.EMAIL)
    prefers_email = replace(BASE, preferred_channel=Channel.EMAIL, email="w@example.org")
    assert choose_channel(prefers_email, CampaignKind.SURVEY, allowed) is Channel.EMAIL
    no_email = replace(BASE, preferred_channel=Channel.EMAIL)
    assert choose_channel(no_email, CampaignKind.SURVEY, allowed) is Channel.VOICE
    refused_voice = replace(BASE, consents={"voice": False})
    assert choose_channel(refused_voice, CampaignKind.SURVEY, allowed) is Channel.SMS
    assert choose_channel(refused_voice, CampaignKind.SURVEY, (Channel.VOICE,)) is None


def test_templates_fill_fields_in_the_patients_language() -> None:
    template = MessageTemplate(
        body_zh="{name}{title}，您{date}有{doctor}的门诊。",
        body_en="{title} {name}, your visit with {doctor} is on {date}.",
    )
    template.validate()
    facts = replace(BASE, appointment=Appointment(date(2026, 11, 26), "李医生"))
    assert template.render("zh-CN", template_values(facts, "zh-CN"))[1] == (
        "王芳女士，您11月26日有李医生的门诊。"
    )
    english = template.render("en", template_values(facts, "en"))[1]
    assert english == "Ms 王芳, your visit with 李医生 is on 26 November 2026."
    with pytest.raises(InvalidCampaign):
        MessageTemplate(body_zh="{age}").validate()


def test_status_moves() -> None:
    assert move_status(CampaignStatus.DRAFT, CampaignStatus.RUNNING) is CampaignStatus.RUNNING
    assert move_status(CampaignStatus.RUNNING, CampaignStatus.PAUSED) is CampaignStatus.PAUSED
    with pytest.raises(CampaignStateConflict):
        move_status(CampaignStatus.FINISHED, CampaignStatus.RUNNING)
