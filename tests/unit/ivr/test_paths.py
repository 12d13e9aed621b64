"""Self-service paths that leave something behind: tickets, voicemail, fax jobs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels import service as channels
from careline.channels.model import Channel, OutboundMessage
from careline.complaints import service as complaints
from careline.complaints.model import TicketKind, make_ticket_number
from careline.db.uow import UnitOfWork
from careline.ivr.model import Outcome
from careline.ivr.session import IvrServices, handoff_context
from careline.voicemail import service as voicemail
from careline.voicemail.repository import VoicemailRepository
from tests.unit.ivr.conftest import RunCall
from tests.unit.ivr.fakes import seed_hospital


async def messages(engine: AsyncEngine, channel: Channel) -> list[OutboundMessage]:
    async with UnitOfWork(engine) as uow:
        found = await channels.list_messages(uow)
    return [message for message in found if message.channel is channel]


@pytest.mark.asyncio
async def test_complaint_is_recorded_ticketed_spoken_twice_and_texted(
    run_call: RunCall, engine: AsyncEngine, services: IvrServices
) -> None:
    call, record = await run_call(["1", "3", "1"])
    assert record.prompts.index("recording_notice") < record.prompts.index("record_after_beep")
    assert record.prompts.count("ticket_created") == 2
    assert record.outcome is Outcome.SELF_SERVED
    async with UnitOfWork(engine) as uow:
        tickets = await complaints.list_queue(uow, department_id=None)
    assert len(tickets) == 1
    ticket = tickets[0]
    assert ticket.kind is TicketKind.COMPLAINT
    assert ticket.recording_path is not None
    assert (services.data_dir / ticket.recording_path).stat().st_size > 1000
    spoken_number = "".join(
        "幺" if d == "1" else "零一二三四五六七八九"[int(d)] for d in ticket.number
    )
    assert sum(spoken_number in text for text in call.spoken) == 2
    sms = await messages(engine, Channel.SMS)
    assert len(sms) == 1
    assert ticket.number in sms[0].body
    assert sms[0].recipient == "+8613800138000"


@pytest.mark.asyncio
async def test_suggestion_from_a_landline_gets_no_sms(
    run_call: RunCall, engine: AsyncEngine
) -> None:
    await run_call(["1", "3", "2"], caller="02112345678")
    async with UnitOfWork(engine) as uow:
        tickets = await complaints.list_queue(uow, department_id=None)
    assert [ticket.kind for ticket in tickets] == [TicketKind.SUGGESTION]
    assert await messages(engine, Channel.SMS) == []


@pytest.mark.asyncio
async def test_an_empty_recording_opens_no_ticket(run_call: RunCall, engine: AsyncEngine) -> None:
    call, _ = await run_call(["1", "3", "1"], record_seconds=0.1)
    assert call.heard("我们没有录到您的留言")
    async with UnitOfWork(engine) as uow:
        assert await complaints.list_queue(uow, department_id=None) == []


@pytest.mark.asyncio
async def test_ticket_status_explains_bad_and_unknown_numbers(
    run_call: RunCall, engine: AsyncEngine, services: IvrServices
) -> None:
    first, _ = await run_call(["1", "3", "1"])
    async with UnitOfWork(engine) as uow:
        number = (await complaints.list_queue(uow, department_id=None))[0].number
    unknown = make_ticket_number(date(2026, 1, 2), 77)
    bad_check = number[:-1] + str((int(number[-1]) + 1) % 10)
    # The caller's language is remembered: this call starts at the main menu.
    call, record = await run_call(["3", "3", bad_check, unknown, number])
    assert "ticket_number_invalid" in record.prompts
    assert "ticket_unknown" in record.prompts
    assert call.heard("已受理，正在等待处理")
    assert record.outcome is Outcome.SELF_SERVED
    assert first.recordings
    assert services.data_dir in first.recordings[0].parents


@pytest.mark.asyncio
async def test_voicemail_left_by_doctor_number_then_reply_heard(
    run_call: RunCall, engine: AsyncEngine, services: IvrServices
) -> None:
    ids = await seed_hospital(engine)
    call, record = await run_call(["1", "4", "1", "2", "1001", "2580"])
    assert call.heard("您将给李明医生留言")
    assert record.prompts.count("vm_left") == 2
    async with UnitOfWork(engine) as uow:
        (message,) = await voicemail.messages_for_doctor(uow, doctor_id=ids["doctor"])
    assert Path(services.data_dir / message.recording_path).exists()
    sms = await messages(engine, Channel.SMS)
    assert message.number in sms[0].body

    waiting, _ = await run_call(["4", "2", message.number, "2580"])
    assert waiting.heard("医生还没有回复")
    async with UnitOfWork(engine) as uow:
        await voicemail.attach_reply(
            uow, number=message.number, text="请按时服药。", clock=services.clock
        )
    answered, record = await run_call(["4", "2", message.number, "2580"])
    assert answered.heard("医生回复：请按时服药。")
    assert record.outcome is Outcome.SELF_SERVED


@pytest.mark.asyncio
async def test_voicemail_by_department_menu_refuses_a_weak_pin(
    run_call: RunCall, engine: AsyncEngine
) -> None:
    ids = await seed_hospital(engine)
    call, _ = await run_call(["1", "4", "1", "1", "1", "1", "1111", "4826"])
    assert call.heard("不能全部相同")
    async with UnitOfWork(engine) as uow:
        assert len(await voicemail.messages_for_doctor(uow, doctor_id=ids["doctor"])) == 1


@pytest.mark.asyncio
async def test_wrong_pin_three_times_locks_and_offers_the_agent(
    run_call: RunCall, engine: AsyncEngine, services: IvrServices
) -> None:
    ids = await seed_hospital(engine)
    async with UnitOfWork(engine) as uow:
        message = await voicemail.leave_message(
            uow,
            doctor_id=ids["doctor"],
            recording_path="recordings/voicemail/x.wav",
            caller_phone=None,
            pin="2580",
            language="zh-CN",
            clock=services.clock,
        )
    script = ["1", "4", "2"] + [message.number, "1234"] * 3
    call, record = await run_call(script)
    assert record.prompts.count("vm_wrong_pin") == 2
    assert call.heard("该留言已锁定")
    assert call.queued == ["general"]
    context = handoff_context(call)
    assert context is not None
    assert context.reason == "voicemail_locked"
    async with UnitOfWork(engine) as uow:
        found = await VoicemailRepository(uow.connection).by_number(message.number)
    assert found is not None
    assert found[0].locked


@pytest.mark.asyncio
async def test_fax_by_document_code_validates_the_number(
    run_call: RunCall, engine: AsyncEngine
) -> None:
    await seed_hospital(engine)
    call, record = await run_call(["1", "5", "1", "999", "301", "12", "02112345678"])
    assert call.heard("没有编码为九九九的资料")
    assert "fax_number_invalid" in record.prompts
    faxes = await messages(engine, Channel.FAX)
    assert len(faxes) == 1
    assert faxes[0].recipient == "+862112345678"
    assert faxes[0].subject == "住院须知"
    assert call.heard("《住院须知》将传真到零二幺幺二三四五六七八")
    assert record.outcome is Outcome.SELF_SERVED


@pytest.mark.asyncio
async def test_fax_from_the_document_list(run_call: RunCall, engine: AsyncEngine) -> None:
    await seed_hospital(engine)
    call, _ = await run_call(["2", "5", "2", "1", "02112345678"])
    assert call.heard("For 住院须知, press one")
    assert len(await messages(engine, Channel.FAX)) == 1
