"""Loopback ports for the servers and phones tests start."""

from __future__ import annotations

import random
import socket

# Below Linux's ephemeral range (32768-60999) and Careline's default RTP range (20000+):
# a port handed out here is not taken meanwhile by some client socket bound to port 0.
_TEST_PORTS = range(10000, 19900)


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """Return a port that is free on 127.0.0.1 for UDP and TCP right now."""
    while True:
        port = random.choice(_TEST_PORTS)
        try:
            for each in (
                kind,
                socket.SOCK_STREAM if kind == socket.SOCK_DGRAM else socket.SOCK_DGRAM,
            ):
                with socket.socket(socket.AF_INET, each) as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port


def free_port_range(size: int = 10) -> tuple[int, int]:
    """Return an even-aligned UDP port range that is free now."""
    for _ in range(200):
        start = free_port() & ~1
        ports = range(start, start + size)
        sockets = []
        try:
            for port in ports:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return start, start + size - 1
    raise RuntimeError("no free port range")
