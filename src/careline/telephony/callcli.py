"""``careline call URI``: place a test call, key digits, record what is heard, print events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from careline.telephony.calls import Call, CallEvent
from careline.telephony.outbound import DialStatus
from careline.telephony.server import VoiceServer

if TYPE_CHECKING:
    from careline.config import Settings

PAUSE = ","
PAUSE_SECONDS = 1.0
KEY_GAP_SECONDS = 0.3


@dataclass
class CallReport:
    """What happened on a test call."""

    status: DialStatus
    sip_code: int
    events: list[str] = field(default_factory=list)
    recording: Path | None = None
    recorded_seconds: float = 0.0


def digit_plan(digits: str) -> list[str]:
    """Split "1,2#" into keys and pauses: ["1", ",", "2", "#"]."""
    allowed = set("0123456789*#ABCD" + PAUSE)
    plan = [char for char in digits.replace(" ", "") if char in allowed]
    if len(plan) != len(digits.replace(" ", "")):
        raise ValueError("digits may hold 0-9 * # A-D and ',' for a pause")
    return plan


async def _key_in(call: Call, plan: list[str]) -> None:
    await asyncio.sleep(PAUSE_SECONDS)  # let the far end start its greeting
    for item in plan:
        if item == PAUSE:
            await asyncio.sleep(PAUSE_SECONDS)
        else:
            call.send_dtmf(item)
            await asyncio.sleep(KEY_GAP_SECONDS)


async def _refuse(call: Call) -> None:
    await call.hangup()


async def call_and_listen(
    uri: str,
    *,
    digits: str = "",
    record: Path | None = None,
    seconds: float = 20.0,
    caller_id: str = "careline",
    host: str = "127.0.0.1",
    rtp_port_min: int = 30000,
    rtp_port_max: int = 30999,
    ring_timeout: float = 30.0,
    echo: Callable[[str], None] = print,
) -> CallReport:
    """Call uri, send the digits, hang up `seconds` after the answer unless the far end did."""
    plan = digit_plan(digits)
    server = VoiceServer(
        host=host,
        port=0,
        rtp_port_min=rtp_port_min,
        rtp_port_max=rtp_port_max,
        entry_flow=_refuse,
        trusted_sources=frozenset(),
    )
    await server.start()
    try:
        outcome = await server.dial(uri, caller_id=caller_id, ring_timeout=ring_timeout)
        report = CallReport(outcome.status, outcome.sip_code)
        echo(f"{outcome.status.value} ({outcome.sip_code})")
        if outcome.call is not None:
            await _converse(outcome.call, plan, record, seconds, report, echo)
        return report
    finally:
        await server.stop()


async def place_test_call(
    settings: Settings,
    uri: str,
    *,
    digits: str = "",
    record: Path | None = None,
    seconds: float = 20.0,
    echo: Callable[[str], None] = print,
) -> int:
    """Run ``careline call``: return 0 when the call was answered, 1 otherwise."""
    host = settings.sip_host if settings.sip_host not in ("", "0.0.0.0") else "127.0.0.1"
    # RTP ports next to, never inside, the range a running server on this host uses.
    low = settings.rtp_port_max + 2
    if low + 200 > 65535:
        low = settings.rtp_port_min - 202
    report = await call_and_listen(
        uri,
        digits=digits,
        record=record,
        seconds=seconds,
        caller_id=settings.trunk_caller_id or "careline",
        host=host,
        rtp_port_min=low,
        rtp_port_max=low + 200,
        echo=echo,
    )
    return 0 if report.status == DialStatus.ANSWERED else 1


async def _converse(
    call: Call,
    plan: list[str],
    record: Path | None,
    seconds: float,
    report: CallReport,
    echo: Callable[[str], None],
) -> None:
    def show(event: CallEvent) -> None:
        line = f"{event.kind.value} {event.detail}".strip()
        report.events.append(line)
        echo(line)

    call.on_event(show)
    loop = asyncio.get_running_loop()
    started = loop.time()
    recording = None
    if record is not None:
        recording = asyncio.ensure_future(
            call.leg.stream.record(
                record, max_seconds=seconds + 5, silence_seconds=seconds + 5, stop_digits=""
            )
        )
    await _key_in(call, plan)
    try:
        left = max(0.1, seconds - (loop.time() - started))
        await asyncio.wait_for(call.wait_ended(), left)
    except TimeoutError:
        await call.hangup()
    if recording is not None:
        result = await recording
        report.recording, report.recorded_seconds = result.path, result.seconds
        echo(f"recorded {result.seconds:.1f} s to {result.path}")


__all__ = ["CallReport", "call_and_listen", "digit_plan", "place_test_call"]
