"""The call API every IVR flow is written against.

A flow is ``async def flow(call: Call) -> None``. Each operation is a coroutine; when the
caller hangs up (BYE, CANCEL, RTP timeout, call too long) the pending operation raises
:class:`CallEnded`, which flows normally let propagate: the server catches it. Digits typed
during a prompt interrupt it (barge-in) and are kept for the next ``collect``.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from careline.kit.errors import CarelineError
from careline.telephony.b2bua import Bridge, BridgeAction, BridgeEvent
from careline.telephony.legs import InboundLeg, Leg
from careline.telephony.media import Prompt, RecordingResult, bridge, unbridge
from careline.telephony.outbound import DialStatus

T = TypeVar("T")
Speaker = Callable[[str, str], Awaitable[Prompt]]
Flow = Callable[["Call"], Awaitable[None]]
_RECORD_GRACE = 1.0
_ACK_WAIT = 32.0  # 64*T1: an ACK that has not come by then never will


class CallEnded(Exception):  # noqa: N818 - reads as an event in flow code
    """The call is over; the operation that was waiting cannot complete."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TelephonyError(CarelineError):
    status_code = 503
    error_id = "telephony_unavailable"


class CallEventKind(StrEnum):
    ANSWERED = "answered"
    DTMF = "dtmf"
    BRIDGED = "bridged"
    UNBRIDGED = "unbridged"
    HUNG_UP = "hung_up"
    RTP_TIMEOUT = "rtp_timeout"


@dataclass(frozen=True)
class CallEvent:
    kind: CallEventKind
    detail: str = ""


@dataclass(frozen=True)
class BridgeResult:
    """How a bridge attempt ended: the dial outcome and who left first."""

    status: DialStatus
    sip_code: int
    ended_by: str = ""


@dataclass(frozen=True)
class DialOutcome:
    """The result of an outbound call; ``call`` is set only when it was answered."""

    status: DialStatus
    sip_code: int
    call: Call | None = None


class QueuePort(abc.ABC):
    """Port: hand a caller to an agent queue (the ACD implements it)."""

    @abc.abstractmethod
    async def enqueue(self, call: Call, queue: str) -> None:
        """Keep the caller waiting in the queue until an agent takes the call."""


class CallHost(Protocol):
    """What a call needs from the voice server."""

    language: str
    speaker: Speaker | None
    queue: QueuePort | None
    default_caller_id: str

    async def dial_leg(
        self,
        target: str,
        caller_id: str,
        ring_timeout: float,
        register: Callable[[Leg], None] | None = None,
    ) -> tuple[DialStatus, int, Leg | None]: ...


