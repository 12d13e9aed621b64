"""Outgoing mail over SMTP on loopback: Chinese text encoded correctly, STARTTLS, faxes."""

from __future__ import annotations

import io
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image

from careline.channels import service
from careline.channels.delivery import fax_delivery
from careline.channels.email.smtp_out import SmtpConfig, SmtpSender
from careline.channels.errors import SendFailed
from careline.channels.fax.gateway import EmailFaxSender, FaxGatewayConfig
from careline.channels.model import Channel, MessageState
from careline.channels.ports import OutgoingEmail
from careline.db.uow import UnitOfWorkFactory
from careline.kit.clock import FakeClock
from tests.support.mailserver import SinkSmtpServer, self_signed_certificate

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def sink() -> AsyncIterator[SinkSmtpServer]:
    server = SinkSmtpServer()
    await server.start()
    yield server
    await server.stop()


def _sender(port: int, **options: object) -> SmtpSender:
    return SmtpSender(
        SmtpConfig(
            "127.0.0.1",
            port,
            sender="noreply@hospital.test",
            sender_name="示例医院",
            timeout=5,
            **options,  # type: ignore[arg-type]
        )
    )


async def test_chinese_subject_and_body_arrive_correctly_encoded(sink: SinkSmtpServer) -> None:
    email = OutgoingEmail(
        "patient@example.com",
        "您的投诉已处理 [#202611250042]",
        "您好：\n您反映的候诊时间问题已改进。\n示例医院投诉办公室",
        reply_to_message_id="<m1@example.com>",
    )
    message_id = await _sender(sink.port).send(email)
    [mail] = sink.received
    assert mail.recipients == ["patient@example.com"]
    header_block = mail.raw.split(b"\r\n\r\n", 1)[0]
    assert header_block.isascii()  # RFC 2047 words, not raw UTF-8 in headers
    assert b"=?utf-8?" in header_block.lower()
    parsed = mail.message()
    assert parsed["Subject"] == "您的投诉已处理 [#202611250042]"
    assert parsed["From"].addresses[0].display_name == "示例医院"
    assert parsed["Message-ID"] == message_id
    assert parsed["In-Reply-To"] == "<m1@example.com>"
    body = parsed.get_body(("plain",))
    assert body is not None
    assert body.get_content_charset() == "utf-8"
    assert (
        body.get_content().replace("\r\n", "\n")
        == "您好：\n您反映的候诊时间问题已改进。\n示例医院投诉办公室\n"
    )


async def test_starttls_is_used_when_configured(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = SinkSmtpServer(tls_context=context)
    port = await server.start()
    try:
        with pytest.raises(SendFailed):  # the server refuses mail before STARTTLS
            await _sender(port).send(OutgoingEmail("p@example.com", "x", "y"))
        await _sender(port, starttls=True, cert_bundle=str(cert)).send(
            OutgoingEmail("p@example.com", "加密", "内容")
        )
    finally:
        await server.stop()
    [mail] = server.received
    assert mail.message()["Subject"] == "加密"


async def test_unreachable_server_is_a_retryable_failure() -> None:
    server = SinkSmtpServer()
    port = await server.start()
    await server.stop()
    with pytest.raises(SendFailed) as failure:
        await _sender(port).send(OutgoingEmail("p@example.com", "x", "y"))
    assert failure.value.retryable


async def test_fax_goes_to_the_email_gateway_as_a_g3_tiff(
    sink: SinkSmtpServer,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock = FakeClock()
    fax = EmailFaxSender(FaxGatewayConfig("fax.example.net"), _sender(sink.port))
    async with uow_factory() as uow:
        queued = await service.queue_fax(
            uow,
            number="+86 10 8888 6666",
            title="胃镜检查须知",
            body="检查前8小时禁食禁水。",
            clock=clock,
        )
        await service.deliver_due_messages(
            uow, channel=Channel.FAX, deliver=fax_delivery(fax), clock=clock
        )
        sent = await service.get_message(uow, message_id=queued.id)
    [mail] = sink.received
    assert mail.recipients == ["861088886666@fax.example.net"]
    [attachment] = list(mail.message().iter_attachments())
    assert attachment.get_content_type() == "image/tiff"
    image = Image.open(io.BytesIO(attachment.get_content()))
    assert (image.mode, image.size[0], image.info["compression"], image.info["dpi"]) == (
        "1",
        1728,
        "group3",
        (204, 196),
    )
    assert (sent.state, sent.provider) == (MessageState.SENT, "email-fax")
    assert sent.provider_message_id == mail.message()["Message-ID"]
