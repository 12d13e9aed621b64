"""The asyncio face of one call leg's media: futures over a ``StreamCore``, two sockets."""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from careline.telephony.media.core import StreamCore
from careline.telephony.media.events import (
    DigitReceived,
    PlaybackFinished,
    RecordingFinished,
    StreamClosed,
)
from careline.telephony.media.g711 import Codec
from careline.telephony.media.prompt import SAMPLE_RATE, Prompt, RecordingResult, write_wav
from careline.telephony.media.reports import Addr
from careline.telephony.media.udp import CAN_DISCONNECT, disconnect

log = structlog.get_logger(__name__)

if TYPE_CHECKING:
    from careline.telephony.media.engine import MediaEngine


class RtpProtocol(asyncio.DatagramProtocol):
    """Hand RTP datagrams to the core; relay what it returns to the bridged leg."""

    def __init__(self, stream: MediaStream, now: Callable[[], float]) -> None:
        self._stream = stream
        self._core = stream.core
        self._now = now

    def datagram_received(self, data: bytes, addr: Addr) -> None:
        relayed = self._core.receive_rtp(data, addr, self._now())
        if relayed is not None:
            self._stream.relay_out(relayed)
        elif self._core.events:
            # A key (RFC 4733) reaches the flow now, not at the next tick: its reply
            # can then start on that very tick, 20 ms sooner.
            self._stream.dispatch()

    def error_received(self, exc: Exception) -> None:  # noqa: ARG002 - any error counts
        """Count an ICMP error: the remote is not listening (yet, or any more).

        A remote that is not listening yet is normal for UDP, so the stream goes on; the
        error is counted with the sends that failed, for the operator (``/metrics``).
        """
        self._stream.send_failures += 1


class RtcpProtocol(asyncio.DatagramProtocol):
    """Hand RTCP datagrams to the core."""

    def __init__(self, core: StreamCore, now: Callable[[], float]) -> None:
        self._core = core
        self._now = now

    def datagram_received(self, data: bytes, addr: Addr) -> None:
        self._core.receive_rtcp(data, addr, self._now())

    def error_received(self, exc: Exception) -> None:
        """Ignore ICMP errors, as for RTP."""


