"""RTP data packets (RFC 3550 §5.1) as a wire type, plus the fast header codec used per packet."""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER = struct.Struct("!BBHII")  # V/P/X/CC, M/PT, sequence number, timestamp, SSRC
HEADER_SIZE = 12
SEQ_MOD = 1 << 16
TS_MOD = 1 << 32


class MalformedPacket(ValueError):
    """A datagram that is not a valid RTP or RTCP packet."""


@dataclass(slots=True)
class RtpPacket:
    """One RTP packet; ``padding`` is the number of padding octets on the wire."""

    payload_type: int
    sequence_number: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrc: tuple[int, ...] = ()
    extension: tuple[int, bytes] | None = None  # (profile-defined 16 bits, data)
    padding: int = 0

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        """Parse a datagram; raise MalformedPacket when it breaks RFC 3550 §5.1."""
        if len(data) < HEADER_SIZE:
            raise MalformedPacket("shorter than the fixed RTP header")
        first, second, seq, timestamp, ssrc = HEADER.unpack_from(data)
        if first >> 6 != 2:
            raise MalformedPacket("RTP version is not 2")
        offset = HEADER_SIZE + 4 * (first & 0x0F)
        if offset > len(data):
            raise MalformedPacket("CSRC list runs past the end")
        csrc = struct.unpack_from(f"!{first & 0x0F}I", data, HEADER_SIZE)
        extension = None
        if first & 0x10:
            if offset + 4 > len(data):
                raise MalformedPacket("extension header runs past the end")
            profile, words = struct.unpack_from("!HH", data, offset)
            end = offset + 4 + 4 * words
            if end > len(data):
                raise MalformedPacket("extension runs past the end")
            extension = (profile, bytes(data[offset + 4 : end]))
            offset = end
        end = len(data)
        padding = 0
        if first & 0x20:
            padding = data[-1]
            if padding == 0 or offset + padding > end:
                raise MalformedPacket("bad padding length")
            end -= padding
        return cls(
            payload_type=second & 0x7F,
            sequence_number=seq,
            timestamp=timestamp,
            ssrc=ssrc,
            payload=bytes(data[offset:end]),
            marker=bool(second & 0x80),
            csrc=tuple(csrc),
            extension=extension,
            padding=padding,
        )

    def serialize(self) -> bytes:
        """Return the packet as it goes on the wire."""
        if len(self.csrc) > 15:
            raise ValueError("at most 15 CSRC identifiers")
        first = 0x80 | len(self.csrc)
        if self.padding:
            first |= 0x20
        if self.extension is not None:
            first |= 0x10
        parts = [
            HEADER.pack(
                first,
                (0x80 if self.marker else 0) | (self.payload_type & 0x7F),
                self.sequence_number & 0xFFFF,
                self.timestamp & 0xFFFFFFFF,
                self.ssrc & 0xFFFFFFFF,
            ),
            struct.pack(f"!{len(self.csrc)}I", *self.csrc),
        ]
        if self.extension is not None:
            profile, data = self.extension
            if len(data) % 4:
                raise ValueError("extension data must be whole 32-bit words")
            parts.append(struct.pack("!HH", profile, len(data) // 4) + data)
        parts.append(self.payload)
        if self.padding:
            parts.append(bytes(self.padding - 1) + bytes([self.padding]))
        return b"".join(parts)


def seq_delta(seq: int, reference: int) -> int:
    """Return seq minus reference as a signed distance on the 16-bit circle."""
    delta = (seq - reference) & 0xFFFF
    return delta - SEQ_MOD if delta >= 0x8000 else delta
