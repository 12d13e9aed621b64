"""Cut a SIP byte stream (TCP) into messages by Content-Length (RFC 3261 §18.3).

Over a stream, Content-Length is mandatory and is the only way to find where a message
ends. A peer that sends headers without an end, or announces an oversized body, is hostile
or broken: ``feed`` raises and the shell drops the connection. CRLF keep-alives between
messages (RFC 5626 §4.4.1) are skipped.
"""

from __future__ import annotations

MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024


class FramingError(ValueError):
    """The stream cannot be cut into SIP messages; close the connection."""


def _content_length(header: bytes) -> int:
    for line in header.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            text = value.strip()
            if not text.isdigit():
                raise FramingError("bad Content-Length")
            return int(text)
    raise FramingError("no Content-Length on a stream transport")


class StreamFramer:
    """Accumulate bytes from one connection and hand out whole messages."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the complete messages now available."""
        self._buffer += data
        messages: list[bytes] = []
        while True:
            while self._buffer[:2] == b"\r\n":
                del self._buffer[:2]
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEADER_BYTES:
                    raise FramingError("header section too long")
                return messages
            if end > MAX_HEADER_BYTES:
                raise FramingError("header section too long")
            length = _content_length(bytes(self._buffer[:end]))
            if length > MAX_BODY_BYTES:
                raise FramingError("body too long")
            total = end + 4 + length
            if len(self._buffer) < total:
                return messages
            messages.append(bytes(self._buffer[:total]))
            del self._buffer[:total]


__all__ = ["FramingError", "StreamFramer"]
