"""One RTP stream's protocol state with no I/O (see ``engine`` for the theory of operation).

The asyncio shell hands every datagram to ``receive_rtp``/``receive_rtcp`` and calls
``tick(now)`` once per 20 ms; ``tick`` returns the RTP datagram to send (or None) and leaves
RTCP datagrams in ``rtcp_outbox`` and what happened in ``events``. Unit tests drive two
cores against each other with a fake clock.
"""

from __future__ import annotations

import random

from careline.telephony.media.dtmf import DIGITS, Rfc4733Receiver, Rfc4733Sender
from careline.telephony.media.events import (
    DigitReceived,
    MediaEvent,
    RecordingFinished,
    StreamClosed,
)
from careline.telephony.media.g711 import FRAME_SAMPLES, Codec, transcode
from careline.telephony.media.goertzel import ToneDebouncer
from careline.telephony.media.jitter import JitterBuffer
from careline.telephony.media.playout import Playout
from careline.telephony.media.recorder import Recorder
from careline.telephony.media.reports import Addr, RtcpSession
from careline.telephony.media.rtp import HEADER, MalformedPacket, RtpPacket

_TS_MASK = 0xFFFFFFFF
# RFC 3550 §5.1/§8: random SSRC, first sequence number and timestamp, from the system's
# source; one shared instance (a new ``random.Random()`` per call leg seeded a whole
# Mersenne Twister from os.urandom each time).
_RANDOM = random.SystemRandom()


