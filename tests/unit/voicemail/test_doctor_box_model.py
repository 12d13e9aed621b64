"""Doctors' boxes, PINs, statuses and the overdue rule (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from careline.voicemail.model import (
    BoxSettingsInvalid,
    DoctorPinInvalid,
    MessageStatus,
    NotifyBy,
    VoicemailBox,
    VoiceMessage,
    can_move,
    check_box,
    check_doctor_pin,
    doctor_notice_text,
    is_overdue,
    reply_ready_text,
    retention_cutoff,
)


def weekdays_only(day: date, count: int) -> date:
    while count:
        day += timedelta(days=1)
        count -= day.weekday() < 5
    return day


def message(**changes: Any) -> VoiceMessage:
    base = VoiceMessage("12345678", 1, "r.wav", "zh-CN", datetime(2026, 11, 23, tzinfo=UTC))
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("previous", "current", "allowed"),
    [
        (MessageStatus.NEW, MessageStatus.HEARD, True),
        (MessageStatus.HEARD, MessageStatus.SAVED, True),
        (MessageStatus.SAVED, MessageStatus.DONE, True),
        (MessageStatus.DONE, MessageStatus.SAVED, True),
        (MessageStatus.HEARD, MessageStatus.NEW, False),
        (MessageStatus.DELETED, MessageStatus.SAVED, False),
        (MessageStatus.DONE, MessageStatus.HEARD, False),
        (MessageStatus.SAVED, MessageStatus.SAVED, False),
    ],
)
def test_status_moves(previous: MessageStatus, current: MessageStatus, allowed: bool) -> None:
    assert can_move(previous, current) is allowed


@pytest.mark.parametrize("pin", ["123", "123456789", "1111", "12a4", "１２３４"])
def test_weak_doctor_pins_are_refused(pin: str) -> None:
    with pytest.raises(DoctorPinInvalid):
        check_doctor_pin(pin)


def test_a_long_doctor_pin_is_kept() -> None:
    assert check_doctor_pin("24681357") == "24681357"


@pytest.mark.parametrize(
    "box",
    [
        VoicemailBox(1, max_message_seconds=5),
        VoicemailBox(1, max_message_seconds=601),
        VoicemailBox(1, notify_by=NotifyBy.EMAIL, notify_to="not-an-address"),
        VoicemailBox(1, notify_by=NotifyBy.SMS, notify_to=""),
        VoicemailBox(1, greeting_text="长" * 501),
    ],
)
def test_unsound_boxes_are_refused(box: VoicemailBox) -> None:
    with pytest.raises(BoxSettingsInvalid):
        check_box(box)


def test_overdue_counts_working_days_and_ignores_answered_messages() -> None:
    monday = date(2026, 11, 23)
    waiting = message()
    assert not is_overdue(waiting, date(2026, 11, 25), monday, 2, weekdays_only)
    assert is_overdue(waiting, date(2026, 11, 26), monday, 2, weekdays_only)
    friday = date(2026, 11, 27)
    assert not is_overdue(waiting, date(2026, 12, 1), friday, 2, weekdays_only)
    replied = message(replied_at=datetime(2026, 11, 24, tzinfo=UTC))
    assert not is_overdue(replied, date(2026, 12, 30), monday, 2, weekdays_only)
    done = message(status=MessageStatus.DONE)
    assert not is_overdue(done, date(2026, 12, 30), monday, 2, weekdays_only)


def test_texts_carry_no_medical_content() -> None:
    assert "12345678" in reply_ready_text("12345678", "zh-CN")
    assert reply_ready_text("12345678", "en").startswith("The doctor has replied")
    assert "3条" in doctor_notice_text(3)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert retention_cutoff(now, 30) == now - timedelta(days=30)
