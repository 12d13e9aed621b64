"""Real calls from baresip to Careline: greeting, RFC 4733 and in-band digits, recording."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
import uvloop

from careline.telephony.calls import Call
from careline.telephony.media import RecordingResult
from tests.integration.telephony.phones import (
    caller_account,
    frames_with,
    phone,
    prompt,
    voice_server,
)
from tests.support.baresip import dtmf_tones, read_wav, tone

pytestmark = pytest.mark.sip
GREETING_HZ = 440.0
GREETING_SECONDS = 1.2
CALLER_HEARD: list[np.ndarray] = []


def reply_hz(digit: str) -> float:
    return 500.0 + 100.0 * int(digit)


def digit_flow(received: list[str], max_digits: int) -> object:
    async def flow(call: Call) -> None:
        await call.answer()
        await call.play(prompt(tone(GREETING_HZ, GREETING_SECONDS), "greeting"), barge_in=False)
        digits = await call.collect(max_digits=max_digits, timeout=6.0, terminator="#")
        received.append(digits)
        for digit in digits:
            await call.play(prompt(tone(reply_hz(digit), 0.4)), barge_in=False)
        await call.hangup()

    return flow


def test_caller_hears_greeting_and_rfc4733_digits_reach_the_flow(tmp_path: Path) -> None:
    received: list[str] = []
    uvloop.run(_rfc4733_call(tmp_path, received))
    assert received == ["37"]
    heard = CALLER_HEARD.pop()
    greeting_seconds = frames_with(heard, GREETING_HZ) * 0.02
    assert greeting_seconds == pytest.approx(GREETING_SECONDS, abs=0.25)
    assert frames_with(heard, reply_hz("3")) >= 10
    assert frames_with(heard, reply_hz("7")) >= 10
    assert frames_with(heard, reply_hz("5")) == 0


async def _rfc4733_call(tmp_path: Path, received: list[str]) -> None:
    async with (
        voice_server(digit_flow(received, 4)) as server,  # type: ignore[arg-type]
        phone(tmp_path, "caller", caller_account(), np.zeros(8000 * 8)) as caller,
    ):
        await caller.dial(f"sip:100@127.0.0.1:{server.port}")
        await caller.wait_event("CALL_ESTABLISHED")
        await asyncio.sleep(GREETING_SECONDS + 0.3)
        await caller.send_digits("37#")
        await caller.wait_event("CALL_CLOSED", timeout=8)
    CALLER_HEARD.append(caller.heard())


def test_inband_dtmf_tones_reach_the_flow(tmp_path: Path) -> None:
    received: list[str] = []
    uvloop.run(_inband_call(tmp_path, received))
    assert received == ["482"]
    assert frames_with(CALLER_HEARD.pop(), reply_hz("8")) >= 10


async def _inband_call(tmp_path: Path, received: list[str]) -> None:
    audio = dtmf_tones("482", lead=GREETING_SECONDS + 0.8)
    async with (
        voice_server(digit_flow(received, 3)) as server,  # type: ignore[arg-type]
        phone(tmp_path, "caller", caller_account(), audio) as caller,
    ):
        await caller.dial(f"sip:100@127.0.0.1:{server.port}")
        await caller.wait_event("CALL_ESTABLISHED")
        await caller.wait_event("CALL_CLOSED", timeout=12)
    CALLER_HEARD.append(caller.heard())


def test_recording_of_the_caller_matches_what_was_sent(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    sent = (rng.standard_normal(8000 * 4) * 4000).clip(-20000, 20000).astype(np.int16)
    results: list[RecordingResult] = []
    uvloop.run(_recorded_call(tmp_path, sent, results))
    (result,) = results
    assert result.ended_by == "max"
    recorded = read_wav(result.path).astype(np.float64)
    assert len(recorded) == pytest.approx(16000, abs=400)
    assert _best_correlation(recorded[2000:10000], sent.astype(np.float64)) > 0.8


async def _recorded_call(tmp_path: Path, sent: np.ndarray, results: list[RecordingResult]) -> None:

    async def flow(call: Call) -> None:
        await call.answer()
        results.append(await call.record(tmp_path / "message.wav", max_seconds=2.0, beep=False))
        await call.hangup()

    async with (
        voice_server(flow) as server,
        phone(tmp_path, "caller", caller_account(), sent) as caller,
    ):
        await caller.dial(f"sip:100@127.0.0.1:{server.port}")
        await caller.wait_event("CALL_CLOSED", timeout=8)


def _best_correlation(part: np.ndarray, whole: np.ndarray) -> float:
    """Return the highest normalised correlation of part against any offset of whole."""
    size = len(whole) + len(part)
    spectrum = np.fft.rfft(whole, size) * np.conj(np.fft.rfft(part, size))
    scores = np.fft.irfft(spectrum, size)[: len(whole) - len(part)]
    offset = int(np.argmax(scores))
    window = whole[offset : offset + len(part)]
    return float(np.corrcoef(part, window)[0, 1])
