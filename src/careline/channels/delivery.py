"""Glue between stored messages and the ports: senders per channel, callbacks for receipts
and received messages, each in its own unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from careline.channels import service
from careline.channels.email.parsing import DEFAULT_MAX_ATTACHMENT_BYTES
from careline.channels.fax.render import CJK_FONT, render_fax
from careline.channels.model import OutboundMessage
from careline.channels.ports import (
    DeliveryReport,
    EmailSender,
    FaxSender,
    InboundHandler,
    InboundSms,
    InboundSmsCallback,
    OutgoingEmail,
    ReportCallback,
    SmsRequest,
    SmsSender,
)
from careline.channels.service import Deliver
from careline.db.uow import UnitOfWorkFactory
from careline.kit.clock import Clock


def sms_delivery(sender: SmsSender) -> Deliver:
    """Send stored SMS through ``sender``."""

    async def deliver(message: OutboundMessage) -> tuple[str, tuple[str, ...]]:
        accepted = await sender.send(
            SmsRequest(message.recipient, message.body, message.template, message.template_params)
        )
        return accepted.provider, accepted.message_ids

    return deliver


def email_delivery(sender: EmailSender) -> Deliver:
    """Send stored emails through ``sender``."""

    async def deliver(message: OutboundMessage) -> tuple[str, tuple[str, ...]]:
        message_id = await sender.send(
            OutgoingEmail(message.recipient, message.subject, message.body)
        )
        return "smtp", (message_id,)

    return deliver


def fax_delivery(sender: FaxSender, *, font_path: Path = CJK_FONT) -> Deliver:
    """Render stored fax documents to T.4 TIFF and send them through ``sender``."""

    async def deliver(message: OutboundMessage) -> tuple[str, tuple[str, ...]]:
        # Rendering a page takes tens of milliseconds; off the event loop, calls keep flowing.
        tiff = await asyncio.to_thread(
            render_fax, message.subject, message.body, font_path=font_path
        )
        job_id = await sender.send(message.recipient, tiff, title=message.subject)
        return sender.name, (job_id,)

    return deliver


def report_recorder(uow_factory: UnitOfWorkFactory, clock: Clock) -> ReportCallback:
    """Return a callback that stores each delivery report in its own unit of work."""

    async def record(report: DeliveryReport) -> None:
        async with uow_factory() as uow:
            await service.record_delivery_report(uow, report=report, clock=clock)

    return record


def inbound_sms_recorder(
    uow_factory: UnitOfWorkFactory, handler: InboundHandler, clock: Clock
) -> InboundSmsCallback:
    """Return a callback that stores each received SMS and passes it to ``handler``."""

    async def record(sms: InboundSms) -> None:
        async with uow_factory() as uow:
            await service.receive_sms(uow, sms=sms, handler=handler, clock=clock)

    return record


def inbound_email_recorder(
    uow_factory: UnitOfWorkFactory,
    handler: InboundHandler,
    clock: Clock,
    *,
    via: str,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
) -> Callable[[bytes], Awaitable[None]]:
    """Return a callback for the SMTP receiver or IMAP poller that stores and routes mail."""

    async def record(raw: bytes) -> None:
        async with uow_factory() as uow:
            await service.receive_email(
                uow,
                raw=raw,
                via=via,
                handler=handler,
                clock=clock,
                max_attachment_bytes=max_attachment_bytes,
            )

    return record
