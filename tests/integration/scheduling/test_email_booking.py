"""Booking by email through real SMTP on loopback: a request in, an answer (with .ics) out."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels.delivery import inbound_email_recorder
from careline.channels.email.smtp_in import SmtpReceiver
from careline.channels.email.smtp_out import SmtpConfig, SmtpSender
from careline.db.uow import UnitOfWork
from careline.membership import service as membership
from careline.scheduling.email_booking import EmailBookingHandler
from careline.scheduling.model import BookingPolicy
from tests.integration.scheduling.world import FEE, World, build_world, make_clock
from tests.support.mailserver import SinkSmtpServer

pytestmark = pytest.mark.asyncio
MEMBER = "member@example.org"


@dataclass
class Mail:
    world: World
    card_number: str
    receiver_port: int
    sink: SinkSmtpServer


@pytest_asyncio.fixture
async def mail(engine: AsyncEngine) -> AsyncIterator[Mail]:
    world = await build_world(engine, patients=1)
    async with engine.begin() as conn:
        await conn.execute(sa.text("UPDATE patients SET email = :e"), {"e": MEMBER})
    async with UnitOfWork(engine) as uow:
        number = (await membership.get_card(uow, card_id=world.cards[0])).card_number
    clock = make_clock()
    sink = SinkSmtpServer()
    await sink.start()
    sender = SmtpSender(SmtpConfig("127.0.0.1", sink.port, sender="booking@hospital.test"))
    # Every channel may take every place, so the email pool's share does not matter here.
    policy = BookingPolicy(pool_release_days_before=30)
    handler = EmailBookingHandler(lambda: UnitOfWork(engine), sender, clock, policy=policy)
    receiver = SmtpReceiver(
        inbound_email_recorder(lambda: UnitOfWork(engine), handler, clock, via="smtp")
    )
    port = await receiver.start()
    yield Mail(world, number, port, sink)
    await receiver.stop()
    await sink.stop()


def _send(port: int, sender: str, body: str, subject: str = "预约") -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "booking@hospital.test"
    message["Subject"] = subject
    message["Message-ID"] = "<request-1@example.org>"
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)


async def _answer(sink: SinkSmtpServer) -> EmailMessage:
    for _ in range(200):
        if sink.received:
            return sink.received[0].message()
        await asyncio.sleep(0.05)
    raise AssertionError("no answer was sent")


async def test_booking_email_is_confirmed_with_an_ics(mail: Mail, engine: AsyncEngine) -> None:
    body = f"您好\n卡号：{mail.card_number}\n医生：1\n日期：11月27日\n时间：09:30\n"
    await asyncio.to_thread(_send, mail.receiver_port, MEMBER, body)
    answer = await _answer(mail.sink)
    assert answer["To"] == MEMBER
    assert answer["In-Reply-To"] == "<request-1@example.org>"
    text = answer.get_body(("plain",))
    assert text is not None
    assert "就诊序号：1" in text.get_content()
    assert "09:30-10:00" in text.get_content()
    calendars = [p for p in answer.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(calendars) == 1
    ics = calendars[0].get_payload(decode=True)
    assert isinstance(ics, bytes)
    assert b"BEGIN:VEVENT\r\n" in ics
    assert b"DTSTART:20261127T013000Z\r\n" in ics  # 09:30 in Shanghai
    assert b"DTEND:20261127T020000Z\r\n" in ics
    async with UnitOfWork(engine) as uow:
        assert await membership.card_balance(uow, card_id=mail.world.cards[0]) == 200_00 - FEE


async def test_booking_email_from_a_stranger_is_refused(mail: Mail, engine: AsyncEngine) -> None:
    body = f"Card: {mail.card_number}\nDoctor: 1\nDate: 2026-11-27\n"
    await asyncio.to_thread(_send, mail.receiver_port, "someone@example.net", body, "Booking")
    answer = await _answer(mail.sink)
    text = answer.get_body(("plain",))
    assert text is not None
    assert "must come from the address on record" in text.get_content()
    assert not list(answer.iter_attachments())
    async with engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT COUNT(*) FROM bookings"))).scalar_one() == 0


async def test_unreadable_booking_email_says_what_is_missing(mail: Mail) -> None:
    await asyncio.to_thread(
        _send, mail.receiver_port, MEMBER, "Doctor: 1\nDate: 2026-11-27\n", "Booking"
    )
    answer = await _answer(mail.sink)
    text = answer.get_body(("plain",))
    assert text is not None
    assert "card number" in text.get_content()
