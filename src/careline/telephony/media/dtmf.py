"""RFC 4733 telephone-events: the event payload, a receiver that reports each key once,
and a sender that paces one event packet per 20 ms tick.

Receiving (§2.5.2): every packet of one event carries the same RTP timestamp, the event
start. Updates, the end packet and its retransmissions (§2.5.1.4) repeat that timestamp,
so a key is reported on the first packet seen with a new timestamp and every later packet
with that timestamp is ignored. A long press split into segments (§2.5.1.3) continues at
``previous timestamp + previous duration`` and is not a new key.

Sending (§2.5.1): the first packet has the marker bit, each update grows the duration by
one packet time, and the final packet (E bit) is sent three times.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

from careline.telephony.media.rtp import MalformedPacket

DIGITS = "0123456789*#ABCD"  # event codes 0-15 (RFC 4733 §3.2)
_EVENT = struct.Struct("!BBH")
_SAMPLES_PER_PACKET = 160


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    """One RFC 4733 §2.3 event payload."""

    event: int
    end: bool
    volume: int  # 0..63, -dBm0
    duration: int  # timestamp units since the event began

    @classmethod
    def parse(cls, data: bytes) -> TelephoneEvent:
        """Parse the first event of a payload."""
        if len(data) < 4:
            raise MalformedPacket("telephone-event payload shorter than 4 octets")
        event, flags, duration = _EVENT.unpack_from(data)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)

    def serialize(self) -> bytes:
        """Return the 4-octet payload."""
        flags = (0x80 if self.end else 0) | (self.volume & 0x3F)
        return _EVENT.pack(self.event, flags, self.duration & 0xFFFF)


class Rfc4733Receiver:
    """Turn a stream of telephone-event packets into key presses, each reported once."""

    __slots__ = ("_recent", "_last_ts", "_last_event", "_last_duration", "_last_end")

    def __init__(self) -> None:
        self._recent: deque[int] = deque(maxlen=8)
        self._last_ts = -1
        self._last_event = -1
        self._last_duration = 0
        self._last_end = True

    def receive(self, timestamp: int, payload: bytes) -> str | None:
        """Account for one packet; return the key when it starts a new press."""
        event = TelephoneEvent.parse(payload)
        if timestamp == self._last_ts:
            self._last_duration = max(self._last_duration, event.duration)
            self._last_end = self._last_end or event.end
            return None
        if timestamp in self._recent or event.event >= len(DIGITS):
            return None  # a straggler of an earlier event, or not a key
        continues = (
            event.event == self._last_event
            and not self._last_end
            and timestamp == (self._last_ts + self._last_duration) & 0xFFFFFFFF
        )
        self._recent.append(timestamp)
        self._last_ts = timestamp
        self._last_event = event.event
        self._last_duration = event.duration
        self._last_end = event.end
        return None if continues else DIGITS[event.event]


class Rfc4733Sender:
    """Queue keys and hand out one telephone-event payload per tick while an event runs."""

    __slots__ = ("_queue", "_packets", "_gap", "_volume", "_event", "_start_ts", "_sent", "_ends")

    def __init__(self, *, duration_ms: int = 100, gap_ms: int = 60, volume: int = 10) -> None:
        self._queue: deque[int] = deque()
        self._packets = max(duration_ms // 20, 1)
        self._gap = max(gap_ms // 20, 1)
        self._volume = volume
        self._event = -1  # the event being sent, -1 when idle
        self._start_ts = 0
        self._sent = 0  # update packets sent, then negative ticks of the pause after
        self._ends = 0

    def queue(self, digit: str) -> None:
        """Queue one key (0-9, *, #, A-D)."""
        code = DIGITS.find(digit.upper()) if len(digit) == 1 else -1
        if code < 0:
            raise ValueError(f"not a DTMF key: {digit!r}")
        self._queue.append(code)

    @property
    def busy(self) -> bool:
        """Return True while a key is queued, being sent, or in its trailing pause."""
        return self._event >= 0 or bool(self._queue) or self._sent < 0

    def next_packet(self, media_ts: int) -> tuple[bool, int, bytes] | None:
        """Return (marker, RTP timestamp, payload) for this tick, or None to send audio."""
        if self._sent < 0:  # pause between keys: audio flows
            self._sent += 1
            return None
        if self._event < 0:
            if not self._queue:
                return None
            self._event = self._queue.popleft()
            self._start_ts = media_ts
            self._sent = 0
            self._ends = 0
        if self._sent < self._packets:
            self._sent += 1
            payload = TelephoneEvent(
                self._event, False, self._volume, self._sent * _SAMPLES_PER_PACKET
            ).serialize()
            return self._sent == 1, self._start_ts, payload
        self._ends += 1
        duration = self._packets * _SAMPLES_PER_PACKET
        payload = TelephoneEvent(self._event, True, self._volume, duration).serialize()
        if self._ends == 3:
            self._event = -1
            self._sent = -self._gap
        return False, self._start_ts, payload