class StreamCore:
    """RTP/RTCP state of one call leg: what to send each tick and what was heard."""

    # Slots keep the per-call state compact: the tick walks every stream each 20 ms.
    __slots__ = (
        "_candidate",
        "_candidate_seq",
        "_debouncer",
        "_dtmf_rx",
        "_dtmf_tx",
        "_jitter",
        "_last_rx",
        "_latched",
        "_marker",
        "_playout",
        "_recorder",
        "_relay_offset",
        "_relay_ssrc",
        "_rx",
        "_sdp_remote",
        "_seq",
        "_ts",
        "closed_reason",
        "codec",
        "dtmf_payload_type",
        "events",
        "frame",
        "ignored_rtp",
        "inband",
        "malformed_rtp",
        "octets_sent",
        "on_hold",
        "packets_sent",
        "payload_type",
        "relay",
        "remote",
        "rtcp",
        "rtcp_outbox",
        "rtp_timeout",
        "ssrc",
    )

    def __init__(
        self,
        *,
        now: float,
        rtp_timeout: float = 30.0,
        ssrc: int | None = None,
        sequence: int | None = None,
        timestamp: int | None = None,
        ntp_offset: float = 0.0,
        cname: str = "careline",
        rtcp_interval: float = 5.0,
        comfort_noise_on: bool = True,
    ) -> None:
        rng = _RANDOM
        self.ssrc = rng.getrandbits(32) if ssrc is None else ssrc
        self._seq = rng.getrandbits(16) if sequence is None else sequence
        self._ts = rng.getrandbits(32) if timestamp is None else timestamp
        self.rtp_timeout = rtp_timeout
        self.remote: Addr | None = None
        self._sdp_remote: Addr | None = None
        self.codec: Codec | None = None
        self.payload_type: int | None = None
        self.dtmf_payload_type: int | None = None
        self.on_hold = False
        self.relay: StreamCore | None = None  # bridged peer whose remote gets our packets
        self.events: list[MediaEvent] = []
        self.rtcp = RtcpSession(
            ssrc=self.ssrc, cname=cname, now=now, interval=rtcp_interval, ntp_offset=ntp_offset
        )
        self.rtcp_outbox = self.rtcp.outbox  # the same list: the shell sends and clears it
        self.frame: bytes | None = None  # audio heard this tick, for in-band detection
        self.inband = True  # off once the remote proves it sends RFC 4733 events
        self.closed_reason: str | None = None
        self.packets_sent = self.octets_sent = 0
        self.malformed_rtp = self.ignored_rtp = 0
        self._latched = False
        self._candidate: Addr | None = None
        self._candidate_seq = 0
        self._rx = False
        self._last_rx = now
        self._marker = True
        self._jitter = JitterBuffer()
        self._dtmf_rx = Rfc4733Receiver()
        self._dtmf_tx = Rfc4733Sender()
        self._debouncer = ToneDebouncer()
        self._recorder: Recorder | None = None
        self._playout = Playout(self.events, comfort_noise_on=comfort_noise_on)
        self._relay_ssrc = -1
        self._relay_offset = 0

    # -- configuration -------------------------------------------------------------

    def configure(
        self, *, remote: Addr, codec: Codec, payload_type: int, dtmf_payload_type: int | None
    ) -> None:
        """Apply the negotiated SDP; packets then go to ``remote`` until media arrives."""
        if remote != self._sdp_remote or not self._latched:
            # A re-INVITE that keeps the address keeps what symmetric RTP learned.
            self._sdp_remote = remote
            self.remote = remote
            self.rtcp.remote = None
            self._latched = False
        self.codec = codec
        self.payload_type = payload_type
        self.dtmf_payload_type = dtmf_payload_type
        self._rx = True  # the RTP timeout counts from now
        self._playout.set_codec(codec)

    @property
    def latched(self) -> bool:
        """Return True once the remote's media source is known (symmetric RTP)."""
        return self._latched

    def set_relay(self, peer: StreamCore | None) -> None:
        """Relay what this leg hears to ``peer`` (bridged) or stop relaying (None)."""
        if self.relay is not None and peer is None:
            self._marker = True  # our own audio starts a new talkspurt
        self.relay = peer
        self._relay_ssrc = -1

    def set_hold(self, on: bool) -> None:
        """Stop or resume sending; the RTP timeout is suspended while held."""
        if self.on_hold and not on:
            self._marker = True
        self.on_hold = on

    # -- sending -------------------------------------------------------------------

    def tick(self, now: float) -> bytes | None:
        """Advance one 20 ms step; return the RTP datagram to send to ``remote``."""
        self.frame = None
        if self.relay is None:
            payload = self._jitter.pop()
            if payload is not None and self.inband and len(payload) == FRAME_SAMPLES:
                self.frame = payload
            if self._recorder is not None:
                self._feed_recorder(payload)
        if self._rx or self.on_hold or self.remote is None:
            self._rx = False
            self._last_rx = now
        elif now - self._last_rx >= self.rtp_timeout and self.closed_reason is None:
            self.shutdown("rtp_timeout")
            return None
        if now >= self.rtcp.next_due:
            self.rtcp.queue_report(
                now, self.remote, (self.packets_sent, self.octets_sent, self._ts)
            )
        return self._send()

    def _send(self) -> bytes | None:
        ts = self._ts
        self._ts = (ts + FRAME_SAMPLES) & _TS_MASK
        if self.remote is None or self.on_hold or self.relay is not None:
            return None
        if self._dtmf_tx.busy and self.dtmf_payload_type is not None:
            event = self._dtmf_tx.next_packet(ts)
            if event is not None:
                marker, event_ts, payload = event
                return self._packet(self.dtmf_payload_type, marker, event_ts, payload)
        marker = self._marker
        self._marker = False
        return self._packet(self.payload_type or 0, marker, ts, self._playout.next_payload())

    def _packet(self, payload_type: int, marker: bool, ts: int, payload: bytes) -> bytes:
        seq = self._seq
        self._seq = (seq + 1) & 0xFFFF
        self.packets_sent += 1
        self.octets_sent += len(payload)
        second = payload_type | 0x80 if marker else payload_type
        return HEADER.pack(0x80, second, seq, ts, self.ssrc) + payload

    def start_playback(self, data: bytes, *, barge_in: bool) -> int:
        """Play G.711 bytes in the stream's codec; return the token its end event carries."""
        return self._playout.start_playback(data, barge_in=barge_in)

    def stop_playback(self, token: int) -> None:
        """End playback ``token`` quietly if it is still the one playing."""
        self._playout.stop_playback(token)

    @property
    def playing(self) -> bool:
        """Return True while a prompt plays."""
        return self._playout.playing

    def cancel_recording(self) -> None:
        """Drop a running recording without an event."""
        self._recorder = None

    def start_music(self, data: bytes) -> None:
        """Loop G.711 bytes whenever nothing else plays."""
        self._playout.start_music(data)

    def stop_music(self) -> None:
        """Go back to comfort noise (or silence) between prompts."""
        self._playout.stop_music()

    def queue_dtmf(self, digit: str) -> None:
        """Send a key as RFC 4733 events, or as tones when none was negotiated."""
        if len(digit) != 1 or digit.upper() not in DIGITS:
            raise ValueError(f"not a DTMF key: {digit!r}")
        if self.dtmf_payload_type is None and self.codec is not None:
            self._playout.queue_tones(digit.upper())
        else:
            self._dtmf_tx.queue(digit)

    # -- receiving -----------------------------------------------------------------

    def receive_rtp(self, data: bytes, addr: Addr, now: float) -> bytes | None:
        """Take one datagram; return a packet for the bridged peer's remote, if any."""
        if len(data) > 12 and data[0] == 0x80:  # the common case: no CSRC, ext or padding
            _, second, seq, ts, ssrc = HEADER.unpack_from(data)
            payload = data[12:]
        else:
            try:
                packet = RtpPacket.parse(data)
            except MalformedPacket:
                self.malformed_rtp += 1
                return None
            second = packet.payload_type | (0x80 if packet.marker else 0)
            seq, ts, ssrc, payload = (
                packet.sequence_number,
                packet.timestamp,
                packet.ssrc,
                packet.payload,
            )
        payload_type = second & 0x7F
        if payload_type == self.payload_type and payload:
            is_event = False
        elif payload_type == self.dtmf_payload_type:
            is_event = True
        else:
            self.ignored_rtp += 1
            return None
        if not self._latched:
            if not self._latch(addr, seq):
                return None
        elif addr != self.remote:
            self.ignored_rtp += 1  # not the latched source: refuse injected media
            return None
        self._rx = True
        self.rtcp.on_rtp(ssrc, seq, ts, now)
        if is_event:
            self._receive_event(ts, payload)
        relay = self.relay
        if relay is not None:
            return relay.relay_in(self.codec, is_event, second & 0x80, ts, ssrc, payload)
        # Events hold their sequence numbers in the buffer as empty frames, so the audio
        # around a key press is not mistaken for loss.
        self._jitter.push(seq, b"" if is_event else payload)
        return None

    def _latch(self, addr: Addr, seq: int) -> bool:
        """Symmetric RTP: adopt the media's source address, but not on one stray packet.

        The address from SDP is taken at once; any other address must first send two
        packets in sequence (RFC 3550 §A.1 probation), so a single injected packet cannot
        divert the call's audio.
        """
        if addr == self.remote or (
            addr == self._candidate and seq == (self._candidate_seq + 1) & 0xFFFF
        ):
            self._latched = True
            self.remote = addr
            return True
        self._candidate, self._candidate_seq = addr, seq
        return False

    def _receive_event(self, ts: int, payload: bytes) -> None:
        try:
            key = self._dtmf_rx.receive(ts, payload)
        except MalformedPacket:
            self.malformed_rtp += 1
            return
        self.inband = False
        if key is not None:
            self._on_digit(key, "rfc4733")

    def relay_in(
        self, codec: Codec | None, is_event: bool, marker: int, ts: int, ssrc: int, payload: bytes
    ) -> bytes | None:
        """Rewrite a packet heard on the bridged peer into one of ours (RFC 3550 §7 style)."""
        if self.remote is None or self.on_hold or codec is None or self.codec is None:
            return None
        if is_event:
            if self.dtmf_payload_type is None:
                return None
            payload_type = self.dtmf_payload_type
        else:
            payload_type = self.payload_type or 0
            if codec is not self.codec:
                payload = transcode(codec, self.codec, payload)
        if ssrc != self._relay_ssrc:
            # A new source on the other leg: keep our timestamps running from where we are.
            self._relay_ssrc = ssrc
            self._relay_offset = (self._ts - ts) & _TS_MASK
            marker = 1
        return self._packet(
            payload_type, bool(marker), (ts + self._relay_offset) & _TS_MASK, payload
        )

    def feed_tone(self, key: str) -> None:
        """Account for this tick's in-band detection result ("" for no key)."""
        reported = self._debouncer.feed(key)
        if reported is not None:
            self._on_digit(reported, "inband")

    @property
    def tone_idle(self) -> bool:
        """Return True when a frame without tones would change no detection state."""
        return self._debouncer.idle

    def _on_digit(self, key: str, source: str) -> None:
        recorder = self._recorder
        if recorder is not None and key in recorder.stop_digits:
            self._finish_recording("digit")
        elif not self._playout.barge_in(key):
            self.events.append(DigitReceived(key, source))

    # -- recording -----------------------------------------------------------------

    def start_recording(
        self, *, max_seconds: float, silence_seconds: float, stop_digits: str
    ) -> None:
        """Record what the remote sends from the next tick on."""
        if self.codec is None:
            raise RuntimeError("configure the stream before recording")
        if self._recorder is not None:
            raise RuntimeError("a recording is already running")
        self._recorder = Recorder(
            self.codec,
            max_seconds=max_seconds,
            silence_seconds=silence_seconds,
            stop_digits=stop_digits,
        )

    def _feed_recorder(self, payload: bytes | None) -> None:
        assert self._recorder is not None
        ended_by = self._recorder.feed(payload)
        if ended_by is not None:
            self._finish_recording(ended_by)

    def _finish_recording(self, ended_by: str) -> None:
        recorder, self._recorder = self._recorder, None
        if recorder is not None:
            self.events.append(RecordingFinished(ended_by, recorder.pcm(ended_by)))

    # -- RTCP ----------------------------------------------------------------------

    def receive_rtcp(self, data: bytes, addr: Addr, now: float) -> None:
        """Take one RTCP datagram."""
        self.rtcp.receive(data, addr, now)

    def rtcp_target(self) -> Addr | None:
        """Return where this stream's RTCP goes."""
        return self.rtcp.target(self.remote)

    @property
    def malformed_rtcp(self) -> int:
        """Return how many RTCP datagrams were dropped as malformed."""
        return self.rtcp.malformed

    # -- ending --------------------------------------------------------------------

    def shutdown(self, reason: str) -> None:
        """End the stream: finish playback and recording, queue BYE, emit StreamClosed."""
        if self.closed_reason is not None:
            return
        self.closed_reason = reason
        self._finish_recording("hangup")
        self._playout.finish(None)
        self.rtcp.queue_bye(self.remote, reason.replace("_", " "))
        self.events.append(StreamClosed(reason))
