"""RTCP (RFC 3550 §6.4-§6.6): SR, RR, SDES (CNAME) and BYE as wire types, compound packets.

Each packet type has ``parse(data)`` (exactly one packet) and ``serialize()``;
``parse_compound`` walks a compound datagram with the validity checks of RFC 3550 §A.2
(version 2, lengths that add up, padding only on the last packet). Unknown types (APP,
feedback) are skipped once their length checks out.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from careline.telephony.media.rtp import MalformedPacket

SR, RR, SDES, BYE = 200, 201, 202, 203
_COMMON = struct.Struct("!BBH")
_BLOCK = struct.Struct("!IIIIII")
_SR_INFO = struct.Struct("!IQIII")
_CNAME = 1


@dataclass(frozen=True, slots=True)
class ReportBlock:
    """Reception statistics about one source (RFC 3550 §6.4.1)."""

    ssrc: int
    fraction_lost: int  # 8-bit fixed point, lost / expected * 256
    cumulative_lost: int  # signed 24 bits
    highest_sequence: int  # extended highest sequence number received
    jitter: int  # timestamp units
    last_sr: int  # middle 32 bits of the NTP time of the last SR
    delay_since_last_sr: int  # units of 1/65536 s

    def serialize(self) -> bytes:
        """Return the 24-octet block."""
        lost = (self.fraction_lost & 0xFF) << 24 | (self.cumulative_lost & 0xFFFFFF)
        return _BLOCK.pack(
            self.ssrc,
            lost,
            self.highest_sequence & 0xFFFFFFFF,
            self.jitter & 0xFFFFFFFF,
            self.last_sr & 0xFFFFFFFF,
            self.delay_since_last_sr & 0xFFFFFFFF,
        )

    @classmethod
    def parse(cls, data: bytes, offset: int = 0) -> ReportBlock:
        """Parse one block at ``offset``."""
        ssrc, lost, highest, jitter, lsr, dlsr = _BLOCK.unpack_from(data, offset)
        cumulative = lost & 0xFFFFFF
        if cumulative & 0x800000:
            cumulative -= 1 << 24
        return cls(ssrc, lost >> 24, cumulative, highest, jitter, lsr, dlsr)


def _header(packet_type: int, count: int, body: bytes) -> bytes:
    return _COMMON.pack(0x80 | count, packet_type, len(body) // 4) + body


def _check(data: bytes, packet_type: int) -> tuple[int, int]:
    """Validate the common header of a single packet; return (count, end of content)."""
    if len(data) < 4 or len(data) % 4:
        raise MalformedPacket("RTCP packet is not whole 32-bit words")
    first, kind, length = _COMMON.unpack_from(data)
    if first >> 6 != 2:
        raise MalformedPacket("RTCP version is not 2")
    if kind != packet_type or (length + 1) * 4 != len(data):
        raise MalformedPacket("RTCP type or length does not match")
    end = len(data)
    if first & 0x20:
        padding = data[-1]
        if padding == 0 or padding > end - 4:
            raise MalformedPacket("bad RTCP padding")
        end -= padding
    return first & 0x1F, end


def _blocks(data: bytes, offset: int, count: int, end: int) -> tuple[ReportBlock, ...]:
    if offset + 24 * count > end:
        raise MalformedPacket("report blocks run past the end")
    return tuple(ReportBlock.parse(data, offset + 24 * i) for i in range(count))


@dataclass(frozen=True, slots=True)
class SenderReport:
    """RTCP SR (RFC 3550 §6.4.1)."""

    ssrc: int
    ntp_timestamp: int  # 64-bit NTP format
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()

    @classmethod
    def parse(cls, data: bytes) -> SenderReport:
        """Parse exactly one SR packet."""
        count, end = _check(data, SR)
        if end < 28:
            raise MalformedPacket("SR shorter than its sender info")
        ssrc, ntp, rtp_ts, packets, octets = _SR_INFO.unpack_from(data, 4)
        return cls(ssrc, ntp, rtp_ts, packets, octets, _blocks(data, 28, count, end))

    def serialize(self) -> bytes:
        """Return the packet on the wire."""
        body = _SR_INFO.pack(
            self.ssrc,
            self.ntp_timestamp,
            self.rtp_timestamp & 0xFFFFFFFF,
            self.packet_count & 0xFFFFFFFF,
            self.octet_count & 0xFFFFFFFF,
        )
        body += b"".join(block.serialize() for block in self.reports)
        return _header(SR, len(self.reports), body)


@dataclass(frozen=True, slots=True)
class ReceiverReport:
    """RTCP RR (RFC 3550 §6.4.2)."""

    ssrc: int
    reports: tuple[ReportBlock, ...] = ()

    @classmethod
    def parse(cls, data: bytes) -> ReceiverReport:
        """Parse exactly one RR packet."""
        count, end = _check(data, RR)
        if end < 8:
            raise MalformedPacket("RR without an SSRC")
        (ssrc,) = struct.unpack_from("!I", data, 4)
        return cls(ssrc, _blocks(data, 8, count, end))

    def serialize(self) -> bytes:
        """Return the packet on the wire."""
        body = struct.pack("!I", self.ssrc) + b"".join(b.serialize() for b in self.reports)
        return _header(RR, len(self.reports), body)


@dataclass(frozen=True, slots=True)
class SourceDescription:
    """RTCP SDES (RFC 3550 §6.5) reduced to the CNAME of each chunk."""

    chunks: tuple[tuple[int, str], ...]

    @classmethod
    def parse(cls, data: bytes) -> SourceDescription:
        """Parse exactly one SDES packet, keeping CNAME items."""
        count, end = _check(data, SDES)
        chunks: list[tuple[int, str]] = []
        offset = 4
        for _ in range(count):
            if offset + 4 > end:
                raise MalformedPacket("SDES chunk runs past the end")
            (ssrc,) = struct.unpack_from("!I", data, offset)
            offset += 4
            cname = ""
            while True:
                if offset >= end:
                    raise MalformedPacket("SDES items run past the end")
                item = data[offset]
                if item == 0:
                    break
                if offset + 2 > end or offset + 2 + data[offset + 1] > end:
                    raise MalformedPacket("SDES item runs past the end")
                text = bytes(data[offset + 2 : offset + 2 + data[offset + 1]])
                if item == _CNAME:
                    cname = text.decode("utf-8", "replace")
                offset += 2 + data[offset + 1]
            offset = (offset + 4) & ~3  # the null item, then pad to a word boundary
            chunks.append((ssrc, cname))
        return cls(tuple(chunks))

    def serialize(self) -> bytes:
        """Return the packet on the wire."""
        body = b""
        for ssrc, cname in self.chunks:
            text = cname.encode()[:255]
            chunk = struct.pack("!IBB", ssrc, _CNAME, len(text)) + text + b"\x00"
            body += chunk + bytes(-len(chunk) % 4)
        return _header(SDES, len(self.chunks), body)


@dataclass(frozen=True, slots=True)
class Bye:
    """RTCP BYE (RFC 3550 §6.6)."""

    sources: tuple[int, ...]
    reason: str = ""

    @classmethod
    def parse(cls, data: bytes) -> Bye:
        """Parse exactly one BYE packet."""
        count, end = _check(data, BYE)
        if 4 + 4 * count > end:
            raise MalformedPacket("BYE sources run past the end")
        sources = struct.unpack_from(f"!{count}I", data, 4)
        offset = 4 + 4 * count
        reason = ""
        if offset < end:
            size = data[offset]
            if offset + 1 + size > end:
                raise MalformedPacket("BYE reason runs past the end")
            reason = bytes(data[offset + 1 : offset + 1 + size]).decode("utf-8", "replace")
        return cls(tuple(sources), reason)

    def serialize(self) -> bytes:
        """Return the packet on the wire."""
        body = struct.pack(f"!{len(self.sources)}I", *self.sources)
        if self.reason:
            text = self.reason.encode()[:255]
            body += bytes([len(text)]) + text
            body += bytes(-len(body) % 4)
        return _header(BYE, len(self.sources), body)


RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Bye
_PARSERS: dict[int, Callable[[bytes], RtcpPacket]] = {
    SR: SenderReport.parse,
    RR: ReceiverReport.parse,
    SDES: SourceDescription.parse,
    BYE: Bye.parse,
}


def parse_compound(data: bytes) -> list[RtcpPacket]:
    """Split and parse a compound RTCP datagram; raise MalformedPacket on any fault."""
    packets: list[RtcpPacket] = []
    offset = 0
    if len(data) < 4:
        raise MalformedPacket("RTCP datagram too short")
    while offset < len(data):
        if offset + 4 > len(data):
            raise MalformedPacket("trailing bytes after the last RTCP packet")
        first, kind, length = _COMMON.unpack_from(data, offset)
        end = offset + (length + 1) * 4
        if first >> 6 != 2 or end > len(data):
            raise MalformedPacket("bad RTCP header")
        if first & 0x20 and end != len(data):
            raise MalformedPacket("padding before the last RTCP packet")
        parser = _PARSERS.get(kind)
        if parser is not None:
            packets.append(parser(bytes(data[offset:end])))
        elif not 192 <= kind <= 223:
            raise MalformedPacket("not an RTCP packet type")
        offset = end
    return packets


def serialize_compound(packets: list[RtcpPacket]) -> bytes:
    """Join packets into one compound datagram."""
    return b"".join(packet.serialize() for packet in packets)
