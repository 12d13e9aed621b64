"""The MLLP sender pushes Careline's bookings and cancellations to a loopback HIS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.directory.model import SessionPeriod
from careline.integrations import service
from careline.integrations.hl7.listener import MllpListener
from careline.integrations.hl7.messages import Hl7Message, build_ack
from careline.integrations.hl7.outbound import Hl7Sender, SenderConfig
from careline.integrations.model import (
    HisIdentifier,
    IdentifierSystem,
    Outcome,
    PushStatus,
    PushTarget,
)
from careline.kit.clock import FakeClock
from careline.scheduling import service as scheduling
from careline.scheduling.model import Channel
from careline.scheduling.service import BookingRequest
from tests.integration.scheduling.world import build_world, make_clock


class FakeHis:
    """Records SIU messages and answers with the codes it is given, then AA."""

    def __init__(self, clock: FakeClock, codes: list[str]) -> None:
        self.clock = clock
        self.codes = codes
        self.received: list[Hl7Message] = []

    async def handle(self, raw: bytes) -> bytes:
        message = Hl7Message(raw.decode())
        self.received.append(message)
        code = self.codes.pop(0) if self.codes else "AA"
        ack = build_ack(
            message.header,
            code=code,
            control_id=f"H{len(self.received)}",
            now=self.clock.now(),
            zone=self.clock.zone,
            application="HIS",
            facility="HOSP",
        )
        return ack.encode()


@asynccontextmanager
async def his_server(his: FakeHis) -> AsyncIterator[int]:
    listener = MllpListener(his.handle, "127.0.0.1", 0)
    await listener.start()
    try:
        yield listener.port
    finally:
        await listener.stop()


async def _book(
    engine: AsyncEngine, card_id: int, doctor_id: int, clock: FakeClock, period_index: int = 2
) -> int:
    async with UnitOfWork(engine) as uow:
        booking = await scheduling.book_appointment(
            uow,
            request=BookingRequest(
                doctor_id=doctor_id,
                day=date(2026, 11, 27),
                period=SessionPeriod.MORNING,
                period_index=period_index,
                card_id=card_id,
                channel=Channel.PHONE,
                idempotency_key=f"test-{card_id}",
            ),
            clock=clock,
        )
    return booking.id


@pytest.mark.asyncio
async def test_bookings_and_cancellations_are_pushed_with_retries(
    any_engine: AsyncEngine,
) -> None:
    engine = any_engine
    clock = make_clock()
    world = await build_world(engine, patients=1, clock=clock)
    async with UnitOfWork(engine) as uow:
        await service.link_identifiers(
            uow,
            patient_id=world.patients[0],
            identifiers=[HisIdentifier(IdentifierSystem.MRN, "MR77")],
            source="test",
            clock=clock,
        )
    booking_id = await _book(engine, world.cards[0], world.doctor_id, clock)
    his = FakeHis(clock, ["AE"])
    async with his_server(his) as port:
        sender = Hl7Sender(lambda: UnitOfWork(engine), clock, SenderConfig("127.0.0.1", port))
        assert await sender.run_once() == 0  # the HIS answered AE: kept for a retry
        assert await sender.run_once() == 0  # not due yet
        clock.advance(31)
        assert await sender.run_once() == 1
        async with UnitOfWork(engine) as uow:
            await scheduling.cancel_booking(uow, booking_id=booking_id, clock=clock)
        clock.advance(1)
        assert await sender.run_once() == 1
        assert await sender.run_once() == 0  # nothing new
    kinds = [m.header.kind for m in his.received]
    assert kinds == ["SIU^S12", "SIU^S12", "SIU^S15"]
    first, cancel = his.received[1], his.received[2]
    assert first.header.control_id == his.received[0].header.control_id  # same id on retry
    assert first.value("SCH", 1) == str(booking_id)
    assert first.value("SCH", 25) == "Booked"
    assert first.value("AIS", 4).startswith("202611270900")
    assert first.value("PID", 3, rep=2) == "MR77"
    assert cancel.value("SCH", 25) == "Cancelled"
    async with UnitOfWork(engine) as uow:
        pushes = await service.list_pushes(uow)
        log = await service.exchange_log(uow, limit=10)
    assert [p.status for p in pushes] == [PushStatus.SENT, PushStatus.SENT]
    assert [e.outcome for e in log] == [Outcome.SENT, Outcome.SENT, Outcome.FAILED]


@pytest.mark.asyncio
async def test_an_unreachable_his_is_retried_later(engine: AsyncEngine) -> None:
    clock = make_clock()
    world = await build_world(engine, patients=1, clock=clock)
    await _book(engine, world.cards[0], world.doctor_id, clock)
    his = FakeHis(clock, [])
    async with his_server(his) as port:
        pass  # the port is closed again: nothing listens there now
    sender = Hl7Sender(
        lambda: UnitOfWork(engine), clock, SenderConfig("127.0.0.1", port, timeout=2)
    )
    assert await sender.run_once() == 0
    async with UnitOfWork(engine) as uow:
        (push,) = await service.list_pushes(uow)
    assert push.status is PushStatus.PENDING
    assert push.attempts == 1
    assert push.next_attempt_at is not None
    assert (push.next_attempt_at - clock.now()).total_seconds() == pytest.approx(30)


@pytest.mark.asyncio
async def test_the_change_walk_never_skips_past_a_cut_off_page(engine: AsyncEngine) -> None:
    clock = make_clock()
    world = await build_world(engine, patients=3, clock=clock)
    for index, card in enumerate(world.cards):
        await _book(engine, card, world.doctor_id, clock, period_index=index)
        clock.advance(60)
    async with UnitOfWork(engine) as uow:
        first = await service.collect_booking_changes(
            uow, targets=[PushTarget.HL7], clock=clock, limit=2
        )
        second = await service.collect_booking_changes(
            uow, targets=[PushTarget.HL7], clock=clock, limit=2
        )
        pushes = await service.list_pushes(uow)
    assert (first, second) == (2, 1)
    assert len({p.booking_id for p in pushes}) == 3
