"""Which voice worker owns a SIP datagram: Call-ID extraction, hashing and pinning, no I/O.

The front on the SIP port reads only the Call-ID (long form ``Call-ID:`` or compact
``i:``, RFC 3261 §7.3.3) from the header part of each datagram; a full parse would cost
as much as the worker's own. New dialogs go to ``crc32(Call-ID) % workers``: stable
across processes and restarts, unlike Python's salted ``hash``. Dialogs a worker starts
itself (outbound calls, which pick their own Call-ID) are pinned to that worker when
their hash points elsewhere, so the answers find their way back.

Between the front and a worker every datagram travels in an envelope: one ASCII line
``HOST PORT`` naming the phone's address (``HOST PORT tcp`` for a message that came, or
must go, over the phone's TCP connection to the front), then the SIP bytes unchanged.
Three control messages travel on the same sockets: ``HELLO k`` (a worker announces itself),
``BINDING`` with a registrar change on the next line (shared between workers) and
``REPORT`` with the worker's figures on the next line (``telephony.line_report``).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import NamedTuple

Address = tuple[str, int]

_CALL_ID = re.compile(rb"^(?:call-id|i)[ \t]*:[ \t]*([^\s]+)", re.IGNORECASE | re.MULTILINE)
HELLO = b"HELLO "
BINDING = b"BINDING\n"
REPORT = b"REPORT\n"


def call_id_of(data: bytes) -> bytes | None:
    """Return the Call-ID of a SIP datagram, or None when its headers carry none."""
    end = data.find(b"\r\n\r\n")
    match = _CALL_ID.search(data, 0, len(data) if end < 0 else end)
    return match.group(1) if match else None


def owner_by_hash(call_id: bytes, workers: int) -> int:
    """Return the worker a new dialog with this Call-ID goes to."""
    return zlib.crc32(call_id) % workers


def is_request(data: bytes) -> bool:
    """Return True for a request (a response starts with the SIP version)."""
    return not data.startswith(b"SIP/2.0 ")


class Envelope(NamedTuple):
    """A SIP message between the front and a worker, with the phone's address."""

    peer: Address
    payload: bytes
    stream: bool = False  # over the phone's TCP connection, not UDP


def wrap(peer: Address, payload: bytes, *, stream: bool = False) -> bytes:
    """Put a message and the phone's address into an envelope."""
    tag = b" tcp" if stream else b""
    return b"%s %d%s\n%s" % (peer[0].encode("ascii"), peer[1], tag, payload)


def unwrap(data: bytes) -> Envelope | None:
    """Return the envelope in ``data``, or None if it is not one."""
    newline = data.find(b"\n", 0, 72)
    if newline < 0:
        return None
    host, _, rest = data[:newline].partition(b" ")
    port, _, tag = rest.partition(b" ")
    if not port.isdigit() or not host or tag not in (b"", b"tcp"):
        return None
    peer = (host.decode("ascii", "replace"), int(port))
    return Envelope(peer, data[newline + 1 :], tag == b"tcp")


def hello(index: int) -> bytes:
    """Return the message a worker sends the front to announce its relay socket."""
    return HELLO + str(index).encode("ascii")


def hello_index(data: bytes) -> int | None:
    """Return the worker index of a hello message, or None for anything else."""
    if not data.startswith(HELLO):
        return None
    digits = data[len(HELLO) :]
    return int(digits) if digits.isdigit() else None


def binding_message(change: bytes) -> bytes:
    """Return the message carrying an encoded registrar change."""
    return BINDING + change


def binding_of(data: bytes) -> bytes | None:
    """Return the encoded registrar change a message carries, or None for anything else."""
    return data[len(BINDING) :] if data.startswith(BINDING) else None


def report_message(report: bytes) -> bytes:
    """Return the message carrying a worker's encoded figures."""
    return REPORT + report


def report_of(data: bytes) -> bytes | None:
    """Return the encoded figures a message carries, or None for anything else."""
    return data[len(REPORT) :] if data.startswith(REPORT) else None


@dataclass
class Dispatcher:
    """Route datagrams between the SIP port and ``workers`` voice workers."""

    workers: int
    pin_idle_seconds: float = 3700.0
    _pins: dict[bytes, tuple[int, float]] = field(default_factory=dict)
    routed: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError("at least one voice worker is needed")
        self.routed = [0] * self.workers

    def inbound(self, data: bytes, now: float) -> int | None:
        """Return the worker for a datagram from a phone, or None to drop it."""
        call_id = call_id_of(data)
        if call_id is None:
            return None  # keep-alives (CRLF) and garbage: nothing a worker could answer
        pinned = self._pins.get(call_id)
        if pinned is not None:
            self._pins[call_id] = (pinned[0], now)
            worker = pinned[0]
        else:
            worker = owner_by_hash(call_id, self.workers)
        self.routed[worker] += 1
        return worker

    def outbound(self, worker: int, data: bytes, now: float) -> None:
        """Note a datagram a worker sends; pin the dialogs it starts under a foreign hash."""
        if not is_request(data):
            return
        call_id = call_id_of(data)
        if call_id is None:
            return
        if call_id in self._pins:
            self._pins[call_id] = (worker, now)
        elif owner_by_hash(call_id, self.workers) != worker:
            self._pins[call_id] = (worker, now)

    def prune(self, now: float) -> int:
        """Forget pins idle for longer than ``pin_idle_seconds``; return how many went."""
        stale = [key for key, (_, seen) in self._pins.items() if now - seen > self.pin_idle_seconds]
        for key in stale:
            del self._pins[key]
        return len(stale)

    @property
    def pinned(self) -> int:
        """Return how many dialogs are pinned."""
        return len(self._pins)


__all__ = [
    "Dispatcher",
    "Envelope",
    "binding_message",
    "binding_of",
    "call_id_of",
    "hello",
    "hello_index",
    "report_message",
    "report_of",
    "is_request",
    "owner_by_hash",
    "unwrap",
    "wrap",
]
