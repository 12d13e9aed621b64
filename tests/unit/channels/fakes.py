"""Fakes of the channel ports: they subclass the port and record what they were given."""

from __future__ import annotations

import itertools

from careline.channels.errors import SendFailed
from careline.channels.model import InboundStatus
from careline.channels.ports import (
    EmailSender,
    FaxSender,
    HandlingOutcome,
    InboundEmail,
    InboundHandler,
    OutgoingEmail,
    SmsAccepted,
    SmsRequest,
    SmsSender,
)
from careline.channels.sms.segments import count_segments


class FakeSmsSender(SmsSender):
    """Accept every SMS (one id per segment) unless told to fail."""

    name = "fake-sms"

    def __init__(self) -> None:
        self.sent: list[SmsRequest] = []
        self.failures: list[SendFailed] = []
        self._ids = itertools.count(1)

    async def send(self, request: SmsRequest) -> SmsAccepted:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(request)
        ids = tuple(f"f{next(self._ids)}" for _ in range(count_segments(request.text)))
        return SmsAccepted(self.name, ids)


class FakeEmailSender(EmailSender):
    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []

    async def send(self, email: OutgoingEmail) -> str:
        self.sent.append(email)
        return f"<{len(self.sent)}@fake>"


class FakeFaxSender(FaxSender):
    name = "fake-fax"

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, str]] = []

    async def send(self, number: str, tiff: bytes, *, title: str) -> str:
        self.sent.append((number, tiff, title))
        return str(len(self.sent))


class TicketInbox(InboundHandler):
    """A receiving context that threads replies onto the tickets it knows."""

    def __init__(self, tickets: set[str], *, broken: bool = False) -> None:
        self.tickets = tickets
        self.broken = broken
        self.threaded: dict[str, list[InboundEmail]] = {}
        self.new: list[InboundEmail] = []

    async def handle_email(self, email: InboundEmail) -> HandlingOutcome:
        if self.broken:
            raise RuntimeError("ticket store unavailable")
        if email.ticket_token is None:
            self.new.append(email)
            return HandlingOutcome(InboundStatus.HANDLED, "new ticket")
        if email.ticket_token not in self.tickets:
            return HandlingOutcome(InboundStatus.UNKNOWN_TICKET, f"no ticket {email.ticket_token}")
        self.threaded.setdefault(email.ticket_token, []).append(email)
        return HandlingOutcome(InboundStatus.HANDLED, f"threaded to {email.ticket_token}")
