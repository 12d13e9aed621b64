"""The Careline media engine: RTP streams for every call leg, driven by one shared tick.

Theory of operation
-------------------
Each call leg is a ``MediaStream``: an even RTP port and the next odd port for RTCP
(RFC 3550 §11), both plain UDP sockets with a small ``DatagramProtocol`` that hands every
datagram to the leg's ``StreamCore``, the protocol logic with no I/O.

Sending. One asyncio task, the tick, wakes every 20 ms against a monotonic schedule
(``base + k * 20 ms``, see ``pacing``) and asks every active core for its packet: a
telephone-event (RFC 4733 §2.5.1: marker on the first packet, growing duration, the end
packet three times), else 160 octets sliced from the playing prompt, the looping music or
comfort noise. Prompts are encoded to G.711 once per codec (RFC 3551 §4.5.14 PCMU/PCMA,
payload types 0 and 8), so a packet is one ``struct`` header plus a slice. Timestamps grow
by 160 per tick whether or not a packet goes out (RFC 3550 §5.1), and the marker bit opens
each talkspurt. There is no timer or task per call.

Receiving. Datagrams are validated (RFC 3550 §5.1 and §A.1: version, CSRC, extension and
padding lengths; RTCP by §A.2) and malformed ones are counted and dropped. The first valid
packet latches the remote address (symmetric RTP, RFC 4961): from then on packets go where
the media comes from and packets from elsewhere are ignored. Audio enters a small jitter
buffer (reordering, late and duplicate drops, sequence wrap); each tick takes one frame out
for recording and for in-band DTMF detection, which runs as one numpy matrix product over
the frames of all listening streams (Goertzel bins, see ``goertzel``). Telephone-events
(RFC 4733 §2.5.2) are reported once per key press, deduplicated by event timestamp; once a
remote has sent them, in-band detection is switched off for it so a key is not seen twice.

Reports. Each core sends an SR (or an RR while it sends nothing) with one report block and
an SDES CNAME about every 5 s, randomised over 0.5-1.5 times the interval (RFC 3550 §6.2,
§6.3.1, §6.4), and a BYE when it closes (§6.6).

Bridging. Two bridged legs relay packets as they arrive: the header is rewritten with the
outgoing leg's SSRC, sequence number and an offset timestamp (the translator of RFC 3550
§7.1) and the payload is passed as is, or mapped between A-law and µ-law with a 256-byte
table when the legs' codecs differ.

Endings. A leg that hears no RTP for ``rtp_timeout`` seconds (outside hold) resolves
``wait_closed()`` with "rtp_timeout"; ``close()`` resolves it with "closed".
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable

import numpy as np
import structlog

from careline.kit.clock import Clock
from careline.kit.errors import CarelineError
from careline.telephony.media.core import StreamCore
from careline.telephony.media.g711 import FRAME_SAMPLES, Codec
from careline.telephony.media.goertzel import KEYPAD, DtmfDetector
from careline.telephony.media.pacing import TickPacer
from careline.telephony.media.stream import MediaStream, RtcpProtocol, RtpProtocol

log = structlog.get_logger(__name__)


class NoFreeRtpPort(CarelineError):
    """Every RTP port pair in the configured range is in use."""

    status_code = 503
    error_id = "no_free_rtp_port"


class MediaEngine:
    """Own the RTP ports and streams of one process and run their shared 20 ms tick."""

    def __init__(
        self,
        host: str,
        port_min: int,
        port_max: int,
        *,
        rtp_timeout: float = 30.0,
        clock: Clock | None = None,
        comfort_noise: bool = True,
    ) -> None:
        first = port_min + (port_min % 2)
        if first + 1 > port_max:
            raise ValueError("the RTP port range must hold at least one even/odd pair")
        self.host = host
        self._ports = range(first, port_max, 2)
        self._cursor = 0
        self._in_use: set[int] = set()
        self._rtp_timeout = rtp_timeout
        self._clock = clock or Clock()
        self._comfort_noise = comfort_noise
        self._streams: dict[MediaStream, None] = {}
        self._detector = DtmfDetector()
        self._pressing: dict[MediaStream, None] = {}  # in-band key press under way
        self._task: asyncio.Task[None] | None = None
        self.pacer: TickPacer | None = None
        self.ticks = 0
        self._closed_send_failures = 0  # of streams already closed
        # Called after each round of ticks, while the next tick is furthest away (the
        # voice workers collect garbage there: see ``telephony.collector``).
        self.after_tick: Callable[[float], None] | None = None

    @property
    def active_streams(self) -> int:
        """Return the number of open streams."""
        return len(self._streams)

    @property
    def send_failures(self) -> int:
        """Return how many RTP packets could not be sent, by open and closed streams."""
        return self._closed_send_failures + sum(s.send_failures for s in self._streams)

    async def start(self) -> None:
        """Start the one shared tick task."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="media-tick")

    async def stop(self) -> None:
        """Close every stream and stop the tick."""
        for stream in list(self._streams):
            stream.close()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def open_stream(self) -> MediaStream:
        """Bind a free even RTP port and the odd RTCP port above it; return the stream."""
        loop = asyncio.get_running_loop()
        rtp_sock, rtcp_sock, port = self._bind_pair()
        now = self._clock.monotonic
        core = StreamCore(
            now=now(),
            rtp_timeout=self._rtp_timeout,
            ntp_offset=time.time() - now(),
            cname=f"careline@{self.host}",
            comfort_noise_on=self._comfort_noise,
        )
        stream = MediaStream(self, core, self.host, port)
        try:
            rtp, _ = await loop.create_datagram_endpoint(
                lambda: RtpProtocol(stream, now), sock=rtp_sock
            )
            rtcp, _ = await loop.create_datagram_endpoint(
                lambda: RtcpProtocol(core, now), sock=rtcp_sock
            )
        except BaseException:
            rtp_sock.close()
            rtcp_sock.close()
            self._in_use.discard(port)
            raise
        stream.rtp_transport, stream.rtcp_transport = rtp, rtcp
        stream.rtp_socket = rtp_sock
        self._streams[stream] = None
        return stream

    def forget(self, stream: MediaStream) -> None:
        """Drop a closed stream and free its ports."""
        self._pressing.pop(stream, None)
        if stream in self._streams:
            del self._streams[stream]
            self._closed_send_failures += stream.send_failures
            self._in_use.discard(stream.local_port)

    def _bind_pair(self) -> tuple[socket.socket, socket.socket, int]:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        for _ in range(len(self._ports)):
            # Walk the range instead of reusing the lowest port, so a just-closed call's
            # late packets do not land in the next call.
            port = self._ports[self._cursor]
            self._cursor = (self._cursor + 1) % len(self._ports)
            if port in self._in_use:
                continue
            socks = [socket.socket(family, socket.SOCK_DGRAM) for _ in range(2)]
            try:
                socks[0].bind((self.host, port))
                socks[1].bind((self.host, port + 1))
            except OSError:
                for sock in socks:
                    sock.close()
                continue
            for sock in socks:
                sock.setblocking(False)
            self._in_use.add(port)
            return socks[0], socks[1], port
        raise NoFreeRtpPort("no free RTP port pair in the configured range")

    async def _run(self) -> None:
        clock = self._clock
        pacer = self.pacer = TickPacer(clock.monotonic())
        while True:
            now = clock.monotonic()
            for _ in range(pacer.due(now)):
                try:
                    self.tick(now)
                except Exception:  # one faulty stream must not silence every call
                    log.exception("media_tick_failed")
            if self.after_tick is not None:
                try:
                    self.after_tick(now)
                except Exception:
                    log.exception("media_after_tick_failed")
            await asyncio.sleep(pacer.delay(clock.monotonic()))

    def tick(self, now: float) -> None:
        """Run one 20 ms step over every stream: send, report, detect, dispatch."""
        self.ticks += 1
        listening: dict[Codec, list[MediaStream]] = {Codec.PCMU: [], Codec.PCMA: []}
        for stream in list(self._streams):
            core = stream.core
            if core.closed_reason is not None:
                continue
            try:  # free in CPython 3.11+ unless something raises
                packet = core.tick(now)
                if packet is not None:
                    stream.send_rtp(packet)
                if core.frame is not None and core.codec is not None:
                    listening[core.codec].append(stream)
                if core.rtcp_outbox:
                    stream.flush_rtcp()
                if core.events:
                    stream.dispatch()
            except Exception:
                # One faulty call is hung up; every other call keeps its audio.
                log.exception("media_stream_failed", port=stream.local_port)
                try:
                    stream.close()
                except Exception:
                    log.exception("media_stream_close_failed", port=stream.local_port)
        for codec, streams in listening.items():
            if streams:
                self._detect(codec, streams)

    def _detect(self, codec: Codec, streams: list[MediaStream]) -> None:
        joined = b"".join([stream.core.frame or b"" for stream in streams])
        frames = np.frombuffer(joined, dtype=np.uint8).reshape(len(streams), FRAME_SAMPLES)
        keys = self._detector.classify(frames, codec)
        # Only frames with a key, and streams whose debouncer is mid-press, need Python
        # work; the other streams (nearly all of them, nearly always) are left alone.
        hits = np.flatnonzero(keys >= 0)
        heard: set[MediaStream] = set()
        for index, key in zip(hits.tolist(), keys[hits].tolist(), strict=True):
            stream = streams[index]
            heard.add(stream)
            self._pressing[stream] = None
            stream.core.feed_tone(KEYPAD[key])
            if stream.core.events:
                stream.dispatch()
        for stream in list(self._pressing):
            core = stream.core
            if core.codec is not codec:
                continue
            if stream not in heard and core.frame is not None:
                core.feed_tone("")
                if core.events:
                    stream.dispatch()
            if core.tone_idle:
                del self._pressing[stream]
