"""Members by phone: sign in, balance, book from the phone pool, hear and cancel bookings."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels import service as channels
from careline.channels.model import Channel
from careline.db.uow import UnitOfWork
from careline.directory import admin
from careline.directory.model import (
    Department,
    Doctor,
    DoctorTitle,
    SessionPeriod,
    WeeklySession,
)
from careline.ivr.model import Outcome
from careline.ivr.session import handoff_context
from careline.kit.clock import FakeClock
from careline.membership import service as membership
from careline.scheduling import service as scheduling
from careline.scheduling.model import BookingStatus, SessionCancelled, SessionFull
from careline.scheduling.model import Channel as BookingChannel
from tests.unit.ivr.conftest import RunCall
from tests.unit.ivr.fakes import PIN, a_member, seed_hospital


@pytest.mark.asyncio
async def test_book_hear_balance_and_cancel(run_call: RunCall, engine: AsyncEngine) -> None:
    await seed_hospital(engine)
    card = await a_member(engine)
    script = ["1", "2", card.card_number, PIN]
    script += ["2", "1", "1", "1", "1", "1"]  # book: department, any doctor, day, time, confirm
    script += ["1"]  # balance
    script += ["3", "1", "1"]  # bookings: the first, cancel it
    call, record = await run_call(script)
    assert call.heard("预约成功，您是第一号，就诊时间十一月二十七日 星期五上午八点")
    assert call.heard("您的会员卡余额为一百五十元")  # 200 yuan less the 50 yuan fee
    assert call.heard("支出五十元")
    assert call.heard("预约已取消，五十元将退回您的会员卡")
    async with UnitOfWork(engine) as uow:
        (booking,) = await scheduling.bookings_of_patient(uow, patient_id=card.patient_id)
        balance = await membership.card_balance(uow, card_id=card.id)
        sms = [m for m in await channels.list_messages(uow) if m.channel is Channel.SMS]
    assert booking.status is BookingStatus.CANCELLED
    assert booking.channel.value == "phone"
    assert balance == 20000
    assert [m.recipient for m in sms] == ["+8613800138000"]  # the caller's mobile
    assert "2026-11-27 08:00，第1号" in sms[0].body
    assert record.member_card == card.card_number
    assert record.outcome is Outcome.SELF_SERVED


@pytest.mark.asyncio
async def test_low_balance_is_explained(run_call: RunCall, engine: AsyncEngine) -> None:
    await seed_hospital(engine)
    card = await a_member(engine, balance=100)
    call, _ = await run_call(["1", "2", card.card_number, PIN, "2", "1", "2", "1", "1", "1"])
    assert call.heard("余额不足")


@pytest.mark.asyncio
async def test_wrong_pin_three_times_goes_to_an_agent(
    run_call: RunCall, engine: AsyncEngine
) -> None:
    card = await a_member(engine)
    script = ["1", "2"] + [card.card_number, "000000"] * 3
    call, record = await run_call(script)
    assert record.prompts.count("card_wrong_pin") == 2
    assert call.heard("密码已连续三次输入错误")
    context = handoff_context(call)
    assert context is not None
    assert context.reason == "wrong_pin"
    assert context.member_card is None
    assert record.outcome is Outcome.TO_AGENT


@pytest.mark.asyncio
async def test_signed_in_member_reaches_the_agent_with_the_card(
    run_call: RunCall, engine: AsyncEngine
) -> None:
    card = await a_member(engine)
    call, _ = await run_call(["2", "2", card.card_number, PIN, "0"])
    context = handoff_context(call)
    assert context is not None
    assert context.member_card == card.card_number
    assert context.language == "en"
    assert call.heard("You are signed in.")


@pytest.mark.asyncio
async def test_unknown_card_is_explained(run_call: RunCall) -> None:
    call, record = await run_call(["1", "2", "12345678", PIN])
    assert "card_unknown" in record.prompts
    assert call.heard("没有找到卡号为")


@pytest.mark.asyncio
async def test_a_full_clinic_is_explained(run_call: RunCall, engine: AsyncEngine) -> None:
    card = await a_member(engine)
    async with UnitOfWork(engine) as uow:
        department = await admin.create_department(uow, department=Department(name_zh="眼科"))
        doctor = await admin.create_doctor(
            uow,
            doctor=Doctor(
                department_id=department.id,
                name="赵医生",
                title=DoctorTitle.CHIEF,
                doctor_number="3003",
            ),
            sessions=[
                WeeklySession(
                    weekday=4, period=SessionPeriod.MORNING, capacity=1, registration_fee=5000
                )
            ],
        )
    other = await a_member(engine, start=6000)
    async with UnitOfWork(engine) as uow:
        await scheduling.book_appointment(
            uow,
            request=scheduling.BookingRequest(
                doctor_id=doctor.id,
                day=date(2026, 11, 27),
                period=SessionPeriod.MORNING,
                period_index=0,
                card_id=other.id,
                channel=BookingChannel.PHONE,
                idempotency_key="k1",
            ),
            clock=FakeClock(),
        )
    call, record = await run_call(["1", "2", card.card_number, PIN, "2", "1", "1"])
    assert call.heard("近期已约满"), record.prompts
    assert "book_confirm" not in record.prompts


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("refusal", "explained"),
    [
        (SessionCancelled("stopped"), "该门诊已停诊或已过预约时间"),
        (SessionFull("full"), "该时段已约满"),
    ],
)
async def test_a_stale_offer_is_explained(
    run_call: RunCall,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    refusal: Exception,
    explained: str,
) -> None:
    await seed_hospital(engine)
    card = await a_member(engine)

    async def refuse(*_: object, **__: object) -> None:
        raise refusal

    # The clinic changes between the offer and the confirmation.
    monkeypatch.setattr(scheduling, "book_appointment", refuse)
    call, record = await run_call(["1", "2", card.card_number, PIN, "2", "1", "1", "1", "1", "1"])
    assert call.heard(explained)
    assert record.path[-1] == "member_menu"
