"""A raw UDP SIP client for loopback tests: send exact bytes, read exact answers."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

SDP = (
    "v=0\r\no=raw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio {port} RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na={direction}\r\n"
)


class RawSip(asyncio.DatagramProtocol):
    """Send datagrams to the server and queue what comes back."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()
        self.transport: Any = None
        self.port = 0

    @classmethod
    async def open(cls) -> RawSip:
        loop = asyncio.get_running_loop()
        _, client = await loop.create_datagram_endpoint(cls, local_addr=("127.0.0.1", 0))
        return client

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.port = int(transport.get_extra_info("sockname")[1])

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received.put_nowait(data)

    def send(self, data: bytes, server: tuple[str, int]) -> None:
        self.transport.sendto(data, server)

    async def next(self, timeout: float = 3.0) -> bytes | None:
        """Return the next datagram, or None when nothing came in time."""
        try:
            return await asyncio.wait_for(self.received.get(), timeout)
        except TimeoutError:
            return None

    async def first(self, prefix: bytes, timeout: float = 3.0) -> bytes | None:
        """Skip other messages until one starting with ``prefix``; None if none came in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            data = await self.next(left)
            if data is None:
                break
            if data.startswith(prefix):
                return data
        return None

    async def expect(self, status: str, timeout: float = 3.0) -> bytes:
        """Skip other datagrams until a response whose status line starts with status."""
        data = await self.first(f"SIP/2.0 {status}".encode(), timeout)
        if data is None:
            raise AssertionError(f"no {status} response")
        return data

    def close(self) -> None:
        self.transport.close()


class Dialogue:
    """Requests of one call from the raw client, with the headers kept consistent."""

    def __init__(self, client: RawSip, server: tuple[str, int], *, user: str = "100") -> None:
        self.client = client
        self.server = server
        self.call_id = secrets.token_hex(8)
        self.from_tag = secrets.token_hex(4)
        self.to_tag = ""
        self.user = user
        self.cseq = 0

    def request(
        self,
        method: str,
        *,
        body: str = "",
        branch: str | None = None,
        cseq: int | None = None,
        extra: str = "",
    ) -> bytes:
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        to = f"<sip:{self.user}@127.0.0.1>" + (f";tag={self.to_tag}" if self.to_tag else "")
        content = "Content-Type: application/sdp\r\n" if body else ""
        return (
            f"{method} sip:{self.user}@{self.server[0]}:{self.server[1]} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.client.port};"
            f"branch={branch or 'z9hG4bK' + secrets.token_hex(6)};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:13800000000@127.0.0.1>;tag={self.from_tag}\r\n"
            f"To: {to}\r\n"
            f"Call-ID: {self.call_id}\r\n"
            f"CSeq: {cseq} {method}\r\n"
            f"Contact: <sip:raw@127.0.0.1:{self.client.port}>\r\n"
            f"{extra}{content}Content-Length: {len(body.encode())}\r\n\r\n{body}"
        ).encode()

    def send(self, data: bytes) -> bytes:
        self.client.send(data, self.server)
        return data

    def learn_tag(self, response: bytes) -> None:
        """Remember the server's To tag from a response."""
        for line in response.decode().split("\r\n"):
            if line.lower().startswith("to:") and "tag=" in line:
                self.to_tag = line.split("tag=", 1)[1].split(";", 1)[0].strip()

    def ack(self, cseq: int, branch: str | None = None) -> bytes:
        return self.send(self.request("ACK", cseq=cseq, branch=branch))


def sdp(port: int = 40000, direction: str = "sendrecv") -> str:
    return SDP.format(port=port, direction=direction)


def header(response: bytes, name: str) -> str:
    """Return a header's value from raw response bytes."""
    for line in response.decode(errors="replace").split("\r\n"):
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return ""
