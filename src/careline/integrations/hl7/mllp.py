"""MLLP framing (HL7 v2 Minimal Lower Layer Protocol): 0x0B, message, 0x1C 0x0D.

The decoder is sans-I/O: feed it bytes as they arrive, it returns whole messages. Bytes
before a start block are noise (a reconnecting peer, a keep-alive) and are dropped.
"""

from __future__ import annotations

import asyncio

START = b"\x0b"
END = b"\x1c\x0d"
MAX_MESSAGE = 1024 * 1024


class FrameTooLarge(Exception):
    """A peer sent more than MAX_MESSAGE bytes without closing the frame."""


def frame(message: bytes) -> bytes:
    """Wrap one message in MLLP start and end blocks."""
    return START + message + END


class MllpDecoder:
    """Collect bytes and yield complete MLLP payloads."""

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self._buffer = bytearray()
        self._max = max_message

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the messages they complete."""
        self._buffer += data
        messages = []
        while True:
            start = self._buffer.find(START)
            if start < 0:
                self._buffer.clear()
                break
            del self._buffer[:start]
            end = self._buffer.find(END)
            if end < 0:
                if len(self._buffer) > self._max:
                    self._buffer.clear()
                    raise FrameTooLarge()
                break
            messages.append(bytes(self._buffer[1:end]))
            del self._buffer[: end + len(END)]
        return messages


async def exchange(host: str, port: int, message: bytes, *, timeout: float = 10.0) -> bytes:
    """Send one framed message on a new connection and return the framed answer's payload."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(frame(message))
        await writer.drain()
        decoder = MllpDecoder()
        async with asyncio.timeout(timeout):
            while True:
                data = await reader.read(65536)
                if not data:
                    raise ConnectionError("the peer closed the connection without answering")
                answers = decoder.feed(data)
                if answers:
                    return answers[0]
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
