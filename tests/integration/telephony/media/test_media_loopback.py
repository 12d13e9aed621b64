"""Media engines exchanging RTP over real loopback UDP sockets."""

from __future__ import annotations

import asyncio
import random
import socket
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio
import uvloop

from careline.telephony.media import Codec, MediaEngine, MediaStream, NoFreeRtpPort, Prompt, bridge

HOST = "127.0.0.1"


def port_range() -> tuple[int, int]:
    base = random.randrange(20000, 60000, 2)
    return base, base + 200


def sweep(seconds: float) -> Prompt:
    """A rising tone with a little noise: correlates at exactly one lag."""
    t = np.arange(int(seconds * 8000)) / 8000
    rng = np.random.default_rng(3)
    signal = 9000 * np.sin(2 * np.pi * (300 * t + 700 * t**2)) + rng.normal(0, 500, len(t))
    return Prompt(signal.astype(np.int16), name="sweep")


def connect(
    a: MediaStream, b: MediaStream, codec: Codec = Codec.PCMU, dtmf: int | None = 101
) -> None:
    pt = codec.static_payload_type
    a.configure(remote=(HOST, b.local_port), codec=codec, payload_type=pt, dtmf_payload_type=dtmf)
    b.configure(remote=(HOST, a.local_port), codec=codec, payload_type=pt, dtmf_payload_type=dtmf)


@pytest_asyncio.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    media = MediaEngine(HOST, *port_range(), rtp_timeout=5.0)
    await media.start()
    yield media
    await media.stop()


def share_heard(heard: np.ndarray, sent: np.ndarray, chunk: int = 800) -> float:
    """Return the share of 100 ms pieces of ``sent`` found almost intact in ``heard``.

    Piece by piece, so a packet lost to a loaded test machine costs one piece, not the
    alignment of everything after it.
    """
    energy = np.concatenate([[0.0], np.cumsum(heard**2)])
    found = 0
    pieces = [sent[i : i + chunk] for i in range(0, len(sent) - chunk + 1, chunk)]
    for piece in pieces:
        window_norms = np.sqrt(energy[chunk:] - energy[:-chunk]) + 1e-9
        score = np.correlate(heard, piece, "valid") / (window_norms * np.linalg.norm(piece))
        found += bool(score.max() > 0.97)
    return found / len(pieces)


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)


@pytest.mark.asyncio
async def test_recording_correlates_with_what_was_played(
    engine: MediaEngine, tmp_path: Path
) -> None:
    caller, server = await engine.open_stream(), await engine.open_stream()
    connect(caller, server, Codec.PCMA)
    prompt = sweep(1.0)
    recording = asyncio.create_task(server.record(tmp_path / "msg.wav", max_seconds=1.6))
    assert await caller.play(prompt) is None
    result = await recording
    assert result.ended_by == "max"
    assert result.seconds == pytest.approx(1.6)
    assert share_heard(read_wav(result.path), prompt.pcm.astype(np.float64)) >= 0.9


@pytest.mark.asyncio
async def test_rfc4733_key_arrives_once_and_interrupts_a_prompt(engine: MediaEngine) -> None:
    caller, server = await engine.open_stream(), await engine.open_stream()
    connect(caller, server)
    playing = asyncio.create_task(server.play(sweep(5.0), barge_in=True))
    await asyncio.sleep(0.2)
    caller.send_dtmf("3")
    assert await asyncio.wait_for(playing, 2.0) == "3"
    caller.send_dtmf("#")
    assert await server.next_digit(2.0) == "#"
    assert await server.next_digit(0.4) is None


@pytest.mark.asyncio
async def test_in_band_tones_are_detected_once(engine: MediaEngine) -> None:
    caller, server = await engine.open_stream(), await engine.open_stream()
    connect(caller, server, Codec.PCMA, dtmf=None)
    for key in "4*99":  # the same key twice: the detector must re-arm between presses
        caller.send_dtmf(key)
    keys = [await server.next_digit(2.0) for _ in range(4)]
    assert keys == ["4", "*", "9", "9"]
    assert await server.next_digit(0.4) is None


