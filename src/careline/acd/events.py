"""The event bus port: call offered, answered, ended, agent state changed.

In-process publish/subscribe by default; a PostgreSQL LISTEN/NOTIFY adapter can take its
place when several nodes run, since subscribers only see these plain dataclasses.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CallQueued:
    call_id: str
    queue: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallOffered:
    """A call rings an agent: the agent's desk pops the caller's card."""

    call_id: str
    queue: str
    staff_id: int
    caller: str
    patient_id: int | None
    ivr_path: tuple[str, ...]
    language: str
    at: datetime
    callback_id: int | None = None


@dataclass(frozen=True, slots=True)
class CallAnswered:
    call_id: str
    queue: str
    staff_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class CallEnded:
    call_id: str
    queue: str
    staff_id: int | None
    outcome: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentStateChanged:
    staff_id: int
    status: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallbackOffered:
    callback_id: int
    queue: str
    staff_id: int
    number: str
    at: datetime


AcdEvent = CallQueued | CallOffered | CallAnswered | CallEnded | AgentStateChanged | CallbackOffered
Subscriber = Callable[[AcdEvent], None]


class EventBus(abc.ABC):
    """Port: deliver ACD events to every subscriber (desks, wallboards, other nodes)."""

    @abc.abstractmethod
    def publish(self, event: AcdEvent) -> None:
        """Hand an event to every subscriber."""

    @abc.abstractmethod
    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; return a function that removes it."""


@dataclass
class InProcessBus(EventBus):
    """Subscribers in this process, called synchronously in publishing order."""

    subscribers: list[Subscriber] = field(default_factory=list)

    def publish(self, event: AcdEvent) -> None:
        for subscriber in list(self.subscribers):
            try:
                subscriber(event)
            except Exception:  # noqa: BLE001 - one broken desk must not stop the others
                log.exception("acd_subscriber_failed", kind=type(event).__name__)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self.subscribers.append(subscriber)

        def remove() -> None:
            if subscriber in self.subscribers:
                self.subscribers.remove(subscriber)

        return remove


__all__ = [
    "AcdEvent",
    "AgentStateChanged",
    "CallAnswered",
    "CallEnded",
    "CallOffered",
    "CallQueued",
    "CallbackOffered",
    "EventBus",
    "InProcessBus",
    "Subscriber",
]
