"""A node's background work routes mail: bookings to the booking desk, the rest to complaints."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.background import BackgroundWork
from careline.bootstrap import Careline
from careline.complaints import service as complaints
from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from tests.support.mailserver import SinkSmtpServer
from tests.support.ports import free_port

BOOKING = "booking@hospital.test"


def _send(port: int, to: str, subject: str, body: str) -> None:
    mail = EmailMessage()
    mail["From"] = "patient@example.org"
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(mail)


@pytest.mark.asyncio
async def test_mail_to_the_booking_address_is_answered_and_other_mail_opens_a_ticket(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    sink = SinkSmtpServer()
    await sink.start()
    receiver_port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_receiver_host="127.0.0.1",
        smtp_receiver_port=receiver_port,
        booking_email_address=BOOKING,
        channel_interval_seconds=0.1,
    )
    work = BackgroundWork(Careline(settings=settings, engine=engine, clock=Clock()))
    await work.start()
    try:
        await asyncio.to_thread(_send, receiver_port, BOOKING, "Booking", "Date: 2026-12-01\n")
        await asyncio.to_thread(
            _send, receiver_port, "service@hospital.test", "投诉", "挂号窗口排队太久，没人管。"
        )
        for _ in range(100):
            async with UnitOfWork(engine) as uow:
                tickets = await complaints.list_queue(uow, department_id=None)
            if sink.received and tickets:
                break
            await asyncio.sleep(0.1)
    finally:
        await work.stop()
        await sink.stop()
    (answer,) = sink.received
    assert answer.recipients == ["patient@example.org"]
    assert len(tickets) == 1
    assert "挂号窗口" in tickets[0].body
