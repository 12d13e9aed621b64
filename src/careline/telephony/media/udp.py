"""Connected RTP sockets: a call's socket follows the remote that symmetric RTP latched to.

Once a stream has latched (see ``StreamCore._latch``), its RTP socket is ``connect``-ed to
that address. The kernel then drops datagrams from every other source before they reach
Careline (the core refused them anyway), and each send skips the route lookup and the
address conversion of ``sendto``: 3.1-3.2 µs of CPU per packet instead of 4.3 µs through the
event loop's transport (``bench/rtp_send_cost.py``). When a re-INVITE moves the media the
stream must hear new sources again, so the socket is disconnected: ``connect`` with an
``AF_UNSPEC`` address (POSIX), which Python's ``socket.connect`` cannot express and is
called through libc. Where libc is not found, streams are never connected.

Sockets must be bound to an explicit port (the engine binds each pair from its range):
Linux keeps an explicitly bound port across a disconnect, but not an ephemeral one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
from collections.abc import Callable


class _Unspecified(ctypes.Structure):
    _fields_ = [("family", ctypes.c_ushort), ("data", ctypes.c_char * 14)]


def _libc_connect() -> Callable[..., int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    except OSError:
        return None
    connect = libc.connect
    connect.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint]
    connect.restype = ctypes.c_int
    return connect


_CONNECT = _libc_connect()
_UNSPECIFIED = _Unspecified(socket.AF_UNSPEC)

CAN_DISCONNECT = _CONNECT is not None


def disconnect(sock: socket.socket) -> None:
    """Dissolve the socket's association: it hears every source again."""
    if _CONNECT is None:
        raise OSError("disconnecting a UDP socket needs libc")
    if _CONNECT(sock.fileno(), ctypes.byref(_UNSPECIFIED), ctypes.sizeof(_UNSPECIFIED)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
