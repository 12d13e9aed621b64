"""Careline behind a real SIP proxy: baresip → Kamailio (record-routing) → VoiceServer.

Kamailio (Debian ``kamailio``) is started by the test with a minimal stateful config on a
free loopback port; a tap on the VoiceServer's stack captures every SIP message it receives
and sends, so the test checks Via, Record-Route, Route and rport handling on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import uvloop

from careline.telephony.calls import Call
from careline.telephony.server import VoiceServer
from careline.telephony.sip.message import SipRequest, SipResponse, parse_message
from tests.integration.telephony.phones import caller_account, frames_with, phone, prompt
from tests.integration.telephony.phones import voice_server as running_voice_server
from tests.support.baresip import tone
from tests.support.ports import free_port

pytestmark = pytest.mark.sip
GREETING_HZ = 440.0
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"

# Stateful relay with record-routing: initial requests are record-routed and sent to
# Careline; in-dialog requests follow their Route set (loose routing, RFC 3261 §16.12).
# add_local_rport() puts ;rport in Kamailio's own Via so Careline's rport handling shows.
KAMAILIO_CFG = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:{port}
mpath="{modules}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "pv.so"
loadmodule "siputils.so"
loadmodule "textops.so"

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (has_totag()) {{
        if (loose_route()) {{ add_local_rport(); t_relay(); exit; }}
        if (is_method("ACK")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
        sl_send_reply("404", "Not here");
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    record_route();
    add_local_rport();
    $du = "sip:127.0.0.1:{careline_port}";
    t_relay();
}}
"""


@dataclass
class Wire:
    """SIP messages seen by the VoiceServer: (direction, message, peer address)."""

    seen: list[tuple[str, SipRequest | SipResponse, tuple[str, int]]] = field(default_factory=list)

    def tap(self, server: VoiceServer) -> None:
        """Record every datagram the server's stack receives and sends."""
        stack = server.stack
        receive, outgoing = stack.datagram_received, stack.endpoint.datagrams_to_send

        def received(data: bytes, addr: tuple[str, int]) -> None:
            self.seen.append(("in", parse_message(data), addr))
            receive(data, addr)

        def sending(now: float) -> list[tuple[bytes, tuple[str, int]]]:
            batch = list(outgoing(now))
            self.seen.extend(("out", parse_message(data), peer) for data, peer in batch)
            return batch

        stack.datagram_received = received  # type: ignore[method-assign]
        stack.endpoint.datagrams_to_send = sending  # type: ignore[method-assign]

    def requests(self, direction: str, method: str) -> list[tuple[SipRequest, tuple[str, int]]]:
        return [
            (m, peer)
            for d, m, peer in self.seen
            if d == direction and isinstance(m, SipRequest) and m.method == method
        ]

    def responses(
        self, direction: str, status: int, method: str
    ) -> list[tuple[SipResponse, tuple[str, int]]]:
        return [
            (m, peer)
            for d, m, peer in self.seen
            if d == direction
            and isinstance(m, SipResponse)
            and m.status_code == status
            and (m.headers.get_first("cseq") or "").split()[-1] == method
        ]


def _udp_port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


