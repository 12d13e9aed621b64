"""The front on the SIP port: hand each datagram to the voice worker that owns its Call-ID.

Two UDP sockets, the public SIP port and a loopback relay socket the workers talk to, and
a TCP listener on the SIP port. A phone's datagram (or a message cut from its TCP stream,
RFC 3261 §18.3) is wrapped with the phone's address and sent to its worker; a worker's
wrapped message is unwrapped and sent from the SIP port, or written to the phone's TCP
connection when the envelope says so, so answers come from where the phone sent to.
RTP does not pass here: each worker owns its RTP ports.
A registration a worker accepted is passed to every other worker, and kept here for a
worker that announces itself later, so any worker can ring any registered extension.
Each worker reports its figures here every second; ``report`` sums them for ``/metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog

from careline.telephony.line_report import LineReport
from careline.telephony.registrar import BindingChange, Registrar
from careline.telephony.sip.dispatch import (
    Address,
    Dispatcher,
    binding_message,
    binding_of,
    hello_index,
    report_of,
    unwrap,
    wrap,
)
from careline.telephony.sip.stack import bind_udp_and_tcp, serve_stream

log = structlog.get_logger(__name__)


class _Public(asyncio.DatagramProtocol):
    def __init__(self, front: SipFront) -> None:
        self._front = front

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._front.from_phone(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP from a vanished phone: its transactions time out in the worker


class _Relay(asyncio.DatagramProtocol):
    def __init__(self, front: SipFront) -> None:
        self._front = front

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._front.from_worker(data, (str(addr[0]), int(addr[1])))


class SipFront:
    """Own the SIP port and relay datagrams to and from ``workers`` voice workers."""

    def __init__(self, workers: int, *, pin_idle_seconds: float = 3700.0) -> None:
        self.dispatcher = Dispatcher(workers, pin_idle_seconds)
        self._workers: list[Address | None] = [None] * workers
        self._by_address: dict[Address, int] = {}
        self._public: Any = None
        self._relay: Any = None
        self._ready = asyncio.Event()
        self._pruner: asyncio.Task[None] | None = None
        self._tcp: asyncio.Server | None = None
        self._streams: dict[Address, asyncio.StreamWriter] = {}
        self.bindings = Registrar()  # every worker's live bindings, for a late worker
        self.dropped = 0
        self.reports: list[LineReport | None] = [None] * workers  # each worker's latest
        self._retired = LineReport()  # the counters of workers that died

    async def start(self, host: str, port: int) -> tuple[Address, Address]:
        """Bind the SIP port and the relay; return (SIP address, relay address)."""
        loop = asyncio.get_running_loop()
        self._public, self._tcp, public = await bind_udp_and_tcp(
            host, port, lambda: _Public(self), self._serve_tcp
        )
        self._relay, _ = await loop.create_datagram_endpoint(
            lambda: _Relay(self), local_addr=("127.0.0.1", 0)
        )
        self._pruner = loop.create_task(self._prune())
        relay = self._relay.get_extra_info("sockname")
        return public, (str(relay[0]), int(relay[1]))

    async def wait_ready(self, timeout: float) -> bool:
        """Wait until every worker has announced itself; False on timeout."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout)
        return self._ready.is_set()

    async def stop(self) -> None:
        """Close both sockets."""
        if self._pruner is not None:
            self._pruner.cancel()
            await asyncio.gather(self._pruner, return_exceptions=True)
        for transport in (self._public, self._relay):
            if transport is not None:
                transport.close()
        if self._tcp is not None:
            self._tcp.close()
            for writer in list(self._streams.values()):
                writer.close()
            await self._tcp.wait_closed()

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Cut a phone's TCP stream into messages and hand each to its worker."""
        await serve_stream(reader, writer, self._streams, self._from_stream)

    def _from_stream(self, messages: list[bytes], peer: Address) -> None:
        for message in messages:
            self.from_phone(message, peer, stream=True)

    def from_phone(self, data: bytes, peer: Address, *, stream: bool = False) -> None:
        """Send a phone's message to the worker owning its Call-ID."""
        worker = self.dispatcher.inbound(data, asyncio.get_running_loop().time())
        target = None if worker is None else self._workers[worker]
        if target is None:
            self.dropped += 1  # no Call-ID, or the worker is not up: the phone retransmits
            return
        self._relay.sendto(wrap(peer, data, stream=stream), target)

    def from_worker(self, data: bytes, source: Address) -> None:
        """Send a worker's datagram to the phone, from the SIP port."""
        worker = self._by_address.get(source)
        if worker is None:
            self._announce(data, source)
            return
        encoded = binding_of(data)
        if encoded is not None:
            self._share(worker, encoded)
            return
        figures = report_of(data)
        if figures is not None:
            self.reports[worker] = LineReport.decode(figures) or self.reports[worker]
            return
        envelope = unwrap(data)
        if envelope is None:
            return
        peer, payload, stream = envelope
        self.dispatcher.outbound(worker, payload, asyncio.get_running_loop().time())
        if not stream:
            self._public.sendto(payload, peer)
        elif (writer := self._streams.get(peer)) is not None:
            writer.write(payload)  # signalling is small: no drain needed
        else:
            self.dropped += 1  # the phone closed its connection meanwhile

    def _share(self, worker: int, encoded: bytes) -> None:
        """Keep a worker's registrar change and pass it to every other worker."""
        change = BindingChange.decode(encoded)
        if change is None:
            return
        self.bindings.apply(change, asyncio.get_running_loop().time())
        message = binding_message(encoded)
        for index, address in enumerate(self._workers):
            if index != worker and address is not None:
                self._relay.sendto(message, address)

    def _announce(self, data: bytes, source: Address) -> None:
        index = hello_index(data)
        if index is None or not 0 <= index < len(self._workers) or self._workers[index]:
            return
        self._workers[index] = source
        self._by_address[source] = index
        for change in self.bindings.current(asyncio.get_running_loop().time()):
            self._relay.sendto(binding_message(change.encode()), source)
        log.info("voice_worker_ready", worker=index)
        if all(address is not None for address in self._workers):
            self._ready.set()

    def worker_gone(self, index: int) -> bool:
        """Stop relaying to a worker that died; False when it was already forgotten.

        Its share of requests is dropped (phones retransmit) until a new worker announces
        itself with the same index. Its counters are kept, so the line's never go down.
        """
        address = self._workers[index]
        if address is None:
            return False
        self._workers[index] = None
        del self._by_address[address]
        last = self.reports[index]
        if last is not None:
            self._retired += last.model_copy(update={"calls_active": 0})
        self.reports[index] = None
        return True

    def report(self) -> LineReport:
        """Return the line's figures: the sum of the workers' latest reports."""
        total = self._retired
        for report in self.reports:
            if report is not None:
                total += report
        registered = self.bindings.registered(asyncio.get_running_loop().time())
        return total.model_copy(update={"extensions_registered": registered})

    async def _prune(self) -> None:
        while True:
            await asyncio.sleep(60.0)
            self.dispatcher.prune(asyncio.get_running_loop().time())


__all__ = ["SipFront"]
