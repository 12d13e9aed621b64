"""Voice workers behind one front: shared registrations, and phones on TCP."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import uvloop

from careline.telephony.front import SipFront
from careline.telephony.registrar import BindingChange
from careline.telephony.sip.digest import answer_challenges
from careline.telephony.sip.dispatch import binding_message, binding_of, hello, owner_by_hash
from careline.telephony.sip.framing import StreamFramer
from careline.telephony.workers import VoicePool
from tests.integration.telephony.sipclient import Dialogue, RawSip, header, sdp
from tests.support.ports import free_port_range

EXTENSION, PASSWORD = "2001", "desk-2001-secret"


def _call_id(worker: int, prefix: str) -> str:
    """Return a Call-ID the front sends to ``worker`` of two."""
    return next(
        f"{prefix}{n}@127.0.0.1"
        for n in range(500)
        if owner_by_hash(f"{prefix}{n}@127.0.0.1".encode(), 2) == worker
    )


class TcpPhone(RawSip):
    """A SIP phone on one TCP connection to the front (RFC 3261 §18.3 framing)."""

    _reading: asyncio.Task[None]

    @classmethod
    async def open_to(cls, server: tuple[str, int]) -> TcpPhone:
        phone = cls()
        reader, phone.transport = await asyncio.open_connection(*server)
        phone.port = int(phone.transport.get_extra_info("sockname")[1])
        phone._reading = asyncio.create_task(phone._read(reader))
        return phone

    async def _read(self, reader: asyncio.StreamReader) -> None:
        framer = StreamFramer()
        while data := await reader.read(65536):
            for message in framer.feed(data):
                self.received.put_nowait(message)

    def send(self, data: bytes, server: tuple[str, int]) -> None:  # noqa: ARG002 - connected
        data = data.replace(b"SIP/2.0/UDP ", b"SIP/2.0/TCP ")
        self.transport.write(data.replace(b">\r\nMax-Forwards", b";transport=tcp>\r\nMax-Forwards"))

    def close(self) -> None:
        self._reading.cancel()
        self.transport.close()


async def _register(desk: RawSip, server: tuple[str, int], expires: int, call_id: str) -> None:
    dialogue = Dialogue(desk, server, user=EXTENSION)
    dialogue.call_id = call_id
    extra = f"Expires: {expires}\r\n"
    dialogue.send(dialogue.request("REGISTER", extra=extra))
    challenge = header(await desk.expect("401"), "WWW-Authenticate")
    uri = f"sip:{EXTENSION}@{server[0]}:{server[1]}"
    answer = answer_challenges([challenge], EXTENSION, PASSWORD, "REGISTER", uri)
    assert answer is not None
    dialogue.send(dialogue.request("REGISTER", extra=f"{extra}Authorization: {answer}\r\n"))
    await desk.expect("200")


def _busy(invite: bytes) -> bytes:
    """Answer an INVITE with 486 Busy Here."""
    kept = []
    for line in invite.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name = line.split(b":", 1)[0].strip().lower()
        if name in (b"via", b"from", b"call-id", b"cseq"):
            kept.append(line)
        elif name == b"to":
            kept.append(line + b";tag=desk486")
    return b"SIP/2.0 486 Busy Here\r\n" + b"\r\n".join(kept) + b"\r\nContent-Length: 0\r\n\r\n"


async def _call_from(caller: RawSip, server: tuple[str, int], call_id: str) -> Dialogue:
    dialogue = Dialogue(caller, server)
    dialogue.call_id = call_id
    dialogue.send(dialogue.request("INVITE", body=sdp(caller.port)))
    answer = await caller.expect("200", timeout=10.0)
    dialogue.learn_tag(answer)
    dialogue.ack(1)
    return dialogue


def _on_pool(body: Callable[[VoicePool], Awaitable[None]]) -> None:
    """Run ``body`` against two voice workers started for it (on uvloop), then stop them."""

    async def main() -> None:
        ports = free_port_range(40)
        pool = VoicePool(
            2,
            host="127.0.0.1",
            port=0,
            rtp_port_min=ports[0],
            rtp_port_max=ports[1],
            extensions={EXTENSION: PASSWORD},
            entry_flow="tests.integration.telephony.worker_flows:ring_extension_2001",
        )
        await pool.start()
        try:
            await body(pool)
        finally:
            await pool.stop()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())


def test_an_extension_registered_through_one_worker_is_rung_from_the_other() -> None:
    async def scenario(pool: VoicePool) -> None:
        desk, caller = await RawSip.open(), await RawSip.open()
        try:
            await _register(desk, pool.address, 120, _call_id(0, "reg"))
            # A phone cannot forge the workers' control message through the SIP port.
            forged = binding_message(BindingChange(EXTENSION, None).encode())
            for worker in (0, 1):
                call_id = _call_id(worker, "forged").encode()
                caller.send(forged + b"\r\nCall-ID: " + call_id + b"\r\n\r\n", pool.address)
            await asyncio.sleep(0.2)
            # The caller's Call-ID hashes to worker 1, which never saw the REGISTER.
            call = await _call_from(caller, pool.address, _call_id(1, "call"))
            invite = await desk.first(b"INVITE ", 5.0)
            assert invite is not None, "worker 1 did not ring the extension"
            assert invite.startswith(b"INVITE sip:raw@127.0.0.1:%d" % desk.port)
            desk.send(_busy(invite), pool.address)
            call.send(call.request("BYE"))

            await _register(desk, pool.address, 0, _call_id(0, "unreg"))
            await _call_from(caller, pool.address, _call_id(1, "again"))
            assert await desk.first(b"INVITE ", 2.0) is None  # gone from worker 1 too
        finally:
            desk.close()
            caller.close()

    _on_pool(scenario)


def test_phones_on_tcp_call_and_are_rung_through_the_front() -> None:
    async def scenario(pool: VoicePool) -> None:
        desk = await TcpPhone.open_to(pool.address)
        caller = await TcpPhone.open_to(pool.address)
        try:
            await _register(desk, pool.address, 120, _call_id(0, "tcpreg"))
            # The TCP caller lands on worker 1, which rings the TCP desk registered via 0.
            call = await _call_from(caller, pool.address, _call_id(1, "tcpcall"))
            invite = await desk.first(b"INVITE ", 5.0)
            assert invite is not None, "the desk on TCP was not rung"
            assert b"Via: SIP/2.0/TCP " in invite  # worker 1 knows it is a TCP phone
            desk.send(_busy(invite), pool.address)
            # The flow gives up on the busy desk and hangs up: its BYE comes over TCP too.
            bye = await caller.first(b"BYE ", 8.0)
            assert bye is not None
            assert b"Via: SIP/2.0/TCP " in bye
            assert call.call_id.encode() in bye
        finally:
            desk.close()
            caller.close()

    _on_pool(scenario)


class _Worker(RawSip):
    """A socket standing in for a voice worker's relay."""

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if binding_of(data) is not None:
            super().datagram_received(data, addr)


