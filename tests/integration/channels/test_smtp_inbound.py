"""Mail received by the SMTP receiver is stored and routed; replies thread by ticket token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import EmailMessage

import aiosmtplib
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels.delivery import inbound_email_recorder
from careline.channels.email.smtp_in import SmtpReceiver
from careline.channels.model import InboundStatus
from careline.channels.repository import ChannelRepository
from careline.db.uow import UnitOfWork, UnitOfWorkFactory
from careline.kit.clock import FakeClock
from tests.unit.channels.fakes import TicketInbox

pytestmark = pytest.mark.asyncio
TICKET = "202611250042"
LIMIT = 100_000


@pytest_asyncio.fixture
async def inbox() -> TicketInbox:
    return TicketInbox({TICKET})


@pytest_asyncio.fixture
async def receiver(inbox: TicketInbox, uow_factory: UnitOfWorkFactory) -> AsyncIterator[int]:
    record = inbound_email_recorder(
        uow_factory, inbox, FakeClock(), via="smtp", max_attachment_bytes=LIMIT
    )
    server = SmtpReceiver(record)
    port = await server.start()
    yield port
    await server.stop()


def _mail(subject: str, *, attachment: bytes | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "李四 <lisi@example.com>"
    message["To"] = "complaints@hospital.test"
    message["Subject"] = subject
    message.set_content("候诊时间太长，希望改进。")
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="application", subtype="pdf", filename="挂号单.pdf"
        )
    return message


async def _stored(engine: AsyncEngine, email_id: int) -> dict[str, object]:
    async with UnitOfWork(engine) as uow:
        row = await ChannelRepository(uow.connection).inbound_email(email_id)
    assert row is not None
    return row


async def test_new_mail_with_attachment_reaches_the_handler(
    receiver: int,
    inbox: TicketInbox,
    engine: AsyncEngine,
) -> None:
    await aiosmtplib.send(
        _mail("挂号处排队太久", attachment=b"%PDF-1.4 receipt"), hostname="127.0.0.1", port=receiver
    )
    [email] = inbox.new
    assert (email.mail_from, email.subject, email.via) == (
        "lisi@example.com",
        "挂号处排队太久",
        "smtp",
    )
    assert email.text.strip() == "候诊时间太长，希望改进。"
    [attachment] = email.attachments
    assert (attachment.filename, attachment.data) == ("挂号单.pdf", b"%PDF-1.4 receipt")
    stored = await _stored(engine, email.stored_id)
    assert stored["status"] == InboundStatus.HANDLED
    assert b"lisi@example.com" in stored["raw"]  # type: ignore[operator]


async def test_reply_with_ticket_token_is_threaded(receiver: int, inbox: TicketInbox) -> None:
    await aiosmtplib.send(
        _mail(f"Re: 您的投诉已受理 [#{TICKET}]"), hostname="127.0.0.1", port=receiver
    )
    assert [e.ticket_token for e in inbox.threaded[TICKET]] == [TICKET]
    assert inbox.new == []


async def test_unknown_ticket_token_is_kept_with_a_clear_status(
    receiver: int,
    inbox: TicketInbox,
    engine: AsyncEngine,
    uow_factory: UnitOfWorkFactory,
) -> None:
    await aiosmtplib.send(_mail("Re: [#209912310001]"), hostname="127.0.0.1", port=receiver)
    assert inbox.threaded == {}
    stored = await _stored(engine, 1)
    assert (stored["status"], stored["reason"], stored["ticket_token"]) == (
        InboundStatus.UNKNOWN_TICKET,
        "no ticket 209912310001",
        "209912310001",
    )


async def test_huge_attachment_is_refused_but_the_mail_is_kept(
    receiver: int,
    inbox: TicketInbox,
    engine: AsyncEngine,
) -> None:
    await aiosmtplib.send(
        _mail("scan", attachment=b"x" * (LIMIT + 1)), hostname="127.0.0.1", port=receiver
    )
    [email] = inbox.new
    [attachment] = email.attachments
    assert (attachment.data, attachment.size) == (None, LIMIT + 1)
    assert attachment.refused_reason == f"larger than the limit of {LIMIT} bytes"
    async with UnitOfWork(engine) as uow:
        [kept] = await ChannelRepository(uow.connection).inbound_attachments(email.stored_id)
    assert kept.refused_reason is not None


async def test_malformed_mail_is_stored_as_such_and_not_routed(
    receiver: int,
    inbox: TicketInbox,
    engine: AsyncEngine,
) -> None:
    raw = (
        b"From: a@example.com\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\nno parts at all\r\n'
    )
    await aiosmtplib.send(
        raw,
        sender="a@example.com",
        recipients=["c@hospital.test"],
        hostname="127.0.0.1",
        port=receiver,
    )
    assert inbox.new == []
    stored = await _stored(engine, 1)
    assert stored["status"] == InboundStatus.MALFORMED
    assert str(stored["reason"]).startswith("broken MIME structure")
    assert stored["raw"] == raw


async def test_failing_handler_leaves_the_mail_stored(
    uow_factory: UnitOfWorkFactory,
    engine: AsyncEngine,
) -> None:
    record = inbound_email_recorder(
        uow_factory, TicketInbox(set(), broken=True), FakeClock(), via="smtp"
    )
    server = SmtpReceiver(record)
    port = await server.start()
    try:
        await aiosmtplib.send(_mail("hello"), hostname="127.0.0.1", port=port)
    finally:
        await server.stop()
    stored = await _stored(engine, 1)
    assert (stored["status"], stored["reason"]) == (InboundStatus.HANDLER_FAILED, "RuntimeError")


async def test_storage_failure_answers_451_so_the_sender_keeps_the_mail() -> None:
    async def broken_store(raw: bytes) -> None:
        raise OSError("disk full")

    server = SmtpReceiver(broken_store)
    port = await server.start()
    try:
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await aiosmtplib.send(_mail("hello"), hostname="127.0.0.1", port=port)
    finally:
        await server.stop()
    assert refused.value.code == 451


async def test_mail_for_other_domains_is_refused_at_rcpt() -> None:
    stored: list[bytes] = []

    async def keep(raw: bytes) -> None:
        stored.append(raw)

    server = SmtpReceiver(keep, accepted_domains=frozenset({"Hospital.test"}))
    port = await server.start()
    try:
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            await aiosmtplib.send(
                _mail("spam"), recipients=["x@elsewhere.example"], hostname="127.0.0.1", port=port
            )
        await aiosmtplib.send(_mail("ok"), hostname="127.0.0.1", port=port)
    finally:
        await server.stop()
    assert len(stored) == 1
    assert b"complaints@hospital.test" in stored[0]
