"""The doctor's voicemail box on the phone line, with a scripted call."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels import service as channels
from careline.db.uow import UnitOfWork
from careline.ivr.engine import IvrEngine
from careline.ivr.model import CallRecord
from careline.ivr.service import get_call_record
from careline.ivr.session import IvrServices, handoff_context
from careline.kit.clock import FakeClock
from careline.voicemail import inbox
from careline.voicemail import service as voicemail
from careline.voicemail.model import MessageStatus
from tests.unit.ivr.fakes import MOBILE, FakeCall, seed_hospital, seed_patient

DOCTOR_PHONE = "13900139000"
DOCTOR_PIN = "246810"


@pytest.fixture
def services(engine: AsyncEngine, tmp_path: Path) -> IvrServices:
    return IvrServices(db=engine, clock=FakeClock(), data_dir=tmp_path)


async def run(
    services: IvrServices, script: list[str], caller: str = MOBILE
) -> tuple[FakeCall, CallRecord]:
    call = FakeCall(script, caller=caller)
    await IvrEngine(services)(call)
    async with UnitOfWork(services.db) as uow:
        record = await get_call_record(uow, call_id=call.id)
    return call, record


async def left_message(services: IvrServices) -> tuple[int, str]:
    ids = await seed_hospital(services.db)
    await seed_patient(services.db)
    await run(services, ["1", "4", "1", "2", "1001", "2580"])
    async with UnitOfWork(services.db) as uow:
        (message,) = await voicemail.messages_for_doctor(uow, doctor_id=ids["doctor"])
        await inbox.set_doctor_pin(
            uow, doctor_id=ids["doctor"], pin=DOCTOR_PIN, clock=services.clock
        )
    return ids["doctor"], message.number


@pytest.mark.asyncio
async def test_doctor_hears_the_message_replies_and_the_patient_hears_the_reply(
    services: IvrServices,
) -> None:
    doctor_id, number = await left_message(services)
    doctor_call, record = await run(
        services, ["1", "8", "1001", DOCTOR_PIN, "2"], caller=DOCTOR_PHONE
    )
    assert doctor_call.heard("您有一条新留言")
    assert doctor_call.heard("王芳的留言")
    assert "dr_reply_saved" in record.prompts
    assert doctor_call.recordings
    async with UnitOfWork(services.db) as uow:
        listed = await inbox.list_inbox(uow, doctor_id=doctor_id, include_done=True)
        sms = await channels.list_messages(uow)
    (entry,) = listed
    assert entry.message.status is MessageStatus.DONE
    assert entry.message.reply_path is not None
    assert any(number in m.body and "已回复" in m.body for m in sms)

    patient, record = await run(services, ["4", "2", number, "2580"])
    assert "vm_reply_audio" in record.prompts
    assert Path(entry.message.reply_path).stem in patient.spoken


@pytest.mark.asyncio
async def test_save_delete_and_skip(services: IvrServices) -> None:
    doctor_id, _ = await left_message(services)
    assert isinstance(services.clock, FakeClock)
    services.clock.advance(60)
    await run(services, ["4", "1", "2", "1001", "1357"])
    skipped, _ = await run(services, ["1", "8", "1001", DOCTOR_PIN, "5", "3"], caller=DOCTOR_PHONE)
    assert skipped.heard("您有两条新留言")
    assert skipped.heard("留言已保存")
    async with UnitOfWork(services.db) as uow:
        statuses = sorted(
            e.message.status for e in await inbox.list_inbox(uow, doctor_id=doctor_id)
        )
    assert statuses == [MessageStatus.NEW, MessageStatus.SAVED]
    deleted, _ = await run(services, ["8", "1001", DOCTOR_PIN, "1", "4"], caller=DOCTOR_PHONE)
    assert deleted.heard("您有一条新留言")
    assert deleted.heard("留言已删除")
    async with UnitOfWork(services.db) as uow:
        left = await inbox.list_inbox(uow, doctor_id=doctor_id)
    assert [e.message.status for e in left] == [MessageStatus.SAVED]


@pytest.mark.asyncio
async def test_wrong_pins_lock_the_box_and_reach_an_agent(services: IvrServices) -> None:
    await left_message(services)
    script = ["1", "8"] + ["1001", "999999"] * 3 + ["1001", DOCTOR_PIN]
    call, record = await run(services, script, caller=DOCTOR_PHONE)
    assert record.prompts.count("dr_sign_in_failed") == 2
    assert call.queued == ["general"]
    again, _ = await run(services, ["8", "1001", DOCTOR_PIN], caller=DOCTOR_PHONE)
    assert again.heard("信箱已锁定")
    context = handoff_context(again)
    assert context is not None
    assert context.reason == "doctor_box_locked"
