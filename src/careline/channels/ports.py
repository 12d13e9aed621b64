"""The ports features use to reach patients, and the callback port for what comes back.

Adapters raise ``SendFailed`` (retryable or not) instead of returning error codes; the
delivery worker in ``service`` turns that into stored state.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from careline.channels.model import InboundStatus


@dataclass(frozen=True, slots=True)
class SmsRequest:
    """One SMS to send: an E.164 recipient, the text and the template it came from."""

    to: str
    text: str
    template: str | None = None
    template_params: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SmsAccepted:
    """The provider took the message; one id per segment it will report on."""

    provider: str
    message_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """A provider's word on a message it accepted earlier."""

    provider: str
    message_id: str
    delivered: bool
    status: str


@dataclass(frozen=True, slots=True)
class InboundSms:
    """A text a patient sent to the hospital's number."""

    provider: str
    sender: str
    recipient: str
    text: str


@dataclass(frozen=True, slots=True)
class EmailAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """An email to send; ``reply_to_message_id`` threads it under a received one."""

    to: str
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[EmailAttachment, ...] = ()
    reply_to_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReceivedAttachment:
    """An attachment of a received email; refused ones keep their name and the reason."""

    filename: str
    content_type: str
    size: int
    data: bytes | None
    refused_reason: str | None = None


@dataclass(frozen=True, slots=True)
class InboundEmail:
    """A received email after parsing, with the id it was stored under."""

    stored_id: int
    via: str
    mail_from: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    message_id: str | None
    in_reply_to: str | None
    ticket_token: str | None
    received_at: datetime
    attachments: tuple[ReceivedAttachment, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class HandlingOutcome:
    """What the receiving context did with an inbound message."""

    status: InboundStatus
    detail: str = ""


class SmsSender(abc.ABC):
    """Hand one SMS to a provider."""

    name: str = "sms"

    @abc.abstractmethod
    async def send(self, request: SmsRequest) -> SmsAccepted:
        """Send ``request``; raise SendFailed if the provider did not take it."""

    async def close(self) -> None:  # noqa: B027 - most adapters hold no connection
        """Release connections; the default has none."""


class EmailSender(abc.ABC):
    """Hand one email to a mail server."""

    @abc.abstractmethod
    async def send(self, email: OutgoingEmail) -> str:
        """Send ``email``; return its Message-ID or raise SendFailed."""


class FaxSender(abc.ABC):
    """Hand one fax (T.4 TIFF pages) to a fax service."""

    name: str = "fax"

    @abc.abstractmethod
    async def send(self, number: str, tiff: bytes, *, title: str) -> str:
        """Queue a fax to ``number``; return the service's job id or raise SendFailed."""


class InboundHandler(abc.ABC):
    """Called with every received email after it is stored (complaints, bookings)."""

    @abc.abstractmethod
    async def handle_email(self, email: InboundEmail) -> HandlingOutcome:
        """Act on ``email`` and say what was done."""

    async def handle_sms(self, sms: InboundSms) -> HandlingOutcome:
        """Act on a received SMS; by default it is only kept."""
        del sms
        return HandlingOutcome(InboundStatus.RECEIVED, "no handler for SMS")


ReportCallback = Callable[[DeliveryReport], Awaitable[None]]
InboundSmsCallback = Callable[[InboundSms], Awaitable[None]]
