"""CMPP 2.0 (China Mobile Peer to Peer) wire format, with no I/O.

Theory of operation: every PDU is a 12-octet header (Total_Length, Command_Id,
Sequence_Id, big-endian unsigned 32-bit) and a body of fixed-width fields; strings are
octet strings padded with NUL to their width. The SP opens one TCP connection, sends
CMPP_CONNECT with an MD5 authenticator over its shared secret and a MMDDHHMMSS timestamp,
then CMPP_SUBMIT per segment (answered by SUBMIT_RESP carrying the gateway's 64-bit
Msg_Id); the gateway pushes CMPP_DELIVER for mobile-originated messages and, with
Registered_Delivery = 1, for status reports that name the Msg_Id. ACTIVE_TEST keeps an
idle link alive; TERMINATE closes it. Field layouts follow CMPP 2.0 sections 7.4.1-7.4.9.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

HEADER = struct.Struct(">III")
MAX_PDU_LENGTH = 4096
VERSION_2_0 = 0x20

CONNECT = 0x00000001
TERMINATE = 0x00000002
SUBMIT = 0x00000004
DELIVER = 0x00000005
ACTIVE_TEST = 0x00000008
RESPONSE = 0x80000000


class CmppDecodeError(ValueError):
    """The bytes are not a well-formed CMPP 2.0 PDU."""


def _octets(value: str | bytes, width: int) -> bytes:
    raw = value.encode("ascii") if isinstance(value, str) else value
    if len(raw) > width:
        raise ValueError(f"field longer than {width} octets")
    return raw.ljust(width, b"\x00")


def _text(raw: bytes) -> str:
    return raw.rstrip(b"\x00").decode("ascii", errors="replace")


class _Reader:
    """Take fixed-width fields off a body, failing cleanly when it is too short."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def take(self, width: int) -> bytes:
        end = self.position + width
        if width < 0 or end > len(self.data):
            raise CmppDecodeError("PDU body ends before its fields")
        chunk = self.data[self.position : end]
        self.position = end
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def uint(self, width: int) -> int:
        return int.from_bytes(self.take(width), "big")

    def text(self, width: int) -> str:
        return _text(self.take(width))


def timestamp_of(moment: datetime) -> str:
    """Return the MMDDHHMMSS timestamp CONNECT uses for ``moment`` (local time of the SP)."""
    return moment.strftime("%m%d%H%M%S")


def authenticator_source(source_addr: str, shared_secret: str, timestamp: str) -> bytes:
    """Return MD5(Source_Addr + 9 zero octets + shared secret + timestamp)."""
    material = source_addr.encode("ascii") + b"\x00" * 9 + shared_secret.encode("ascii")
    return hashlib.md5(material + timestamp.encode("ascii"), usedforsecurity=False).digest()


def authenticator_ismg(status: int, auth_source: bytes, shared_secret: str) -> bytes:
    """Return the gateway's answer MD5(Status + AuthenticatorSource + shared secret)."""
    material = bytes((status,)) + auth_source + shared_secret.encode("ascii")
    return hashlib.md5(material, usedforsecurity=False).digest()


@dataclass(frozen=True, slots=True)
class Connect:
    command_id: ClassVar[int] = CONNECT
    source_addr: str
    authenticator: bytes
    timestamp: int
    version: int = VERSION_2_0

    def serialize(self) -> bytes:
        return (
            _octets(self.source_addr, 6)
            + _octets(self.authenticator, 16)
            + struct.pack(">BI", self.version, self.timestamp)
        )

    @classmethod
    def parse(cls, body: bytes) -> Connect:
        r = _Reader(body)
        return cls(r.text(6), r.take(16), version=r.byte(), timestamp=r.uint(4))


@dataclass(frozen=True, slots=True)
class ConnectResp:
    command_id: ClassVar[int] = CONNECT | RESPONSE
    status: int
    authenticator: bytes
    version: int = VERSION_2_0

    def serialize(self) -> bytes:
        return bytes((self.status,)) + _octets(self.authenticator, 16) + bytes((self.version,))

    @classmethod
    def parse(cls, body: bytes) -> ConnectResp:
        r = _Reader(body)
        return cls(r.byte(), r.take(16), r.byte())


