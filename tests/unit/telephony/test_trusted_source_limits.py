"""The source that carries the line's calls is never shut out as a scanner.

A load of 200 callers from one trunk (or SIPp) is ~60 requests a second from one address:
well past the per-source token bucket. Blocking that address made every voice worker drop
every INVITE for ``block_seconds``; untrusted sources must still be slowed and blocked.
"""

from __future__ import annotations

from typing import Any

import pytest

from careline.telephony.server import VoiceServer
from careline.telephony.sip.ratelimit import RateLimiter
from careline.telephony.workers import exempt_sources
from tests.unit.telephony.sipkit import request_text

TRUNK = ("10.0.0.5", 5060)
SCANNER = ("203.0.113.9", 5060)
FLOOD = 300  # five times the bucket's burst, at one instant


class _Wire:
    """Stands in for the worker's relay socket: keeps what the server sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, Any]] = []

    def sendto(self, payload: bytes, peer: Any = None) -> None:
        self.sent.append((payload, peer))


def _answered(server: VoiceServer, source: tuple[str, int], count: int, prefix: str) -> int:
    """Send ``count`` OPTIONS from ``source`` at one instant; return how many got a 200."""
    wire = _Wire()
    server.stack.adopt(wire, ("127.0.0.1", 5060))
    for n in range(count):
        server.stack.datagram_received(
            request_text("OPTIONS", branch=f"z9hG4bK{prefix}{n}", call_id=f"{prefix}{n}@x"),
            source,
        )
    return sum(payload.startswith(b"SIP/2.0 200") for payload, _ in wire.sent)


@pytest.mark.asyncio
async def test_trusted_trunk_is_answered_through_a_flood() -> None:
    server = VoiceServer(trusted_sources=frozenset({TRUNK[0]}))
    assert _answered(server, TRUNK, FLOOD, "a") == FLOOD
    assert not server.limiter.is_blocked(TRUNK[0], server.stack.now)
    assert _answered(server, TRUNK, 1, "b") == 1  # still heard after the flood


@pytest.mark.asyncio
async def test_untrusted_flood_is_still_blocked() -> None:
    server = VoiceServer(trusted_sources=frozenset({TRUNK[0]}))
    answered = _answered(server, SCANNER, FLOOD, "a")
    assert answered == server.limiter.burst
    assert server.limiter.is_blocked(SCANNER[0], server.stack.now)
    assert _answered(server, SCANNER, 1, "b") == 0


@pytest.mark.asyncio
async def test_worker_exempts_its_configured_sources_on_any_server() -> None:
    # A server built with its own limiter (as start_phone_line may) still gets the exemption.
    server = VoiceServer(trusted_sources=frozenset(), limiter=RateLimiter())
    exempt_sources(server, frozenset({SCANNER[0]}))
    assert _answered(server, SCANNER, FLOOD, "a") == FLOOD
    assert server.access.limiter is server.limiter  # authentication strikes see the same set
