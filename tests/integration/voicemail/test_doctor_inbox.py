"""The doctor's side of voicemail on SQLite and PostgreSQL: box, inbox, replies, upkeep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.bootstrap import Careline
from careline.channels import service as channels
from careline.channels.model import Channel, OutboundMessage
from careline.complaints.sla import WorkCalendar
from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.directory import admin
from careline.directory.model import Department, Doctor, DoctorTitle
from careline.kit.clock import FakeClock
from careline.patients.service import register_patient
from careline.patients.validation import PatientInput
from careline.voicemail import inbox, service, upkeep
from careline.voicemail.model import (
    BoxSettingsInvalid,
    MessageLocked,
    MessageNotFound,
    MessageStatus,
    NotifyBy,
    StatusChangeRefused,
    VoicemailBox,
    VoicemailPolicy,
    WrongPin,
)
from careline.voicemail.worker import doctor_upkeep

MOBILE = "+8613800138000"
# A Monday: working days are easy to count from here.
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def queued(uow: UnitOfWork, channel: Channel) -> list[OutboundMessage]:
    return [m for m in await channels.list_messages(uow) if m.channel is channel]


async def a_doctor(engine: AsyncEngine, number: str = "2002") -> tuple[int, int]:
    async with UnitOfWork(engine) as uow:
        department = await admin.create_department(
            uow, department=Department(name_zh=f"儿科{number}")
        )
        doctor = await admin.create_doctor(
            uow,
            doctor=Doctor(
                department_id=department.id,
                name="张伟",
                title=DoctorTitle.ATTENDING,
                doctor_number=number,
            ),
        )
    return doctor.id, department.id


async def a_message(
    engine: AsyncEngine, doctor_id: int, clock: FakeClock, phone: str | None = MOBILE
) -> int:
    async with UnitOfWork(engine) as uow:
        message = await service.leave_message(
            uow,
            doctor_id=doctor_id,
            recording_path="recordings/voicemail/a.wav",
            caller_phone=phone,
            pin="2580",
            language="zh-CN",
            clock=clock,
        )
    return message.id


@pytest.mark.asyncio
async def test_inbox_names_the_caller_and_follows_the_statuses(any_engine: AsyncEngine) -> None:
    clock = FakeClock(MONDAY)
    doctor_id, _ = await a_doctor(any_engine)
    async with UnitOfWork(any_engine) as uow:
        await register_patient(
            uow,
            data=PatientInput(name="王芳", gender="female", phones=[(MOBILE, "mobile")]),
            staff_id=None,
        )
    first = await a_message(any_engine, doctor_id, clock)
    clock.advance(60)
    second = await a_message(any_engine, doctor_id, clock, phone=None)
    async with UnitOfWork(any_engine) as uow:
        new = await inbox.list_new_messages(uow, doctor_id=doctor_id)
        assert [e.message.id for e in new] == [first, second]
        assert [e.caller_name for e in new] == ["王芳", ""]
        await inbox.mark_message(
            uow, doctor_id=doctor_id, message_id=first, status=MessageStatus.HEARD, clock=clock
        )
        await inbox.mark_message(
            uow, doctor_id=doctor_id, message_id=second, status=MessageStatus.DELETED, clock=clock
        )
        assert [e.message.id for e in await inbox.list_new_messages(uow, doctor_id=doctor_id)] == []
        listed = await inbox.list_inbox(uow, doctor_id=doctor_id)
        assert [(e.message.id, e.message.status) for e in listed] == [(first, MessageStatus.HEARD)]
        with pytest.raises(StatusChangeRefused):
            await inbox.mark_message(
                uow, doctor_id=doctor_id, message_id=first, status=MessageStatus.NEW, clock=clock
            )
        with pytest.raises(MessageNotFound):
            await inbox.get_doctor_message(uow, doctor_id=doctor_id, message_id=second)
        done = await inbox.mark_message(
            uow, doctor_id=doctor_id, message_id=first, status=MessageStatus.DONE, clock=clock
        )
        assert done.status is MessageStatus.DONE
        assert await inbox.list_inbox(uow, doctor_id=doctor_id) == []
        assert len(await inbox.list_inbox(uow, doctor_id=doctor_id, include_done=True)) == 1


@pytest.mark.asyncio
async def test_another_doctor_cannot_reach_a_message(any_engine: AsyncEngine) -> None:
    clock = FakeClock(MONDAY)
    doctor_id, _ = await a_doctor(any_engine)
    other_id, _ = await a_doctor(any_engine, "3003")
    message_id = await a_message(any_engine, doctor_id, clock)
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(MessageNotFound):
            await inbox.reply_by_recording(
                uow, doctor_id=other_id, message_id=message_id, reply_path="x.wav", clock=clock
            )


@pytest.mark.asyncio
async def test_recorded_reply_texts_the_caller_and_is_heard_by_pin(
    any_engine: AsyncEngine,
) -> None:
    clock = FakeClock(MONDAY)
    doctor_id, _ = await a_doctor(any_engine)
    message_id = await a_message(any_engine, doctor_id, clock)
    async with UnitOfWork(any_engine) as uow:
        replied = await inbox.reply_by_recording(
            uow,
            doctor_id=doctor_id,
            message_id=message_id,
            reply_path="recordings/replies/r.wav",
            clock=clock,
        )
        assert replied.status is MessageStatus.HEARD
        sms = await queued(uow, Channel.SMS)
        heard = await service.retrieve_reply(uow, number=replied.number, pin="2580")
    assert [m.recipient for m in sms] == [MOBILE]
    assert replied.number in sms[0].body
    assert heard.reply_path == "recordings/replies/r.wav"
    assert heard.answered


@pytest.mark.asyncio
async def test_box_settings_and_doctor_pin_lock_out(any_engine: AsyncEngine) -> None:
    clock = FakeClock(MONDAY)
    doctor_id, _ = await a_doctor(any_engine)
    async with UnitOfWork(any_engine) as uow:
        default = await inbox.get_box(uow, doctor_id=doctor_id)
        assert default.accepting
        assert not default.has_pin
        with pytest.raises(BoxSettingsInvalid):
            await inbox.update_box(
                uow,
                box=VoicemailBox(doctor_id, notify_by=NotifyBy.EMAIL, notify_to="nobody"),
                clock=clock,
            )
        saved = await inbox.update_box(
            uow,
            box=VoicemailBox(doctor_id, max_message_seconds=60, accepting=False),
            clock=clock,
        )
        assert (saved.max_message_seconds, saved.accepting) == (60, False)
        await inbox.set_doctor_pin(uow, doctor_id=doctor_id, pin="246810", clock=clock)
        doctor = await inbox.sign_in_doctor(uow, doctor_number="2002", pin="246810")
        assert doctor.id == doctor_id
        for _ in range(3):
            with pytest.raises(WrongPin):
                await inbox.sign_in_doctor(uow, doctor_number="2002", pin="135791")
        with pytest.raises(MessageLocked):
            await inbox.sign_in_doctor(uow, doctor_number="2002", pin="246810")
        await inbox.unlock_box(uow, doctor_id=doctor_id)
        assert (await inbox.sign_in_doctor(uow, doctor_number="2002", pin="246810")).id == doctor_id
        assert (await inbox.get_box(uow, doctor_id=doctor_id)).max_message_seconds == 60


@pytest.mark.asyncio
async def test_doctor_is_told_once_by_the_chosen_channel(any_engine: AsyncEngine) -> None:
    clock = FakeClock(MONDAY)
    policy = VoicemailPolicy(public_url="https://careline.example")
    doctor_id, _ = await a_doctor(any_engine)
    silent_id, _ = await a_doctor(any_engine, "3003")
    async with UnitOfWork(any_engine) as uow:
        await inbox.update_box(
            uow,
            box=VoicemailBox(doctor_id, notify_by=NotifyBy.EMAIL, notify_to="zhang@h.example"),
            clock=clock,
        )
    first = await a_message(any_engine, doctor_id, clock)
    await a_message(any_engine, doctor_id, clock)
    await a_message(any_engine, silent_id, clock)
    async with UnitOfWork(any_engine) as uow:
        assert await upkeep.notify_doctors(uow, clock=clock, policy=policy) == 1
        assert await upkeep.notify_doctors(uow, clock=clock, policy=policy) == 0
        emails = await queued(uow, Channel.EMAIL)
    assert [e.recipient for e in emails] == ["zhang@h.example"]
    assert "2条" in emails[0].subject
    assert f"https://careline.example/doctor/voicemail/{first}/audio" in emails[0].body
    assert MOBILE not in emails[0].body


@pytest.mark.asyncio
async def test_unanswered_past_working_days_is_flagged_to_the_department(
    any_engine: AsyncEngine,
) -> None:
    clock = FakeClock(MONDAY)
    policy = VoicemailPolicy(answer_working_days=2)
    doctor_id, department_id = await a_doctor(any_engine)
    waiting = await a_message(any_engine, doctor_id, clock)
    answered = await a_message(any_engine, doctor_id, clock)
    async with UnitOfWork(any_engine) as uow:
        await inbox.reply_by_recording(
            uow, doctor_id=doctor_id, message_id=answered, reply_path="r.wav", clock=clock
        )
    clock.advance(timedelta(days=2).total_seconds())  # Wednesday: still in time
    async with UnitOfWork(any_engine) as uow:
        assert (
            await upkeep.flag_overdue(uow, clock=clock, policy=policy, calendar=WorkCalendar())
            == []
        )
    clock.advance(timedelta(days=1).total_seconds())  # Thursday: past two working days
    async with UnitOfWork(any_engine) as uow:
        flagged = await upkeep.flag_overdue(
            uow, clock=clock, policy=policy, calendar=WorkCalendar()
        )
        assert [m.id for m in flagged] == [waiting]
        shown = await upkeep.overdue_for_department(uow, department_id=department_id)
    assert [(o.message.id, o.doctor_name) for o in shown] == [(waiting, "张伟")]


@pytest.mark.asyncio
async def test_retention_purge_removes_rows_and_recordings(
    any_engine: AsyncEngine, tmp_path: Path
) -> None:
    clock = FakeClock(MONDAY)
    doctor_id, _ = await a_doctor(any_engine)
    recording = tmp_path / "recordings" / "voicemail" / "a.wav"
    recording.parent.mkdir(parents=True)
    recording.write_bytes(b"RIFF")
    old = await a_message(any_engine, doctor_id, clock)
    clock.advance(timedelta(days=20).total_seconds())
    kept = await a_message(any_engine, doctor_id, clock, phone=None)
    clock.advance(timedelta(days=15).total_seconds())
    policy = VoicemailPolicy(retention_days=30)
    async with UnitOfWork(any_engine) as uow:
        assert await upkeep.purge_expired(uow, clock=clock, policy=policy, data_dir=tmp_path) == 1
        remaining = await inbox.list_inbox(uow, doctor_id=doctor_id)
    assert [e.message.id for e in remaining] == [kept]
    assert old != kept
    assert not recording.exists()


@pytest.mark.asyncio
async def test_one_upkeep_round_notifies_by_sms(engine: AsyncEngine, tmp_path: Path) -> None:
    clock = FakeClock(MONDAY)
    doctor_id, _ = await a_doctor(engine)
    async with UnitOfWork(engine) as uow:
        await inbox.update_box(
            uow,
            box=VoicemailBox(doctor_id, notify_by=NotifyBy.SMS, notify_to="13900139000"),
            clock=clock,
        )
    await a_message(engine, doctor_id, clock)
    settings = Settings(data_dir=tmp_path, database_url="sqlite+aiosqlite://")
    await doctor_upkeep(Careline(settings, engine, clock))
    async with UnitOfWork(engine) as uow:
        sms = await queued(uow, Channel.SMS)
    assert [m.recipient for m in sms] == ["+8613900139000"]
    assert "1条" in sms[0].body
