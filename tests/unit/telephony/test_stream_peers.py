"""A voice worker forgets a TCP phone whose connection through the front is long gone.

Its address may come back as a UDP phone's, which must then be answered over UDP.
"""

from __future__ import annotations

from typing import Any

import pytest

from careline.telephony.server import VoiceServer
from tests.unit.telephony.sipkit import request_text

PHONE = ("10.0.0.7", 40123)


class _StreamWire:
    """The relay of a worker that carries UDP and TCP phones: keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, Any]] = []
        self.streamed: list[tuple[bytes, Any]] = []

    def sendto(self, payload: bytes, peer: Any = None) -> None:
        self.sent.append((payload, peer))

    def send_stream(self, payload: bytes, peer: Any) -> None:
        self.streamed.append((payload, peer))


@pytest.mark.asyncio
async def test_a_tcp_phone_long_gone_is_answered_over_udp_again() -> None:
    server = VoiceServer()
    wire = _StreamWire()
    server.stack.adopt(wire, ("127.0.0.1", 5060))
    server.stack.stream_received(request_text("OPTIONS", branch="z9hG4bKt1"), PHONE)
    assert len(wire.streamed) == 1  # answered on its TCP connection
    assert wire.sent == []
    idle = max(server.max_call_seconds, server.registrar.max_expires) + 600
    server.stack.prune_stream_peers(server.stack.now + idle / 2, idle)
    assert PHONE in server.stack.stream_peers  # heard of recently enough: kept
    server.stack.prune_stream_peers(server.stack.now + idle + 1, idle)
    server.stack.datagram_received(request_text("OPTIONS", branch="z9hG4bKu1"), PHONE)
    assert len(wire.streamed) == 1
    assert [p.startswith(b"SIP/2.0 200") for p, _ in wire.sent] == [True]  # now over UDP
