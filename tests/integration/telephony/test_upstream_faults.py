"""Evidence for the aiosipua faults Careline works around (docs/telephony.md).

These tests describe aiosipua 0.7.1 as pinned; when one fails after an upgrade, the fault
is fixed upstream and our override can be reconsidered.
"""

from __future__ import annotations

import asyncio
import socket

import uvloop

from careline.telephony.sip.endpoint import RequestReceived, SipEndpoint
from careline.telephony.sip.stack import SipStack
from tests.unit.telephony.sipkit import request_text


def _send_options(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(request_text("OPTIONS"), ("127.0.0.1", port))


def test_aiosipua_udp_transport_receives_nothing_under_uvloop() -> None:
    from aiosipua import UdpSipTransport

    received: list[object] = []

    async def main() -> None:
        transport = UdpSipTransport(local_addr=("127.0.0.1", 0))
        transport.on_message = lambda message, _addr: received.append(message)
        await transport.start()
        port = transport._udp_transport.get_extra_info("sockname")[1]  # type: ignore[union-attr]  # noqa: SLF001
        _send_options(port)
        await asyncio.sleep(0.3)
        await transport.stop()

    uvloop.run(main())
    assert received == []


def test_our_stack_receives_under_uvloop() -> None:
    events: list[object] = []

    async def main() -> None:
        stack = SipStack(SipEndpoint(("127.0.0.1", 0)), events.append)
        _, port = await stack.start("127.0.0.1", 0)
        _send_options(port)
        await asyncio.sleep(0.3)
        await stack.stop()

    uvloop.run(main())
    assert [type(e) for e in events] == [RequestReceived]
