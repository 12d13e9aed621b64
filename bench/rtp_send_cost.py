"""What one RTP packet costs to send on this machine, by each way Careline could send it.

The media tick sends one 172-byte packet per stream from that stream's own socket. This
measures, per packet, over N sockets sending to one loopback sink: the uvloop transport
(what the engine did before its sockets followed the latched remote), ``socket.sendto`` on
the same sockets, ``sendto`` called through ctypes, ``send`` on sockets connected to the sink
(what the engine does once symmetric RTP has latched, ``media/udp.py``), and ``sendmmsg`` of
N packets in one call on one socket (the batching that a single RTP socket per worker would
allow). CPU time (``process_time``), so other work on the
machine counts less than it would in wall time.

    .venv/bin/python bench/rtp_send_cost.py --sockets 1000 --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import socket
import time
from collections.abc import Callable

import uvloop

PACKET = b"\x80\x08" + b"\x00" * 170


class _SockaddrIn(ctypes.Structure):
    _fields_ = [
        ("family", ctypes.c_ushort),
        ("port", ctypes.c_uint16),
        ("addr", ctypes.c_uint32),
        ("zero", ctypes.c_char * 8),
    ]


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class _Msghdr(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_void_p),
        ("namelen", ctypes.c_uint32),
        ("iov", ctypes.POINTER(_Iovec)),
        ("iovlen", ctypes.c_size_t),
        ("control", ctypes.c_void_p),
        ("controllen", ctypes.c_size_t),
        ("flags", ctypes.c_int),
    ]


class _Mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", _Msghdr), ("len", ctypes.c_uint)]


def _per_packet(send_all: Callable[[], object], packets: int, rounds: int) -> float:
    start = time.process_time()
    for _ in range(rounds):
        send_all()
    return (time.process_time() - start) / (packets * rounds) * 1e6


def _sendmmsg(fd: int, target: _SockaddrIn, count: int) -> Callable[[], object]:
    """Return a call that sends ``count`` packets to ``target`` with one sendmmsg."""
    libc = ctypes.CDLL(None, use_errno=True)
    data = ctypes.create_string_buffer(PACKET * count)
    iovecs = (_Iovec * count)()
    messages = (_Mmsghdr * count)()
    for i in range(count):
        iovecs[i].base = ctypes.addressof(data) + len(PACKET) * i
        iovecs[i].len = len(PACKET)
        messages[i].hdr.name = ctypes.addressof(target)
        messages[i].hdr.namelen = ctypes.sizeof(target)
        messages[i].hdr.iov = ctypes.pointer(iovecs[i])
        messages[i].hdr.iovlen = 1
    sendmmsg = libc.sendmmsg
    return lambda: sendmmsg(fd, messages, count, 0)


async def measure(sockets: int, rounds: int) -> dict[str, float]:
    """Return microseconds of CPU per packet for each way of sending."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    host, port = sink.getsockname()
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(sockets)]
    loop = asyncio.get_running_loop()
    transports = []
    for sock in socks:
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, sock=sock)
        transports.append(transport)
    # The address in network byte order, stored as its bytes are (this machine is little-endian).
    address = int.from_bytes(socket.inet_aton(host), "little")
    target = _SockaddrIn(socket.AF_INET, socket.htons(port), address)
    libc_sendto = ctypes.CDLL(None, use_errno=True).sendto
    fds = [sock.fileno() for sock in socks]
    size = ctypes.sizeof(target)

    def by_transport() -> None:
        for transport in transports:
            transport.sendto(PACKET, (host, port))

    ways: dict[str, Callable[[], object]] = {
        "uvloop_transport_sendto": by_transport,
        "socket_sendto": lambda: [s.sendto(PACKET, (host, port)) for s in socks],
        "ctypes_sendto": lambda: [
            libc_sendto(fd, PACKET, len(PACKET), 0, ctypes.byref(target), size) for fd in fds
        ],
        "sendmmsg_one_socket": _sendmmsg(fds[0], target, sockets),
    }
    if ways["sendmmsg_one_socket"]() != sockets:
        raise OSError(ctypes.get_errno(), "sendmmsg did not send every packet")
    try:
        costs = {name: round(_per_packet(way, sockets, rounds), 2) for name, way in ways.items()}
        for sock in socks:
            sock.connect((host, port))
        connected = _per_packet(lambda: [s.send(PACKET) for s in socks], sockets, rounds)
        return {**costs, "connected_socket_send": round(connected, 2)}
    finally:
        for transport in transports:
            transport.close()
        sink.close()


def main() -> None:
    """Print microseconds of CPU per packet sent, for each way."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(uvloop.run(measure(args.sockets, args.rounds)))  # noqa: T201 - the bench's output


if __name__ == "__main__":
    main()
