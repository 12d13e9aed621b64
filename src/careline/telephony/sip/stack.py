"""The asyncio shell around :class:`SipEndpoint`: UDP and TCP sockets, one timer, no parsing.

aiosipua's UDP transport asserts ``isinstance(transport, asyncio.DatagramTransport)`` in
``connection_made``; uvloop's UDP transport is not a subclass of it, so under uvloop the
assertion fails and the SIP socket is closed (reported upstream). Our protocol below takes
any transport with ``sendto``. Transport callbacks only hand bytes to the core.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from careline.telephony.sip.endpoint import (
    Event,
    ResponseReceived,
    SipEndpoint,
    TransactionTimedOut,
)
from careline.telephony.sip.framing import FramingError, StreamFramer
from careline.telephony.sip.message import SipRequest, SipResponse
from careline.telephony.sip.transaction import Address, ClientTransaction, ServerTransaction

log = structlog.get_logger(__name__)
EventHandler = Callable[[Event], None]
ClientEvent = ResponseReceived | TransactionTimedOut


async def bind_udp_and_tcp(
    host: str,
    port: int,
    protocol_factory: Callable[[], asyncio.DatagramProtocol],
    serve_tcp: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]] | None,
) -> tuple[Any, asyncio.Server | None, Address]:
    """Bind UDP and, given ``serve_tcp``, TCP on the same port; port 0 picks one free for both.

    Return the UDP transport, the TCP server (None without ``serve_tcp``) and the address.
    """
    loop = asyncio.get_running_loop()
    for _ in range(20):
        transport, _ = await loop.create_datagram_endpoint(
            protocol_factory, local_addr=(host, port)
        )
        name = transport.get_extra_info("sockname")
        bound = (str(name[0]), int(name[1]))
        if serve_tcp is None:
            return transport, None, bound
        try:
            return transport, await asyncio.start_server(serve_tcp, *bound), bound
        except OSError:
            transport.close()
            if port:
                raise  # the port is taken on TCP
    raise OSError("no port was free for both UDP and TCP")


async def serve_stream(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    connections: dict[Address, asyncio.StreamWriter],
    deliver: Callable[[list[bytes], Address], None],
) -> None:
    """Serve one TCP connection: listed in ``connections`` under its peer while open, each
    read's whole messages handed to ``deliver``; a stream that cannot be framed is dropped."""
    name = writer.get_extra_info("peername")
    peer = (str(name[0]), int(name[1]))
    connections[peer] = writer
    framer = StreamFramer()
    try:
        while data := await reader.read(65536):
            deliver(framer.feed(data), peer)
    except (FramingError, ConnectionError):
        pass  # an endless header or an oversized body: drop the connection
    finally:
        connections.pop(peer, None)
        writer.close()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, stack: SipStack) -> None:
        self._stack = stack

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # No isinstance check: uvloop's UDPTransport is not an asyncio.DatagramTransport.
        self._stack.attach(transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._stack.datagram_received(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP errors for a vanished phone; its transactions time out on their own


class ClientHandle:
    """Responses of one client transaction, awaited one at a time."""

    def __init__(self, transaction: ClientTransaction) -> None:
        self.transaction = transaction
        self._queue: asyncio.Queue[SipResponse | None] = asyncio.Queue()

    def deliver(self, event: ClientEvent) -> None:
        """Queue a response, or None when the transaction timed out."""
        self._queue.put_nowait(event.response if isinstance(event, ResponseReceived) else None)

    async def next(self) -> SipResponse | None:
        """Return the next response, or None when the peer never answered."""
        return await self._queue.get()

    async def final(self) -> SipResponse | None:
        """Skip provisionals and return the final response (None on timeout)."""
        while True:
            response = await self.next()
            if response is None or response.status_code >= 200:
                return response


class SipStack:
    """Own the socket and the timer; pass events to the handler."""

    def __init__(self, endpoint: SipEndpoint, handler: EventHandler) -> None:
        self.endpoint = endpoint
        self._handler = handler
        self._transport: Any = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._pumping = False
        self._clients: dict[ClientTransaction, ClientHandle] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tcp_server: asyncio.Server | None = None
        self._connections: dict[Address, asyncio.StreamWriter] = {}
        # A voice worker's phones on TCP, with when each was last heard of: their
        # connection is the front's, reached through the relay (``adopt``), which
        # ``send_stream`` writes to.
        self.stream_peers: dict[Address, float] = {}

    async def start(self, host: str, port: int, *, tcp: bool = True) -> Address:
        """Bind UDP (and TCP on the same port); port 0 picks a port free for both."""
        self._loop = asyncio.get_running_loop()
        serve_tcp = self._serve_tcp if tcp else None
        _, self._tcp_server, bound = await bind_udp_and_tcp(
            host, port, lambda: _UdpProtocol(self), serve_tcp
        )
        self.endpoint.local = bound
        return bound

    async def stop(self) -> None:
        """Close the sockets and cancel the timer."""
        if self._timer is not None:
            self._timer.cancel()
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        if self._tcp_server is not None:
            self._tcp_server.close()
            for writer in list(self._connections.values()):
                writer.close()
            await self._tcp_server.wait_closed()
            self._tcp_server = None

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_stream(reader, writer, self._connections, self._stream_messages)

    def _stream_messages(self, messages: list[bytes], addr: Address) -> None:
        for message in messages:
            self.endpoint.receive_datagram(message, addr, self.now, reliable=True)
        self.pump()

    def adopt(self, transport: Any, local: Address) -> None:
        """Send through ``transport`` (a voice worker's relay) and advertise ``local``."""
        self._loop = asyncio.get_running_loop()
        self._transport = transport
        self.endpoint.local = local

    def attach(self, transport: asyncio.BaseTransport) -> None:
        """Remember the socket transport (called by the protocol)."""
        self._transport = transport

    @property
    def now(self) -> float:
        return (self._loop or asyncio.get_running_loop()).time()

    def datagram_received(self, data: bytes, addr: Address) -> None:
        """Feed one datagram to the core."""
        self.endpoint.receive_datagram(data, addr, self.now)
        self.pump()

    def stream_received(self, message: bytes, addr: Address) -> None:
        """Feed one message a phone sent on its TCP connection to the front."""
        self.mark_stream_peer(addr)
        self._stream_messages([message], addr)

    def mark_stream_peer(self, addr: Address) -> None:
        """Note that ``addr`` is a phone on TCP through the front, heard of just now."""
        self.stream_peers[addr] = self.now

    def prune_stream_peers(self, now: float, idle: float) -> None:
        """Forget TCP phones not heard of for ``idle`` seconds (their connection is gone)."""
        for addr in [a for a, seen in self.stream_peers.items() if now - seen > idle]:
            del self.stream_peers[addr]

    def _reliable(self, peer: Address) -> bool:
        return peer in self._connections or peer in self.stream_peers

    def request(self, request: SipRequest, peer: Address) -> ClientHandle:
        """Start a client transaction and return a handle to await its responses."""
        txn = self.endpoint.send_request(request, peer, self.now, reliable=self._reliable(peer))
        handle = ClientHandle(txn)
        self._clients[txn] = handle
        self.pump()
        return handle

    def cancel(self, handle: ClientHandle) -> ClientHandle | None:
        """CANCEL a pending INVITE; None when no provisional has arrived yet."""
        txn = self.endpoint.send_cancel(handle.transaction, self.now)
        if txn is None:
            return None
        cancel = ClientHandle(txn)
        self._clients[txn] = cancel
        self.pump()
        return cancel

    def abandon(self, handle: ClientHandle) -> None:
        """Stop waiting for a client transaction; its handle gets None."""
        self.endpoint.abandon(handle.transaction)
        self.pump()

    def respond(self, txn: ServerTransaction, response: SipResponse) -> None:
        """Answer a server transaction."""
        self.endpoint.respond(txn, response, self.now)
        self.pump()

    def send_ack(self, ack: SipRequest, peer: Address) -> None:
        """Send an ACK for a 2xx."""
        self.endpoint.send_ack(ack, peer, self.now, reliable=self._reliable(peer))
        self.pump()

    def send_stateless(self, response: SipResponse, peer: Address) -> None:
        """Send a response outside any transaction."""
        self.endpoint.send_stateless(response, peer)
        self.pump()

    def pump(self) -> None:
        """Deliver events, send datagrams and re-arm the single timer."""
        if self._pumping:
            return
        self._pumping = True
        try:
            while (event := self.endpoint.next_event()) is not None:
                try:
                    self._dispatch(event)
                except Exception:
                    # A fault in one call's handling must not take the socket down.
                    log.exception("sip_event_failed", event=type(event).__name__)
            self._flush()
        finally:
            self._pumping = False
        self._arm()

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, ResponseReceived | TransactionTimedOut):
            handle = self._clients.get(event.transaction)
            if handle is not None:
                handle.deliver(event)
                final = isinstance(event, TransactionTimedOut) or event.response.status_code >= 200
                if final:
                    self._clients.pop(event.transaction, None)
                return
        self._handler(event)

    def _flush(self) -> None:
        for payload, peer in self.endpoint.datagrams_to_send(self.now):
            connection = self._connections.get(peer)
            if connection is not None:
                connection.write(payload)  # phones' signalling is small: no drain needed
            elif peer in self.stream_peers and self._transport is not None:
                self._transport.send_stream(payload, peer)
            elif self._transport is not None:
                self._transport.sendto(payload, peer)

    def _arm(self) -> None:
        when = self.endpoint.get_timer()
        if when == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = when
        if when is not None and self._loop is not None:
            self._timer = self._loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._timer_at = None
        self.endpoint.handle_timer(self.now)
        self.pump()


__all__ = ["ClientHandle", "SipStack", "bind_udp_and_tcp", "serve_stream"]
