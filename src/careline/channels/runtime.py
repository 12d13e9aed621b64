"""Build the configured channel adapters and run their background work for a process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from careline.channels.delivery import (
    email_delivery,
    fax_delivery,
    inbound_email_recorder,
    inbound_sms_recorder,
    report_recorder,
    sms_delivery,
)
from careline.channels.email.imap import ImapConfig, ImapPoller
from careline.channels.email.smtp_in import SmtpReceiver
from careline.channels.email.smtp_out import SmtpConfig, SmtpSender
from careline.channels.fax.gateway import EmailFaxSender, FaxGatewayConfig
from careline.channels.fax.hylafax import HylafaxConfig, HylafaxSender
from careline.channels.model import Channel, InboundStatus, TokenBucket
from careline.channels.ports import (
    EmailSender,
    FaxSender,
    HandlingOutcome,
    InboundEmail,
    InboundHandler,
    InboundSms,
    SmsSender,
)
from careline.channels.sms.cmpp import CmppClient, CmppConfig
from careline.channels.sms.http import TencentSmsConfig, TencentSmsSender
from careline.channels.sms.smpp import SmppClient, SmppConfig
from careline.channels.worker import DeliveryWorker
from careline.config import Settings
from careline.db.uow import UnitOfWorkFactory
from careline.kit.clock import Clock

log = structlog.get_logger(__name__)


class KeepOnly(InboundHandler):
    """Store inbound mail without acting on it (no context claimed it)."""

    async def handle_email(self, email: InboundEmail) -> HandlingOutcome:
        del email
        return HandlingOutcome(InboundStatus.RECEIVED, "kept")


@dataclass
class ChannelAdapters:
    sms: SmsSender | None = None
    email: EmailSender | None = None
    fax: FaxSender | None = None


def build_adapters(
    settings: Settings, uow_factory: UnitOfWorkFactory, clock: Clock, handler: InboundHandler
) -> ChannelAdapters:
    """Create a sender for every channel the settings configure."""
    adapters = ChannelAdapters()
    report = report_recorder(uow_factory, clock)
    inbound = inbound_sms_recorder(uow_factory, handler, clock)
    if settings.sms_provider == "smpp":
        adapters.sms = SmppClient(
            SmppConfig(
                host=settings.smpp_host,
                port=settings.smpp_port,
                system_id=settings.smpp_system_id,
                password=settings.smpp_password,
                source_addr=settings.smpp_source_addr,
            ),
            on_report=report,
            on_inbound=inbound,
        )
    elif settings.sms_provider == "cmpp":
        adapters.sms = CmppClient(
            CmppConfig(
                host=settings.cmpp_host,
                port=settings.cmpp_port,
                sp_id=settings.cmpp_sp_id,
                shared_secret=settings.cmpp_shared_secret,
                src_id=settings.cmpp_src_id,
                service_id=settings.cmpp_service_id,
                zone=settings.timezone,
            ),
            on_report=report,
            on_inbound=inbound,
        )
    elif settings.sms_provider == "tencent":
        adapters.sms = TencentSmsSender(
            TencentSmsConfig(
                secret_id=settings.tencent_sms_secret_id,
                secret_key=settings.tencent_sms_secret_key,
                sdk_app_id=settings.tencent_sms_sdk_app_id,
                sign_name=settings.tencent_sms_sign_name,
                template_ids=settings.tencent_sms_template_ids,
                endpoint=settings.tencent_sms_endpoint,
                region=settings.tencent_sms_region,
            )
        )
    if settings.smtp_host:
        adapters.email = SmtpSender(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_sender,
                sender_name=settings.smtp_sender_name,
                username=settings.smtp_username or None,
                password=settings.smtp_password or None,
                starttls=settings.smtp_starttls,
                implicit_tls=settings.smtp_implicit_tls,
            )
        )
    if settings.fax_method == "hylafax":
        adapters.fax = HylafaxSender(
            HylafaxConfig(
                host=settings.hylafax_host,
                port=settings.hylafax_port,
                user=settings.hylafax_user or None,
            )
        )
    elif settings.fax_method == "email" and adapters.email is not None:
        adapters.fax = EmailFaxSender(
            FaxGatewayConfig(domain=settings.fax_gateway_domain), adapters.email
        )
    return adapters


class _Deferred(InboundHandler):
    """Pass to the runtime's current handler (the SMS clients are built before it)."""

    def __init__(self, runtime: ChannelsRuntime) -> None:
        self._runtime = runtime

    async def handle_email(self, email: InboundEmail) -> HandlingOutcome:
        return await self._runtime.handler.handle_email(email)

    async def handle_sms(self, sms: InboundSms) -> HandlingOutcome:
        return await self._runtime.handler.handle_sms(sms)


