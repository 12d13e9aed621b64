"""IMAP polling against a real dovecot reaches tickets: a new mail opens one, a reply threads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels.delivery import inbound_email_recorder
from careline.channels.email.imap import ImapConfig, ImapPoller
from careline.channels.model import tag_subject
from careline.complaints import service
from careline.complaints.inbound import ComplaintEmailHandler
from careline.complaints.model import EventKind, TicketSource
from careline.db.uow import UnitOfWork, UnitOfWorkFactory
from careline.kit.clock import FakeClock
from tests.support.mailserver import Dovecot, dovecot_server


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with dovecot_server() as server:
        yield server


def _mail(subject: str, text: str) -> bytes:
    message = EmailMessage()
    message["From"] = "王五 <wangwu@example.com>"
    message["To"] = "feedback@hospital.test"
    message["Subject"] = subject
    message.set_content(text)
    return message.as_bytes()


@pytest.mark.asyncio
async def test_polled_mail_opens_a_ticket_and_a_polled_reply_lands_on_it(
    dovecot: Dovecot, uow_factory: UnitOfWorkFactory, engine: AsyncEngine
) -> None:
    clock = FakeClock(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))
    handler = ComplaintEmailHandler(uow_factory, clock)
    config = ImapConfig("127.0.0.1", dovecot.port, dovecot.username, dovecot.password, timeout=5)
    poller = ImapPoller(config, inbound_email_recorder(uow_factory, handler, clock, via="imap"))

    dovecot.deliver(_mail("药房排队太久", "取药等了一个小时。"), "c1.careline")
    await poller.poll_once()
    async with UnitOfWork(engine) as uow:
        [ticket] = await service.list_queue(uow, department_id=None)
    assert ticket.source is TicketSource.EMAIL
    assert ticket.contact_email == "wangwu@example.com"

    dovecot.deliver(_mail(tag_subject("Re: 药房", ticket.number), "周二上午。"), "c2.careline")
    await poller.poll_once()
    async with UnitOfWork(engine) as uow:
        assert [t.id for t in await service.list_queue(uow, department_id=None)] == [ticket.id]
        events = await service.ticket_history(uow, ticket_id=ticket.id)
    assert [e.body for e in events if e.kind is EventKind.PATIENT_MESSAGE] == ["周二上午。"]