class Call:
    """One party on the phone with Careline."""

    def __init__(
        self, host: CallHost, leg: Leg, *, direction: str, caller: str = "", dialled: str = ""
    ) -> None:
        self.host = host
        self.leg = leg
        self.direction = direction
        self.caller = caller  # private: never logged above debug
        self.dialled = dialled
        self.language = host.language
        self.events: list[CallEvent] = []
        self._pending_digits = ""
        self._listeners: list[Callable[[CallEvent], None]] = []
        self.bridged_to: Leg | None = None  # the other party's leg while bridged
        leg.ended.add_done_callback(self._on_leg_ended)

    @property
    def id(self) -> str:
        return self.leg.call_id

    @property
    def is_active(self) -> bool:
        return not self.leg.ended.done()

    def on_event(self, listener: Callable[[CallEvent], None]) -> None:
        """Call listener for every later event (hung up, DTMF, RTP timeout...)."""
        self._listeners.append(listener)

    def _emit(self, kind: CallEventKind, detail: str = "") -> None:
        event = CallEvent(kind, detail)
        self.events.append(event)
        for listener in self._listeners:
            listener(event)

    def _on_leg_ended(self, future: asyncio.Future[str]) -> None:
        reason = future.result() if not future.cancelled() else "cancelled"
        kind = CallEventKind.RTP_TIMEOUT if reason == "rtp_timeout" else CallEventKind.HUNG_UP
        self._emit(kind, reason)

    async def _guard(self, awaitable: Awaitable[T]) -> T:
        if not self.is_active:
            raise CallEnded(self.leg.end_reason)
        task = asyncio.ensure_future(awaitable)
        racing: list[asyncio.Future[Any]] = [task, self.leg.ended]
        await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        task.cancel()
        raise CallEnded(self.leg.end_reason)

    async def answer(self) -> None:
        """Pick up the call (200 OK); a no-op once answered."""
        if not self.is_active:
            raise CallEnded(self.leg.end_reason)
        if isinstance(self.leg, InboundLeg) and not self.leg.is_up:
            self.leg.answer()
            self._emit(CallEventKind.ANSWERED)
        if not self.leg.media_ready.is_set():
            # A delayed offer: media can start once the ACK has brought the answer.
            try:
                await self._guard(asyncio.wait_for(self.leg.media_ready.wait(), _ACK_WAIT))
            except TimeoutError:
                self.leg.hangup("no_media")
                raise CallEnded("no_media") from None

    async def play(self, prompt: Prompt, *, barge_in: bool = True) -> str | None:
        """Play a prompt; return the digit that interrupted it, if any."""
        await self.answer()
        if barge_in and self._pending_digits:
            return self._pending_digits[0]
        digit = await self._guard(self.leg.stream.play(prompt, barge_in=barge_in))
        if digit:
            self._pending_digits += digit
            self._emit(CallEventKind.DTMF, digit)
        return digit

    async def say(
        self, text: str, *, language: str | None = None, barge_in: bool = True
    ) -> str | None:
        """Speak text through the injected speaker; return an interrupting digit."""
        if self.host.speaker is None:
            raise TelephonyError("no speaker configured")
        prompt = await self.host.speaker(text, language or self.language)
        return await self.play(prompt, barge_in=barge_in)

    async def collect(
        self, max_digits: int = 1, timeout: float = 5.0, terminator: str = "#"
    ) -> str:
        """Gather up to max_digits keys; stop at the terminator or after timeout of silence."""
        await self.answer()
        digits = ""
        while len(digits) < max_digits:
            if self._pending_digits:
                digit: str | None = self._pending_digits[0]
                self._pending_digits = self._pending_digits[1:]
            else:
                digit = await self._guard(self.leg.stream.next_digit(timeout))
                if digit is not None:
                    self._emit(CallEventKind.DTMF, digit)
            if digit is None or (terminator and digit in terminator):
                break
            digits += digit
        return digits

    async def record(
        self,
        path: Path,
        *,
        max_seconds: float = 60.0,
        silence_seconds: float = 5.0,
        stop_digits: str = "#",
        beep: bool = True,
    ) -> RecordingResult:
        """Record the caller to a WAV file; a hang-up ends the recording, it is kept."""
        await self.answer()
        if beep:
            await self.play(_beep(), barge_in=False)
        task = asyncio.ensure_future(
            self.leg.stream.record(
                path,
                max_seconds=max_seconds,
                silence_seconds=silence_seconds,
                stop_digits=stop_digits,
            )
        )
        racing: list[asyncio.Future[Any]] = [task, self.leg.ended]
        await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            # The media engine finishes a recording on close; give it a moment to write.
            done, _ = await asyncio.wait({task}, timeout=_RECORD_GRACE)
            if not done:
                task.cancel()
                raise CallEnded(self.leg.end_reason)
        return task.result()

    async def bridge(
        self, target: str, *, caller_id: str | None = None, ring_timeout: float = 30.0
    ) -> BridgeResult:
        """Ring target (extension or number) and connect the caller to it until one leaves."""
        await self.answer()
        state = Bridge()
        other: list[Leg] = []
        state.apply(BridgeEvent.DIAL)

        def caller_left(_: asyncio.Future[str]) -> None:
            if not state.finished:
                self._perform(state.apply(BridgeEvent.CALLER_HUNG_UP), other)

        self.leg.ended.add_done_callback(caller_left)
        try:
            status, code, leg = await self.host.dial_leg(
                target, caller_id or self.host.default_caller_id, ring_timeout, other.append
            )
            if state.finished:  # the caller left while it rang
                if leg is not None:
                    leg.hangup("caller_hung_up")
                raise CallEnded(self.leg.end_reason)
            if leg is None:
                state.apply(BridgeEvent.CALLEE_FAILED)
                return BridgeResult(status, code)
            self.bridged_to = leg
            self._perform(state.apply(BridgeEvent.CALLEE_ANSWERED), other)
            await asyncio.wait({leg.ended, self.leg.ended}, return_when=asyncio.FIRST_COMPLETED)
            if not state.finished:
                self._perform(state.apply(BridgeEvent.CALLEE_HUNG_UP), other)
            return BridgeResult(status, code, "callee" if self.is_active else "caller")
        finally:
            self.bridged_to = None
            self.leg.ended.remove_done_callback(caller_left)

    def _perform(self, actions: tuple[BridgeAction, ...], other: list[Leg]) -> None:
        for action in actions:
            match action:
                case BridgeAction.CONNECT_MEDIA:
                    bridge(self.leg.stream, other[0].stream)
                    self._emit(CallEventKind.BRIDGED)
                case BridgeAction.DISCONNECT_MEDIA:
                    unbridge(self.leg.stream, other[0].stream)
                    self._emit(CallEventKind.UNBRIDGED)
                case BridgeAction.CANCEL_CALLEE | BridgeAction.HANG_UP_CALLEE:
                    for leg in other:
                        leg.hangup("caller_hung_up")
                case _:
                    pass

    def send_dtmf(self, digits: str) -> None:
        """Queue key presses to the other party as RFC 4733 events."""
        if not self.is_active:
            raise CallEnded(self.leg.end_reason)
        for digit in digits:
            self.leg.stream.send_dtmf(digit)

    async def transfer_to_queue(self, queue: str) -> None:
        """Hand the caller to an agent queue (needs a QueuePort on the server)."""
        if self.host.queue is None:
            raise TelephonyError("no agent queue configured")
        await self.answer()
        await self.host.queue.enqueue(self, queue)

    async def hangup(self) -> None:
        """End the call from Careline's side."""
        self.leg.hangup("local")

    async def wait_ended(self) -> str:
        """Wait until the call is over; return why it ended."""
        return await asyncio.shield(self.leg.ended)


@cache
def _beep() -> Prompt:
    samples = np.arange(int(8000 * 0.25))
    tone = (np.sin(2 * np.pi * 1000 * samples / 8000) * 8000).astype(np.int16)
    return Prompt(pcm=tone, name="beep")


__all__ = [
    "BridgeResult",
    "Call",
    "CallEnded",
    "CallEvent",
    "CallEventKind",
    "CallHost",
    "DialOutcome",
    "Flow",
    "QueuePort",
    "Speaker",
    "TelephonyError",
]
