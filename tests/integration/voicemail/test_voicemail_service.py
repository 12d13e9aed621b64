"""Voicemail use cases on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.directory import admin
from careline.directory.model import Department, Doctor, DoctorTitle
from careline.kit.clock import FakeClock
from careline.voicemail import service
from careline.voicemail.model import MessageLocked, MessageNotFound, WrongPin


async def a_doctor(engine: AsyncEngine) -> int:
    async with UnitOfWork(engine) as uow:
        department = await admin.create_department(uow, department=Department(name_zh="儿科"))
        doctor = await admin.create_doctor(
            uow,
            doctor=Doctor(
                department_id=department.id,
                name="张伟",
                title=DoctorTitle.ATTENDING,
                doctor_number="2002",
            ),
        )
    return doctor.id


@pytest.mark.asyncio
async def test_leave_reply_and_retrieve(any_engine: AsyncEngine) -> None:
    clock = FakeClock()
    doctor_id = await a_doctor(any_engine)
    async with UnitOfWork(any_engine) as uow:
        left = await service.leave_message(
            uow,
            doctor_id=doctor_id,
            recording_path="recordings/voicemail/a.wav",
            caller_phone="+8613800138000",
            pin="2580",
            language="zh-CN",
            clock=clock,
        )
    async with UnitOfWork(any_engine) as uow:
        unanswered = await service.retrieve_reply(uow, number=left.number, pin="2580")
        assert not unanswered.answered
        await service.attach_reply(uow, number=left.number, text="  多喝水。 ", clock=clock)
    async with UnitOfWork(any_engine) as uow:
        answered = await service.retrieve_reply(uow, number=left.number, pin="2580")
    assert answered.reply_text == "多喝水。"
    assert answered.replied_at == clock.now()


@pytest.mark.asyncio
async def test_three_wrong_pins_lock_even_the_right_one(any_engine: AsyncEngine) -> None:
    clock = FakeClock()
    doctor_id = await a_doctor(any_engine)
    async with UnitOfWork(any_engine) as uow:
        left = await service.leave_message(
            uow,
            doctor_id=doctor_id,
            recording_path="r.wav",
            caller_phone=None,
            pin="2580",
            language="en",
            clock=clock,
        )
    for _ in range(2):
        async with UnitOfWork(any_engine) as uow:
            with pytest.raises(WrongPin):
                await service.retrieve_reply(uow, number=left.number, pin="0000")
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(MessageLocked):
            await service.retrieve_reply(uow, number=left.number, pin="0000")
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(MessageLocked):
            await service.retrieve_reply(uow, number=left.number, pin="2580")
        with pytest.raises(MessageNotFound):
            await service.retrieve_reply(uow, number="99999999", pin="2580")