@dataclass(frozen=True, slots=True)
class Submit:
    command_id: ClassVar[int] = SUBMIT
    dest_terminal_ids: tuple[str, ...]
    content: bytes
    msg_fmt: int
    src_id: str
    msg_src: str = ""
    service_id: str = ""
    pk_total: int = 1
    pk_number: int = 1
    registered_delivery: int = 1
    tp_udhi: int = 0
    msg_level: int = 0
    fee_usertype: int = 0
    fee_terminal_id: str = ""
    tp_pid: int = 0
    fee_type: str = "01"
    fee_code: str = "000000"
    valid_time: str = ""
    at_time: str = ""
    msg_id: int = 0

    def serialize(self) -> bytes:
        if not 1 <= len(self.dest_terminal_ids) <= 100 or len(self.content) > 255:
            raise ValueError("a SUBMIT needs 1-100 destinations and at most 255 octets")
        head = struct.pack(
            ">QBBBB",
            self.msg_id,
            self.pk_total,
            self.pk_number,
            self.registered_delivery,
            self.msg_level,
        )
        head += _octets(self.service_id, 10) + bytes((self.fee_usertype,))
        head += _octets(self.fee_terminal_id, 21)
        head += bytes((self.tp_pid, self.tp_udhi, self.msg_fmt)) + _octets(self.msg_src, 6)
        head += _octets(self.fee_type, 2) + _octets(self.fee_code, 6)
        head += _octets(self.valid_time, 17) + _octets(self.at_time, 17)
        head += _octets(self.src_id, 21) + bytes((len(self.dest_terminal_ids),))
        head += b"".join(_octets(dest, 21) for dest in self.dest_terminal_ids)
        return head + bytes((len(self.content),)) + self.content + b"\x00" * 8

    @classmethod
    def parse(cls, body: bytes) -> Submit:
        r = _Reader(body)
        msg_id, pk_total, pk_number = r.uint(8), r.byte(), r.byte()
        registered, level, service = r.byte(), r.byte(), r.text(10)
        fee_usertype, fee_terminal = r.byte(), r.text(21)
        tp_pid, tp_udhi, msg_fmt, msg_src = r.byte(), r.byte(), r.byte(), r.text(6)
        fee_type, fee_code = r.text(2), r.text(6)
        valid_time, at_time, src_id = r.text(17), r.text(17), r.text(21)
        dests = tuple(r.text(21) for _ in range(r.byte()))
        content = r.take(r.byte())
        r.take(8)
        return cls(
            dests,
            content,
            msg_fmt,
            src_id,
            msg_src,
            service,
            pk_total,
            pk_number,
            registered,
            tp_udhi,
            level,
            fee_usertype,
            fee_terminal,
            tp_pid,
            fee_type,
            fee_code,
            valid_time,
            at_time,
            msg_id,
        )


@dataclass(frozen=True, slots=True)
class SubmitResp:
    command_id: ClassVar[int] = SUBMIT | RESPONSE
    msg_id: int
    result: int

    def serialize(self) -> bytes:
        return struct.pack(">QB", self.msg_id, self.result)

    @classmethod
    def parse(cls, body: bytes) -> SubmitResp:
        r = _Reader(body)
        return cls(r.uint(8), r.byte())


@dataclass(frozen=True, slots=True)
class StatusReport:
    """The content of a DELIVER with Registered_Delivery = 1 (60 octets)."""

    msg_id: int
    stat: str
    submit_time: str
    done_time: str
    dest_terminal_id: str
    smsc_sequence: int

    def serialize(self) -> bytes:
        return (
            struct.pack(">Q", self.msg_id)
            + _octets(self.stat, 7)
            + _octets(self.submit_time, 10)
            + _octets(self.done_time, 10)
            + _octets(self.dest_terminal_id, 21)
            + struct.pack(">I", self.smsc_sequence)
        )

    @classmethod
    def parse(cls, content: bytes) -> StatusReport:
        r = _Reader(content)
        return cls(r.uint(8), r.text(7), r.text(10), r.text(10), r.text(21), r.uint(4))


@dataclass(frozen=True, slots=True)
class Deliver:
    command_id: ClassVar[int] = DELIVER
    msg_id: int
    dest_id: str
    src_terminal_id: str
    content: bytes
    msg_fmt: int = 8
    registered_delivery: int = 0
    service_id: str = ""
    tp_pid: int = 0
    tp_udhi: int = 0

    def serialize(self) -> bytes:
        return (
            struct.pack(">Q", self.msg_id)
            + _octets(self.dest_id, 21)
            + _octets(self.service_id, 10)
            + bytes((self.tp_pid, self.tp_udhi, self.msg_fmt))
            + _octets(self.src_terminal_id, 21)
            + bytes((self.registered_delivery, len(self.content)))
            + self.content
            + b"\x00" * 8
        )

    @classmethod
    def parse(cls, body: bytes) -> Deliver:
        r = _Reader(body)
        msg_id, dest_id, service_id = r.uint(8), r.text(21), r.text(10)
        tp_pid, tp_udhi, msg_fmt, src = r.byte(), r.byte(), r.byte(), r.text(21)
        registered = r.byte()
        content = r.take(r.byte())
        r.take(8)
        return cls(msg_id, dest_id, src, content, msg_fmt, registered, service_id, tp_pid, tp_udhi)

    def status_report(self) -> StatusReport | None:
        """Return the status report this DELIVER carries, if it is one."""
        if self.registered_delivery != 1:
            return None
        return StatusReport.parse(self.content)


