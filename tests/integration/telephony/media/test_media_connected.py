"""A call's RTP socket follows the latched remote: connected, disconnected, never fatal."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from careline.telephony.media import Codec, MediaEngine, MediaStream
from tests.support.ports import free_port_range

HOST = "127.0.0.1"
EVENT_PT = 101


class Phone:
    """A raw UDP socket that speaks just enough RTP: PCMU frames and RFC 4733 keys."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.sock.settimeout(2.0)
        self.address: tuple[str, int] = self.sock.getsockname()
        self._seq = 100
        self._ts = 8000

    def _send(self, port: int, second: int, payload: bytes) -> None:
        header = struct.pack("!BBHII", 0x80, second, self._seq, self._ts, 0x1234)
        self.sock.sendto(header + payload, (HOST, port))
        self._seq += 1

    def talk(self, port: int, packets: int = 3) -> None:
        for _ in range(packets):
            self._send(port, 0, b"\xff" * 160)
            self._ts += 160

    def key(self, port: int, digit: int) -> None:
        """Send one RFC 4733 key press: a start packet and the end packet three times."""
        self._send(port, 0x80 | EVENT_PT, bytes([digit, 10, 0, 160]))
        for _ in range(3):
            self._send(port, EVENT_PT, bytes([digit, 0x80 | 10, 3, 32]))
        self._ts += 1000

    def heard_from(self, port: int) -> bool:
        """Return True once a datagram from Careline's ``port`` arrives."""
        while True:
            data, source = self.sock.recvfrom(2048)
            if source[1] == port and data:
                return True

    def close(self) -> None:
        self.sock.close()


@pytest_asyncio.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    media = MediaEngine(HOST, *free_port_range(20), rtp_timeout=5.0)
    await media.start()
    yield media
    await media.stop()


def configure(stream: MediaStream, remote: tuple[str, int]) -> None:
    stream.configure(remote=remote, codec=Codec.PCMU, payload_type=0, dtmf_payload_type=EVENT_PT)


async def until(condition: object, seconds: float = 2.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_latched_socket_is_connected_and_strangers_are_not_heard(
    engine: MediaEngine,
) -> None:
    stream = await engine.open_stream()
    phone, stranger = Phone(), Phone()
    try:
        configure(stream, phone.address)
        phone.talk(stream.local_port)
        await until(lambda: stream.core.latched)
        assert await asyncio.to_thread(phone.heard_from, stream.local_port)
        assert stream.rtp_socket is not None
        assert stream.rtp_socket.getpeername() == phone.address

        stranger.key(stream.local_port, 7)  # injected: never reaches the call
        phone.key(stream.local_port, 3)
        assert await stream.next_digit(2.0) == "3"
        assert await stream.next_digit(0.3) is None
    finally:
        phone.close()
        stranger.close()


@pytest.mark.asyncio
async def test_media_moved_by_reinvite_disconnects_and_latches_anew(engine: MediaEngine) -> None:
    stream = await engine.open_stream()
    old, new = Phone(), Phone()
    try:
        configure(stream, old.address)
        old.talk(stream.local_port)
        await until(lambda: stream.rtp_socket is not None and _peer(stream) == old.address)

        configure(stream, new.address)  # a re-INVITE names another address
        assert _peer(stream) is None  # at once: new sources must get through
        new.talk(stream.local_port)
        await until(lambda: _peer(stream) == new.address)
        assert await asyncio.to_thread(new.heard_from, stream.local_port)
        new.key(stream.local_port, 9)
        assert await stream.next_digit(2.0) == "9"
    finally:
        old.close()
        new.close()


@pytest.mark.asyncio
async def test_a_vanished_remote_does_not_end_the_stream(engine: MediaEngine) -> None:
    stream = await engine.open_stream()
    phone = Phone()
    configure(stream, phone.address)
    phone.talk(stream.local_port, packets=20)
    await until(lambda: _peer(stream) == phone.address)
    phone.close()  # each packet now draws an ICMP port unreachable on the connected socket
    sent = stream.core.packets_sent
    await asyncio.sleep(0.3)
    assert stream.core.packets_sent >= sent + 10  # the tick goes on sending
    assert stream.core.closed_reason is None
    assert stream in engine._streams
    # Each refused packet is counted, and the count outlives the stream (for /metrics).
    failures = engine.send_failures
    assert failures > 0
    stream.close()
    assert stream not in engine._streams
    assert engine.send_failures >= failures


def _peer(stream: MediaStream) -> tuple[str, int] | None:
    assert stream.rtp_socket is not None
    try:
        peer: tuple[str, int] = stream.rtp_socket.getpeername()
    except OSError:
        return None
    return peer