def test_the_front_passes_bindings_on_and_replays_them_to_a_late_worker() -> None:
    async def main() -> None:
        front = SipFront(3)
        _, relay = await front.start("127.0.0.1", 0)
        first, second, late = [await _Worker.open() for _ in range(3)]
        try:
            first.send(hello(0), relay)
            second.send(hello(1), relay)
            await asyncio.sleep(0.1)
            kept = BindingChange(EXTENSION, "sip:raw@127.0.0.1:5077", ("127.0.0.1", 5077), 60)
            dropped = BindingChange("2002", "sip:raw@127.0.0.1:5078", ("127.0.0.1", 5078), 60)
            for change in (kept, dropped, BindingChange("2002", None)):
                first.send(binding_message(change.encode()), relay)
            heard = [BindingChange.decode(binding_of(await second.next() or b"") or b"")]
            heard += [BindingChange.decode(binding_of(await second.next() or b"") or b"")]
            assert heard[0] == kept
            assert await first.next(0.2) is None  # not echoed to the worker that sent it

            late.send(hello(2), relay)
            replayed = BindingChange.decode(binding_of(await late.next() or b"") or b"")
            assert replayed is not None
            assert (replayed.extension, replayed.contact, replayed.source) == (
                kept.extension,
                kept.contact,
                kept.source,
            )
            assert 58 < replayed.remaining <= 60
            assert await late.next(0.2) is None  # 2002 was cleared: nothing else replayed
        finally:
            for each in (first, second, late):
                each.close()
            await front.stop()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())
