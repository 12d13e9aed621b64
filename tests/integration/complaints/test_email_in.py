"""Email over SMTP on loopback becomes a ticket; replies land on the same ticket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from email.message import EmailMessage

import aiosmtplib
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels.delivery import inbound_email_recorder
from careline.channels.email.smtp_in import SmtpReceiver
from careline.channels.model import InboundStatus, tag_subject
from careline.channels.repository import ChannelRepository
from careline.complaints import service
from careline.complaints.inbound import ComplaintEmailHandler
from careline.complaints.model import (
    EventKind,
    FeedbackChannel,
    Ticket,
    TicketSource,
    make_ticket_number,
)
from careline.db.uow import UnitOfWork, UnitOfWorkFactory
from careline.kit.clock import FakeClock

pytestmark = pytest.mark.asyncio
LIMIT = 100_000
START = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def receiver(uow_factory: UnitOfWorkFactory) -> AsyncIterator[int]:
    clock = FakeClock(START)
    handler = ComplaintEmailHandler(uow_factory, clock)
    record = inbound_email_recorder(
        uow_factory, handler, clock, via="smtp", max_attachment_bytes=LIMIT
    )
    server = SmtpReceiver(record, host="127.0.0.1", port=0)
    port = await server.start()
    yield port
    await server.stop()


def _mail(subject: str, text: str, *, attachment: bytes | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "李四 <lisi@example.com>"
    message["To"] = "complaints@hospital.test"
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash((subject, text)))}@example.com>"
    message.set_content(text)
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="application", subtype="pdf", filename="收据.pdf"
        )
    return message


async def _send(port: int, message: EmailMessage | bytes) -> None:
    if isinstance(message, bytes):
        await aiosmtplib.send(
            message,
            sender="a@example.com",
            recipients=["c@hospital.test"],
            hostname="127.0.0.1",
            port=port,
        )
    else:
        await aiosmtplib.send(message, hostname="127.0.0.1", port=port)


async def _tickets(engine: AsyncEngine) -> list[Ticket]:
    async with UnitOfWork(engine) as uow:
        return await service.list_queue(uow, department_id=None)


async def _email_status(engine: AsyncEngine, email_id: int) -> str:
    async with UnitOfWork(engine) as uow:
        row = await ChannelRepository(uow.connection).inbound_email(email_id)
    assert row is not None
    return str(row["status"])


async def test_new_email_opens_a_ticket_and_replies_thread_to_it(
    receiver: int, engine: AsyncEngine
) -> None:
    first = _mail("投诉：候诊时间太长", "上午挂号，下午三点才看上。")
    await _send(receiver, first)
    [ticket] = await _tickets(engine)
    assert ticket.source is TicketSource.EMAIL
    assert (ticket.contact_email, ticket.feedback_channel) == (
        "lisi@example.com",
        FeedbackChannel.EMAIL,
    )
    assert ticket.subject == "投诉：候诊时间太长"
    assert ticket.language == "zh-CN"

    by_token = _mail(tag_subject("Re: 您的反馈已有回复", ticket.number), "补充：是儿科。")
    await _send(receiver, by_token)
    by_header = _mail("Re: 投诉", "还有一件事。")
    by_header["In-Reply-To"] = first["Message-ID"]
    await _send(receiver, by_header)

    assert [t.id for t in await _tickets(engine)] == [ticket.id]
    async with UnitOfWork(engine) as uow:
        events = await service.ticket_history(uow, ticket_id=ticket.id)
    said = [e.body for e in events if e.kind is EventKind.PATIENT_MESSAGE]
    assert said == ["补充：是儿科。", "还有一件事。"]
    assert [await _email_status(engine, n) for n in (1, 2, 3)] == ["handled"] * 3


async def test_unknown_ticket_token_is_kept_with_a_clear_status(
    receiver: int, engine: AsyncEngine
) -> None:
    unknown = make_ticket_number(date(2026, 1, 5), 77)
    await _send(receiver, _mail(tag_subject("Re: reply", unknown), "hello"))
    bad_check = unknown[:-1] + str((int(unknown[-1]) + 1) % 10)
    await _send(receiver, _mail(tag_subject("Re: reply", bad_check), "hello again"))
    assert await _tickets(engine) == []
    assert await _email_status(engine, 1) == InboundStatus.UNKNOWN_TICKET
    assert await _email_status(engine, 2) == InboundStatus.UNKNOWN_TICKET


async def test_huge_attachment_is_listed_as_refused_on_the_ticket(
    receiver: int, engine: AsyncEngine
) -> None:
    await _send(receiver, _mail("Bill", "See the scan.", attachment=b"x" * (LIMIT + 1)))
    [ticket] = await _tickets(engine)
    assert ticket.language == "en"
    async with UnitOfWork(engine) as uow:
        [attachment] = await service.list_attachments(uow, ticket_id=ticket.id)
    assert (attachment.filename, attachment.size) == ("收据.pdf", LIMIT + 1)
    assert attachment.refused_reason is not None


async def test_small_attachment_is_kept_on_the_ticket(receiver: int, engine: AsyncEngine) -> None:
    await _send(receiver, _mail("Bill", "See the scan.", attachment=b"%PDF-1.4 tiny"))
    [ticket] = await _tickets(engine)
    async with UnitOfWork(engine) as uow:
        [listed] = await service.list_attachments(uow, ticket_id=ticket.id)
        _, data = await service.get_attachment(uow, attachment_id=listed.id)
    assert data == b"%PDF-1.4 tiny"


async def test_malformed_email_opens_no_ticket_and_is_kept(
    receiver: int, engine: AsyncEngine
) -> None:
    raw = (
        b"From: a@example.com\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\nno parts at all\r\n'
    )
    await _send(receiver, raw)
    assert await _tickets(engine) == []
    assert await _email_status(engine, 1) == InboundStatus.MALFORMED


async def test_empty_email_is_answered_as_malformed_and_kept(
    receiver: int, engine: AsyncEngine
) -> None:
    message = EmailMessage()
    message["From"] = "a@example.com"
    message["To"] = "c@hospital.test"
    message["Subject"] = ""
    message.set_content("")
    await _send(receiver, message)
    assert await _tickets(engine) == []
    assert await _email_status(engine, 1) == InboundStatus.MALFORMED