class MediaStream:
    """One call leg's RTP stream; sending happens in the engine's shared tick."""

    def __init__(self, engine: MediaEngine, core: StreamCore, host: str, port: int) -> None:
        self.local_host = host
        self.local_port = port
        self.core = core
        self._engine = engine
        # The transport reads RTP; packets are sent on the socket itself (``send_rtp``).
        self.rtp_transport: asyncio.DatagramTransport | None = None
        self.rtp_socket: socket.socket | None = None
        self.rtcp_transport: asyncio.DatagramTransport | None = None
        self.send_failures = 0  # packets the kernel or the network refused (ICMP)
        self._connected: Addr | None = None  # where the RTP socket is connected, if anywhere
        self.peer: MediaStream | None = None
        self._relay_listeners: list[Callable[[bytes], None]] = []
        self._digits: deque[str] = deque()
        self._digit_waiter: asyncio.Future[str | None] | None = None
        self._plays: dict[int, asyncio.Future[str | None]] = {}
        self._recording: asyncio.Future[RecordingFinished] | None = None
        self._closed: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def __repr__(self) -> str:
        return f"<MediaStream {self.local_host}:{self.local_port}>"

    # -- the contract used by the SIP side and the call API -----------------------

    def configure(
        self,
        *,
        remote: tuple[str, int],
        codec: Codec,
        payload_type: int,
        dtmf_payload_type: int | None,
    ) -> None:
        """Apply the negotiated SDP (remote address, codec, telephone-event type)."""
        self.core.configure(
            remote=remote,
            codec=codec,
            payload_type=payload_type,
            dtmf_payload_type=dtmf_payload_type,
        )
        if self._connected is not None and not self.core.latched and self.rtp_socket is not None:
            # The media moved: hear every source again until the new one has latched.
            try:
                self._follow_remote(self.rtp_socket, remote)
            except OSError:
                log.warning("rtp_disconnect_failed", port=self.local_port)

    def hold(self, on: bool) -> None:
        """Stop sending (and suspend the RTP timeout) or resume."""
        self.core.set_hold(on)

    async def play(self, prompt: Prompt, *, barge_in: bool = True) -> str | None:
        """Play a prompt; return the key that interrupted it, or None when it played out."""
        if self.core.closed_reason is not None:
            return None
        if barge_in and self._digits:
            return self._digits.popleft()  # type-ahead: the caller already answered
        token = self.core.start_playback(prompt.encoded(self._codec()), barge_in=barge_in)
        waiter: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._plays[token] = waiter
        self.dispatch()
        try:
            return await waiter
        finally:
            if self._plays.pop(token, None) is not None:
                self.core.stop_playback(token)  # cancelled: stop the audio too

    def start_music(self, prompt: Prompt) -> None:
        """Loop a prompt (hold music, queue music) whenever nothing else plays."""
        self.core.start_music(prompt.encoded(self._codec()))

    def stop_music(self) -> None:
        """Stop the loop; comfort noise fills the gaps again."""
        self.core.stop_music()

    async def next_digit(self, timeout: float | None) -> str | None:
        """Return the next key pressed, or None on timeout or when the stream closes."""
        if self._digits:
            return self._digits.popleft()
        if self._closed.done():
            return None
        waiter: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._digit_waiter = waiter
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except TimeoutError:
            # After a stalled loop the key's packets and the expired deadline are handled in
            # the same turn: the key may already be in the waiter. Keep it, do not drop it.
            if waiter.done() and not waiter.cancelled():
                return waiter.result()
            return None
        finally:
            if self._digit_waiter is waiter:
                self._digit_waiter = None

    def flush_digits(self) -> None:
        """Forget keys pressed so far."""
        self._digits.clear()

    async def record(
        self,
        path: Path,
        *,
        max_seconds: float,
        silence_seconds: float = 5.0,
        stop_digits: str = "#",
    ) -> RecordingResult:
        """Record the remote's audio to an 8 kHz 16-bit mono WAV file."""
        if self.core.closed_reason is not None:
            finished = RecordingFinished("hangup", Prompt.silence(0).pcm)
        else:
            self.core.start_recording(
                max_seconds=max_seconds, silence_seconds=silence_seconds, stop_digits=stop_digits
            )
            waiter: asyncio.Future[RecordingFinished] = asyncio.get_running_loop().create_future()
            self._recording = waiter
            try:
                finished = await waiter
            except asyncio.CancelledError:
                self.core.cancel_recording()
                raise
            finally:
                self._recording = None
        await asyncio.to_thread(write_wav, path, finished.pcm)
        return RecordingResult(path, len(finished.pcm) / SAMPLE_RATE, finished.ended_by)

    def send_dtmf(self, digit: str) -> None:
        """Send one key as RFC 4733 events (as tones when telephone-event was not agreed)."""
        self.core.queue_dtmf(digit)

    async def wait_closed(self) -> str:
        """Wait until the stream ends; return "rtp_timeout" or "closed"."""
        return await asyncio.shield(self._closed)

    def on_closed(self, callback: Callable[[str], None]) -> None:
        """Call ``callback`` with "rtp_timeout" or "closed" once the stream has ended."""
        self._closed.add_done_callback(lambda closed: callback(closed.result()))

    def close(self) -> None:
        """Close the stream: RTCP BYE, sockets closed, waiters released."""
        self._finish("closed")

    # -- used by the engine and by bridging ----------------------------------------

    def _codec(self) -> Codec:
        if self.core.codec is None:
            raise RuntimeError("configure the stream before playing audio")
        return self.core.codec

    def send_rtp(self, packet: bytes) -> None:
        """Send an RTP datagram to the remote; a datagram that cannot go now is dropped.

        Once symmetric RTP has latched, the socket is connected to the remote (see ``udp``).
        """
        sock = self.rtp_socket
        remote = self.core.remote
        if sock is None or remote is None:
            return
        try:
            if remote is not self._connected:
                self._follow_remote(sock, remote)
            if self._connected is None:
                sock.sendto(packet, remote)
            else:
                sock.send(packet)
        except OSError:
            # A full send buffer (RTP is never resent), or on a connected socket the ICMP
            # error an earlier datagram drew (port unreachable): count it and go on.
            self.send_failures += 1

    def _follow_remote(self, sock: socket.socket, remote: Addr) -> None:
        if self.core.latched and CAN_DISCONNECT:
            if remote != self._connected:
                sock.connect(remote)
            self._connected = remote
        elif self._connected is not None:
            self._connected = None
            disconnect(sock)

    def relay_out(self, packet: bytes) -> None:
        """Send a packet rewritten for the bridged leg from that leg's socket."""
        if self._relay_listeners:
            for listener in list(self._relay_listeners):
                listener(packet)
        peer = self.peer
        if peer is not None:
            peer.send_rtp(packet)

    def tap_relay(self, listener: Callable[[bytes], None]) -> Callable[[], None]:
        """Hand ``listener`` each packet relayed to the bridged leg; return the undo.

        A recording and a listening supervisor can tap one leg and stop in any order.
        """
        self._relay_listeners.append(listener)

        def untap() -> None:
            if listener in self._relay_listeners:
                self._relay_listeners.remove(listener)

        return untap

    def flush_rtcp(self) -> None:
        """Send the RTCP datagrams the core has queued."""
        outbox = self.core.rtcp_outbox
        target = self.core.rtcp_target()
        if self.rtcp_transport is not None and target is not None:
            for datagram in outbox:
                self.rtcp_transport.sendto(datagram, target)
        outbox.clear()

    def dispatch(self) -> None:
        """Deliver the core's events to the futures waiting for them."""
        if not self.core.events:
            return
        # Copy and clear in place: the core's parts keep a reference to this very list.
        events = self.core.events.copy()
        self.core.events.clear()
        for event in events:
            if isinstance(event, DigitReceived):
                self._deliver_digit(event.digit)
            elif isinstance(event, PlaybackFinished):
                waiter = self._plays.pop(event.token, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(event.interrupted_by)
            elif isinstance(event, RecordingFinished):
                if self._recording is not None and not self._recording.done():
                    self._recording.set_result(event)
            elif isinstance(event, StreamClosed):
                self._finish(event.reason)

    def _deliver_digit(self, digit: str) -> None:
        waiter = self._digit_waiter
        if waiter is not None and not waiter.done():
            self._digit_waiter = None
            waiter.set_result(digit)
        else:
            self._digits.append(digit)

    def _finish(self, reason: str) -> None:
        if self._closed.done():
            return
        self._closed.set_result(reason)
        try:
            self.core.shutdown(reason)
            self.flush_rtcp()
            self.dispatch()
        finally:
            # Whatever the core did, the sockets, the port and the waiters are released.
            if self._digit_waiter is not None and not self._digit_waiter.done():
                self._digit_waiter.set_result(None)
            if self.peer is not None:
                unbridge(self, self.peer)
            for transport in (self.rtp_transport, self.rtcp_transport):
                if transport is not None:
                    transport.close()  # closes the sockets too
            self.rtp_transport = self.rtcp_transport = self.rtp_socket = None
            self._engine.forget(self)


def bridge(a: MediaStream, b: MediaStream) -> None:
    """Relay RTP between two legs: as is when codecs match, PCMA<->PCMU otherwise."""
    if a is b:
        raise ValueError("cannot bridge a stream to itself")
    for stream in (a, b):
        if stream.peer is not None:
            unbridge(stream, stream.peer)
    a.peer, b.peer = b, a
    a.core.set_relay(b.core)
    b.core.set_relay(a.core)


def unbridge(a: MediaStream, b: MediaStream) -> None:
    """Stop relaying; each leg goes back to its own prompts, music or comfort noise."""
    for stream, other in ((a, b), (b, a)):
        if stream.peer is other:
            stream.peer = None
            stream.core.set_relay(None)