@dataclass(frozen=True, slots=True)
class DeliverResp:
    command_id: ClassVar[int] = DELIVER | RESPONSE
    msg_id: int
    result: int = 0

    def serialize(self) -> bytes:
        return struct.pack(">QB", self.msg_id, self.result)

    @classmethod
    def parse(cls, body: bytes) -> DeliverResp:
        r = _Reader(body)
        return cls(r.uint(8), r.byte())


@dataclass(frozen=True, slots=True)
class ActiveTest:
    command_id: ClassVar[int] = ACTIVE_TEST

    def serialize(self) -> bytes:
        return b""

    @classmethod
    def parse(cls, body: bytes) -> ActiveTest:  # noqa: ARG003
        return cls()


@dataclass(frozen=True, slots=True)
class ActiveTestResp:
    command_id: ClassVar[int] = ACTIVE_TEST | RESPONSE

    def serialize(self) -> bytes:
        return b"\x00"

    @classmethod
    def parse(cls, body: bytes) -> ActiveTestResp:
        # Some gateways omit the reserved octet; accept both.
        if len(body) > 1:
            raise CmppDecodeError("ACTIVE_TEST_RESP body too long")
        return cls()


@dataclass(frozen=True, slots=True)
class Terminate:
    command_id: ClassVar[int] = TERMINATE

    def serialize(self) -> bytes:
        return b""

    @classmethod
    def parse(cls, body: bytes) -> Terminate:  # noqa: ARG003
        return cls()


@dataclass(frozen=True, slots=True)
class TerminateResp:
    command_id: ClassVar[int] = TERMINATE | RESPONSE

    def serialize(self) -> bytes:
        return b""

    @classmethod
    def parse(cls, body: bytes) -> TerminateResp:  # noqa: ARG003
        return cls()


Pdu = (
    Connect
    | ConnectResp
    | Submit
    | SubmitResp
    | Deliver
    | DeliverResp
    | ActiveTest
    | ActiveTestResp
    | Terminate
    | TerminateResp
)
_PARSERS: dict[int, type[Pdu]] = {
    kind.command_id: kind
    for kind in (
        Connect,
        ConnectResp,
        Submit,
        SubmitResp,
        Deliver,
        DeliverResp,
        ActiveTest,
        ActiveTestResp,
        Terminate,
        TerminateResp,
    )
}


def encode(pdu: Pdu, sequence: int) -> bytes:
    """Frame ``pdu`` with its header."""
    body = pdu.serialize()
    return HEADER.pack(HEADER.size + len(body), pdu.command_id, sequence & 0xFFFFFFFF) + body


def decode(frame: bytes) -> tuple[int, Pdu]:
    """Return (sequence, pdu) of one whole frame; raise CmppDecodeError if malformed."""
    if len(frame) < HEADER.size:
        raise CmppDecodeError("frame shorter than the CMPP header")
    length, command_id, sequence = HEADER.unpack_from(frame)
    if length != len(frame):
        raise CmppDecodeError("Total_Length does not match the frame")
    kind = _PARSERS.get(command_id)
    if kind is None:
        raise CmppDecodeError(f"unknown Command_Id 0x{command_id:08x}")
    try:
        return sequence, kind.parse(frame[HEADER.size :])
    except (ValueError, UnicodeError, struct.error) as exc:
        if isinstance(exc, CmppDecodeError):
            raise
        raise CmppDecodeError(str(exc)) from exc


class FrameBuffer:
    """Cut a TCP byte stream into whole CMPP frames."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the frames now complete."""
        self._buffer += data
        frames: list[bytes] = []
        while len(self._buffer) >= 4:
            length = int.from_bytes(self._buffer[:4], "big")
            if length < HEADER.size or length > MAX_PDU_LENGTH:
                # The stream has lost its framing; nothing after this point can be trusted.
                self._buffer.clear()
                raise CmppDecodeError("impossible Total_Length; the stream is out of step")
            if len(self._buffer) < length:
                break
            frames.append(bytes(self._buffer[:length]))
            del self._buffer[:length]
        return frames