@pytest.mark.asyncio
async def test_silent_remote_times_out(tmp_path: Path) -> None:
    media = MediaEngine(HOST, *port_range(), rtp_timeout=0.4)
    await media.start()
    try:
        stream = await media.open_stream()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mute:
            mute.bind((HOST, 0))
            mute.settimeout(2.0)
            remote = mute.getsockname()
            stream.configure(
                remote=remote, codec=Codec.PCMU, payload_type=0, dtmf_payload_type=None
            )
            recording = asyncio.create_task(stream.record(tmp_path / "r.wav", max_seconds=10))
            assert await asyncio.wait_for(stream.wait_closed(), 3.0) == "rtp_timeout"
            assert (await recording).ended_by == "hangup"
            assert mute.recv(2048)[1] & 0x7F == 0  # it was sending to the remote meanwhile
        assert media.active_streams == 0
        assert await stream.next_digit(1.0) is None
    finally:
        await media.stop()


@pytest.mark.asyncio
async def test_malformed_datagrams_are_dropped_and_media_goes_on(engine: MediaEngine) -> None:
    caller, server = await engine.open_stream(), await engine.open_stream()
    connect(caller, server)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker:
        for junk in (b"", b"\x80", b"\x40" + bytes(200), b"\xbf" + bytes(11), b"\x90" + bytes(30)):
            attacker.sendto(junk, (HOST, server.local_port))
            attacker.sendto(junk, (HOST, server.local_port + 1))
        await asyncio.sleep(0.2)
    caller.send_dtmf("6")
    assert await server.next_digit(2.0) == "6"
    assert server.core.malformed_rtp >= 3
    assert server.core.malformed_rtcp >= 4


@pytest.mark.asyncio
async def test_bridge_relays_and_transcodes_between_engines(tmp_path: Path) -> None:
    phones = MediaEngine(HOST, *port_range())
    switch = MediaEngine(HOST, *port_range())
    for media in (phones, switch):
        await media.start()
    try:
        patient, doctor = await phones.open_stream(), await phones.open_stream()
        leg_patient, leg_doctor = await switch.open_stream(), await switch.open_stream()
        connect(patient, leg_patient, Codec.PCMA)
        connect(doctor, leg_doctor, Codec.PCMU, dtmf=96)
        bridge(leg_patient, leg_doctor)
        prompt = sweep(0.8)
        recording = asyncio.create_task(doctor.record(tmp_path / "d.wav", max_seconds=1.4))
        await patient.play(prompt)
        patient.send_dtmf("2")
        assert await doctor.next_digit(2.0) == "2"
        heard = read_wav((await recording).path)
        assert share_heard(heard, prompt.pcm.astype(np.float64)) >= 0.9
    finally:
        await switch.stop()
        await phones.stop()


async def exchange_under_uvloop() -> tuple[str | None, str, int]:
    media = MediaEngine(HOST, *port_range())
    await media.start()
    try:
        caller, server = await media.open_stream(), await media.open_stream()
        connect(caller, server, Codec.PCMA)
        caller.start_music(sweep(0.3))
        await asyncio.sleep(0.3)
        caller.send_dtmf("8")
        key = await server.next_digit(2.0)
        caller.close()
        reason = await caller.wait_closed()
        return key, reason, media.active_streams
    finally:
        await media.stop()


def test_engine_runs_on_uvloop() -> None:
    run: Callable[[Awaitable[tuple[str | None, str, int]]], tuple[str | None, str, int]]
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert isinstance(runner.get_loop(), uvloop.Loop)
        run = runner.run  # type: ignore[assignment]
        assert run(exchange_under_uvloop()) == ("8", "closed", 1)


@pytest.mark.asyncio
async def test_ports_are_even_pairs_and_freed_on_close() -> None:
    base, _ = port_range()
    media = MediaEngine(HOST, base, base + 3)  # room for two pairs
    await media.start()
    try:
        first, second = await media.open_stream(), await media.open_stream()
        assert {first.local_port, second.local_port} == {base, base + 2}
        with pytest.raises(NoFreeRtpPort):
            await media.open_stream()
        first.close()
        await asyncio.sleep(0.05)  # the loop closes the sockets on its next turns
        third = await media.open_stream()
        assert third.local_port == first.local_port
        assert media.active_streams == 2
    finally:
        await media.stop()
    assert media.active_streams == 0


@pytest.mark.asyncio
async def test_a_failing_stream_is_closed_and_the_others_play_on(engine: MediaEngine) -> None:
    broken, caller, server = [await engine.open_stream() for _ in range(3)]
    connect(caller, server)
    # A fault in its tick: a payload type no RTP header can carry fails to pack.
    broken.configure(remote=(HOST, 9), codec=Codec.PCMU, payload_type=300, dtmf_payload_type=None)
    assert await asyncio.wait_for(broken.wait_closed(), 2.0) == "closed"
    caller.send_dtmf("0")
    assert await server.next_digit(2.0) == "0"
