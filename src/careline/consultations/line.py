"""Reach the doctor's private phone through the B2BUA and join the two calls.

Careline places the doctor's leg itself (``CallHost.dial_leg``) with the hospital's number
as caller ID, and relays media between the legs without touching the patient's dialog: no
re-INVITE, REFER or header ever carries the doctor's number towards the patient.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol, runtime_checkable

import structlog

from careline.telephony.bridge_recording import BridgeRecorder
from careline.telephony.calls import Call
from careline.telephony.media import Prompt, bridge, unbridge

log = structlog.get_logger(__name__)


class DoctorPhone(Protocol):
    """An answered call to the doctor: what the whisper needs."""

    async def play(self, prompt: Prompt, *, barge_in: bool = True) -> str | None: ...

    async def say(
        self, text: str, *, language: str | None = None, barge_in: bool = True
    ) -> str | None: ...

    async def collect(
        self, max_digits: int = 1, timeout: float = 5.0, terminator: str = "#"
    ) -> str: ...

    async def hangup(self) -> None: ...


@runtime_checkable
class ConsultLine(Protocol):
    """Port: ring one private number, and join the patient to an accepted doctor."""

    async def ring(self, number: str, *, ring_timeout: float) -> tuple[str, DoctorPhone | None]:
        """Return the dial status and, when answered, the doctor's call."""
        ...

    async def join(
        self, doctor: DoctorPhone, *, max_seconds: float, record_to: Path | None = None
    ) -> int:
        """Relay audio both ways until one side leaves or time is up; return seconds.

        With ``record_to`` both voices are written there as one WAV (8 kHz mono).
        """
        ...


class TelephonyConsultLine:
    """The ConsultLine of a real call on the voice server."""

    def __init__(self, call: Call) -> None:
        self.call = call

    async def ring(self, number: str, *, ring_timeout: float) -> tuple[str, DoctorPhone | None]:
        host = self.call.host
        status, _code, leg = await host.dial_leg(number, host.default_caller_id, ring_timeout)
        if leg is None:
            return status.value, None
        return status.value, Call(host, leg, direction="outbound", dialled=number)

    async def join(
        self, doctor: DoctorPhone, *, max_seconds: float, record_to: Path | None = None
    ) -> int:
        assert isinstance(doctor, Call)
        patient_leg, doctor_leg = self.call.leg, doctor.leg
        if patient_leg.ended.done() or doctor_leg.ended.done():
            return 0
        loop = asyncio.get_running_loop()
        started = loop.time()
        bridge(patient_leg.stream, doctor_leg.stream)
        # The bridge relays RTP without decoding it; the recorder taps both relayed directions.
        recorder = BridgeRecorder(patient_leg.stream, doctor_leg.stream) if record_to else None
        try:
            await asyncio.wait(
                {patient_leg.ended, doctor_leg.ended},
                timeout=max_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            unbridge(patient_leg.stream, doctor_leg.stream)
            if recorder is not None and record_to is not None:
                await _save(recorder, record_to)
        seconds = int(loop.time() - started + 0.5)
        if not doctor_leg.ended.done():
            doctor_leg.hangup("consultation_over")
        return seconds


async def _save(recorder: BridgeRecorder, path: Path) -> None:
    try:
        await recorder.save(path)
    except OSError as error:  # a full disk must not break the end of the call
        log.warning("consult_recording_failed", error=type(error).__name__)


def consult_line(call: object) -> ConsultLine | None:
    """The line for the IVR's call: the call itself if it is one (tests), else the B2BUA's."""
    if isinstance(call, ConsultLine):
        return call
    if isinstance(call, Call):
        return TelephonyConsultLine(call)
    return None
