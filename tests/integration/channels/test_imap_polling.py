"""IMAP polling against a real dovecot started for the test: mail is stored, routed, flagged."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels import tables as t
from careline.channels.delivery import inbound_email_recorder
from careline.channels.email.imap import ImapConfig, ImapError, ImapPoller
from careline.channels.model import InboundStatus
from careline.db.uow import UnitOfWorkFactory
from careline.kit.clock import FakeClock
from tests.support.mailserver import Dovecot, dovecot_server
from tests.unit.channels.fakes import TicketInbox

TICKET = "202611250042"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with dovecot_server() as server:
        yield server


def _mail(subject: str, attachment: bytes | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "王五 <wangwu@example.com>"
    message["To"] = "feedback@hospital.test"
    message["Subject"] = subject
    message.set_content("谢谢医生的耐心解答。")
    if attachment is not None:
        message.add_attachment(attachment, maintype="image", subtype="png", filename="photo.png")
    return message.as_bytes()


def _poller(
    dovecot: Dovecot,
    uow_factory: UnitOfWorkFactory,
    inbox: TicketInbox,
    password: str | None = None,
) -> ImapPoller:
    config = ImapConfig(
        "127.0.0.1", dovecot.port, dovecot.username, password or dovecot.password, timeout=5
    )
    return ImapPoller(config, inbound_email_recorder(uow_factory, inbox, FakeClock(), via="imap"))


@pytest.mark.asyncio
async def test_polling_routes_new_mail_and_replies_then_flags_them_seen(
    dovecot: Dovecot,
    uow_factory: UnitOfWorkFactory,
    engine: AsyncEngine,
) -> None:
    inbox = TicketInbox({TICKET})
    dovecot.deliver(_mail("表扬心内科张医生", attachment=b"\x89PNG..."), "1.careline")
    dovecot.deliver(_mail(f"Re: 关于您的反馈 [#{TICKET}]"), "2.careline")
    dovecot.deliver(b"Subject: no sender\r\n\r\nbody\r\n", "3.careline")
    poller = _poller(dovecot, uow_factory, inbox)
    assert await poller.poll_once() == 3
    [new] = inbox.new
    assert (new.subject, new.via, new.mail_from) == (
        "表扬心内科张医生",
        "imap",
        "wangwu@example.com",
    )
    assert [(a.filename, a.data) for a in new.attachments] == [("photo.png", b"\x89PNG...")]
    assert [e.subject for e in inbox.threaded[TICKET]] == [f"Re: 关于您的反馈 [#{TICKET}]"]
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(t.inbound_emails.c.status, t.inbound_emails.c.via).order_by(
                    t.inbound_emails.c.id
                )
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        (InboundStatus.HANDLED, "imap"),
        (InboundStatus.HANDLED, "imap"),
        (InboundStatus.MALFORMED, "imap"),
    ]
    assert await poller.poll_once() == 0


@pytest.mark.asyncio
async def test_wrong_password_is_an_imap_error(
    dovecot: Dovecot,
    uow_factory: UnitOfWorkFactory,
) -> None:
    poller = _poller(dovecot, uow_factory, TicketInbox(set()), password="wrong")
    with pytest.raises(ImapError, match="LOGIN failed"):
        await poller.poll_once()