@contextlib.asynccontextmanager
async def kamailio(workdir: Path, careline_port: int) -> AsyncIterator[int]:
    """Run Kamailio in the foreground on a free loopback port; yield the port."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "kamailio.cfg"
    config.write_text(KAMAILIO_CFG.format(port=port, modules=MODULES, careline_port=careline_port))
    # -DD: stay in the foreground (the test owns the process); -E: log to stderr.
    # It runs fine as root; -Y keeps its runtime files out of /run/kamailio.
    with (workdir / "kamailio.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            "kamailio",
            *("-f", str(config), "-DD", "-E", "-m", "16", "-M", "4"),
            *("-Y", str(workdir), "-P", str(workdir / "kamailio.pid")),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        for _ in range(200):
            if _udp_port_taken(port):
                break
            if process.returncode is not None:
                raise RuntimeError((workdir / "kamailio.log").read_text())
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError("kamailio did not open its port")
        yield port
    finally:
        process.terminate()
        try:
            async with asyncio.timeout(5):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


def greeting_flow(received: list[str]) -> object:
    async def flow(call: Call) -> None:
        await call.answer()
        await call.play(prompt(tone(GREETING_HZ, 1.0), "greeting"), barge_in=False)
        digits = await call.collect(max_digits=4, timeout=6.0, terminator="#")
        received.append(digits)
        for digit in digits:
            await call.play(prompt(tone(500.0 + 100.0 * int(digit), 0.4)), barge_in=False)
        await call.hangup()  # Careline's BYE must travel back through the proxy

    return flow


@dataclass
class Outcome:
    wire: Wire
    proxy: tuple[str, int]
    careline_port: int
    phone_port: int
    heard: np.ndarray
    closed: bool


async def _call_through_proxy(tmp_path: Path, received: list[str]) -> Outcome:
    wire = Wire()
    async with running_voice_server(greeting_flow(received)) as server:  # type: ignore[arg-type]
        wire.tap(server)
        async with (
            kamailio(tmp_path / "kamailio", server.port) as proxy_port,
            phone(tmp_path, "caller", caller_account(), np.zeros(8000 * 8)) as caller,
        ):
            await caller.dial(f"sip:100@127.0.0.1:{proxy_port}")
            await caller.wait_event("CALL_ESTABLISHED")
            await asyncio.sleep(1.3)
            await caller.send_digits("12#")
            await caller.wait_event("CALL_CLOSED", timeout=10)
            async with asyncio.timeout(5):  # the 200 to our BYE comes back via the proxy
                while not wire.responses("in", 200, "BYE"):
                    await asyncio.sleep(0.05)
        return Outcome(
            wire,
            ("127.0.0.1", proxy_port),
            server.port,
            caller.sip_port,
            caller.heard(),
            caller.saw("CALL_CLOSED"),
        )


def test_call_through_kamailio_follows_via_record_route_and_rport(tmp_path: Path) -> None:
    received: list[str] = []
    outcome = uvloop.run(_call_through_proxy(tmp_path, received))
    wire, proxy = outcome.wire, outcome.proxy

    # The caller heard the greeting and the flow got the digits through the proxy.
    assert received == ["12"]
    assert frames_with(outcome.heard, GREETING_HZ) >= 25
    assert outcome.closed

    # The INVITE came from Kamailio, record-routed, with Kamailio's Via (rport) on top
    # of the phone's Via (whose rport Kamailio filled with the phone's port).
    [(invite, source)] = wire.requests("in", "INVITE")
    assert source == proxy
    record_route = invite.headers.get("record-route")
    assert len(record_route) == 1
    assert f"127.0.0.1:{proxy[1]};lr" in record_route[0]
    vias = invite.headers.get("via")
    assert len(vias) == 2
    assert f"127.0.0.1:{proxy[1]}" in vias[0]
    assert ";rport" in vias[0]
    assert f"rport={outcome.phone_port}" in vias[1]

    # Our 200 OK goes back to where the INVITE came from, keeps the Via stack intact
    # (so the proxy can route it on to the phone) and copies Record-Route (§12.1.1).
    [(ok, ok_peer)] = wire.responses("out", 200, "INVITE")[:1]
    assert ok_peer == proxy
    assert ok.headers.get("via") == vias
    assert ok.headers.get("record-route") == record_route

    # The phone learnt the route set: its ACK reached us through the proxy.
    acks = wire.requests("in", "ACK")
    assert acks
    assert all(peer == proxy for _, peer in acks)

    # Careline hung up: the BYE follows the route set (Route to the proxy, sent to it),
    # targets the phone's Contact and asks for rport.
    [(bye, bye_peer)] = wire.requests("out", "BYE")
    assert bye_peer == proxy
    assert bye.headers.get("route") == record_route
    assert f"127.0.0.1:{outcome.phone_port}" in bye.uri
    assert ";rport" in (bye.headers.get_first("via") or "")

    # The phone's 200 to our BYE came back through the proxy, which stripped its own Via
    # and left ours with rport filled in with the port we sent from.
    [(bye_ok, bye_ok_peer)] = wire.responses("in", 200, "BYE")
    assert bye_ok_peer == proxy
    [our_via] = bye_ok.headers.get("via")
    assert f"rport={outcome.careline_port}" in our_via