@dataclass
class ChannelsRuntime:
    """The delivery worker, the SMTP receiver and the IMAP poller of one process."""

    settings: Settings
    uow_factory: UnitOfWorkFactory
    clock: Clock
    handler: InboundHandler = field(default_factory=KeepOnly)
    # Called with the built adapters to make the inbound handler (a handler that answers
    # by email needs the email sender); overrides ``handler`` when given.
    handler_factory: Callable[[ChannelAdapters], InboundHandler] | None = None
    adapters: ChannelAdapters = field(default_factory=ChannelAdapters)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _receiver: SmtpReceiver | None = None

    async def start(self) -> None:
        """Start whatever the settings configure."""
        settings = self.settings
        if self.handler_factory is not None:
            self.handler = _Deferred(self)
        self.adapters = build_adapters(settings, self.uow_factory, self.clock, self.handler)
        if self.handler_factory is not None:
            self.handler = self.handler_factory(self.adapters)
        deliveries = {}
        if self.adapters.sms is not None:
            deliveries[Channel.SMS] = sms_delivery(self.adapters.sms)
        if self.adapters.email is not None:
            deliveries[Channel.EMAIL] = email_delivery(self.adapters.email)
        if self.adapters.fax is not None:
            deliveries[Channel.FAX] = fax_delivery(
                self.adapters.fax, font_path=Path(settings.fax_font)
            )
        if deliveries:
            worker = DeliveryWorker(
                self.uow_factory,
                deliveries,
                clock=self.clock,
                rates={
                    Channel.SMS: TokenBucket(
                        rate=settings.sms_rate_per_second, capacity=settings.sms_burst
                    )
                },
                interval=settings.channel_interval_seconds,
            )
            self._tasks.append(asyncio.create_task(worker.run(self._stop)))
        record_mail = {
            via: inbound_email_recorder(
                self.uow_factory,
                self.handler,
                self.clock,
                via=via,
                max_attachment_bytes=settings.max_attachment_bytes,
            )
            for via in ("smtp", "imap")
        }
        if settings.smtp_receiver_host:
            self._receiver = SmtpReceiver(
                record_mail["smtp"],
                host=settings.smtp_receiver_host,
                port=settings.smtp_receiver_port,
                accepted_domains=frozenset(settings.smtp_receiver_domains),
            )
            await self._receiver.start()
        if settings.imap_host:
            poller = ImapPoller(
                ImapConfig(
                    host=settings.imap_host,
                    port=settings.imap_port,
                    username=settings.imap_username,
                    password=settings.imap_password,
                    mailbox=settings.imap_mailbox,
                    use_tls=settings.imap_tls,
                ),
                record_mail["imap"],
            )
            self._tasks.append(
                asyncio.create_task(poller.run(settings.imap_poll_seconds, self._stop))
            )
        log.info(
            "channels_started",
            channels=sorted(str(c) for c in deliveries),
            smtp_receiver=self._receiver is not None,
            imap=bool(settings.imap_host),
        )

    async def stop(self) -> None:
        """Stop the background work and close connections."""
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 10)
        if self._receiver is not None:
            await self._receiver.stop()
        if self.adapters.sms is not None:
            await self.adapters.sms.close()
