"""The channels a process runs, built from settings: mail out and mail in."""

import asyncio
import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels import service
from careline.channels.model import MessageState
from careline.channels.runtime import ChannelsRuntime
from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from tests.support.mailserver import SinkSmtpServer
from tests.support.ports import free_port


async def _eventually(check, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


@pytest.mark.asyncio
async def test_a_queued_email_is_delivered_through_the_configured_smtp_server(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    sink = SinkSmtpServer()
    port = await sink.start()
    settings = Settings(
        data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port, channel_interval_seconds=0.1
    )
    clock = Clock()
    runtime = ChannelsRuntime(settings, lambda: UnitOfWork(engine), clock)
    await runtime.start()
    try:
        async with UnitOfWork(engine) as uow:
            queued = await service.queue_email(
                uow,
                to="patient@example.org",
                subject="复诊提醒",
                text="请于明天上午复诊。",
                clock=clock,
            )

        async def delivered() -> bool:
            async with UnitOfWork(engine) as uow:
                message = await service.get_message(uow, message_id=queued.id)
            return message.state in (MessageState.SENT, MessageState.DELIVERED)

        await _eventually(delivered)
    finally:
        await runtime.stop()
        await sink.stop()
    (mail,) = sink.received
    assert mail.recipients == ["patient@example.org"]
    assert mail.message()["Subject"] == "复诊提醒"
    assert "请于明天上午复诊" in mail.message().get_content()


@pytest.mark.asyncio
async def test_mail_sent_to_the_receiver_is_stored(engine: AsyncEngine, tmp_path: Path) -> None:
    port = free_port()
    settings = Settings(data_dir=tmp_path, smtp_receiver_host="127.0.0.1", smtp_receiver_port=port)
    runtime = ChannelsRuntime(settings, lambda: UnitOfWork(engine), Clock())
    await runtime.start()
    try:
        mail = EmailMessage()
        mail["From"] = "patient@example.org"
        mail["To"] = "service@hospital.example"
        mail["Subject"] = "咨询"
        mail.set_content("请问儿科周六有门诊吗？")
        await asyncio.to_thread(_send, port, mail)

        async def stored() -> bool:
            async with UnitOfWork(engine) as uow:
                return len(await service.list_inbound_emails(uow)) == 1

        await _eventually(stored)
    finally:
        await runtime.stop()


def _send(port: int, mail: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(mail)
