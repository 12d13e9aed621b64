"""Pure model of outgoing messages: states, transitions, retry schedule, rate limit, tokens."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    FAX = "fax"


class MessageState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


class InboundStatus(StrEnum):
    """What became of a received message; every one is stored whatever the outcome."""

    RECEIVED = "received"
    HANDLED = "handled"
    MALFORMED = "malformed"
    UNKNOWN_TICKET = "unknown_ticket"
    HANDLER_FAILED = "handler_failed"


def can_move(previous: MessageState, current: MessageState) -> bool:
    """Tell whether a message may go from ``previous`` to ``current``."""
    match (previous, current):
        case (MessageState.QUEUED, MessageState.SENT | MessageState.FAILED):
            return True
        case (MessageState.SENT, MessageState.DELIVERED | MessageState.FAILED):
            return True
        # A receipt can overtake the submit response on a busy link.
        case (MessageState.QUEUED, MessageState.DELIVERED):
            return True
        case _:
            return False


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One message to a patient on one channel and what has become of it."""

    id: int
    channel: Channel
    recipient: str
    subject: str
    body: str
    state: MessageState
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None = None
    template: str | None = None
    template_params: tuple[str, ...] = ()
    language: str = "zh-CN"
    provider: str | None = None
    provider_message_id: str | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: 30 s, 60 s, 120 s ... capped, at most ``max_attempts`` tries."""

    max_attempts: int = 6
    first_delay_seconds: float = 30.0
    max_delay_seconds: float = 3600.0

    def delay_after(self, attempts: int) -> timedelta:
        """Return the wait before the next try after ``attempts`` failed tries."""
        seconds = self.first_delay_seconds * (2 ** max(0, attempts - 1))
        return timedelta(seconds=min(seconds, self.max_delay_seconds))

    def gives_up_after(self, attempts: int) -> bool:
        """Tell whether ``attempts`` failed tries are the last."""
        return attempts >= self.max_attempts


@dataclass(slots=True)
class TokenBucket:
    """A sending rate limit: ``rate`` messages a second on average, bursts up to ``capacity``.

    Driven by a monotonic reading passed in, so tests move time by hand.
    """

    rate: float
    capacity: float
    tokens: float = field(default=-1.0)
    updated: float | None = None

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.capacity < 1:
            raise ValueError("a token bucket needs a positive rate and a capacity of at least 1")
        if self.tokens < 0:
            self.tokens = self.capacity

    def _refill(self, now: float) -> None:
        if self.updated is not None and now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now if self.updated is None else max(now, self.updated)

    def try_take(self, now: float, count: float = 1.0) -> bool:
        """Take ``count`` tokens if there are enough; tell whether they were taken."""
        self._refill(now)
        if self.tokens >= count:
            self.tokens -= count
            return True
        return False

    def wait_time(self, now: float, count: float = 1.0) -> float:
        """Return the seconds until ``count`` tokens will be available."""
        self._refill(now)
        missing = count - self.tokens
        return 0.0 if missing <= 0 else missing / self.rate


# "[#202611250042]" in a subject; NFKC first so full-width ［＃…］ typed by Chinese input
# methods matches as well.
_TICKET_TOKEN = re.compile(r"\[#\s*(\d{12})\s*\]")


def find_ticket_token(subject: str) -> str | None:
    """Return the 12-digit ticket number tagged in a subject line, or None."""
    match = _TICKET_TOKEN.search(unicodedata.normalize("NFKC", subject))
    return match.group(1) if match else None


def tag_subject(subject: str, ticket_number: str) -> str:
    """Add the ticket token to a subject so replies thread back to the ticket."""
    if find_ticket_token(subject) == ticket_number:
        return subject
    return f"{subject} [#{ticket_number}]"
