"""A thin asyncio shell shared by the SMPP and CMPP clients: one TCP link, requests
matched to responses by sequence number, a reader task that hands frames to the protocol.

A link that times out or receives bytes it cannot decode is dropped and every request in
flight fails with a retryable ``SendFailed``; the next send opens a new link. Nothing is
lost: the caller's message stays queued in the database until a response accepts it.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import itertools
from collections.abc import Awaitable
from typing import Any

import structlog

from careline.channels.errors import SendFailed

log = structlog.get_logger(__name__)


class PduLink(abc.ABC):
    """Own one connection to an SMSC/ISMG; subclasses speak the protocol."""

    def __init__(self, host: str, port: int, *, timeout: float, keepalive: float) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.keepalive = keepalive
        self._sequences = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()

    def next_sequence(self) -> int:
        """Return a fresh sequence number for a request."""
        return next(self._sequences) & 0x7FFFFFFF

    @property
    def is_open(self) -> bool:
        """Tell whether the link is connected and logged in."""
        return self._writer is not None and not self._writer.is_closing()

    async def ensure_open(self) -> None:
        """Connect and log in unless already done."""
        async with self._lock:
            if self.is_open:
                return
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), self.timeout
                )
            except (OSError, TimeoutError) as exc:
                raise SendFailed(f"cannot connect to the SMS gateway: {exc}") from exc
            self._writer = writer
            self._tasks = [asyncio.create_task(self._read_loop(reader))]
            try:
                await self.login()
            except BaseException:
                await self.close()
                raise
            if self.keepalive > 0:
                self._tasks.append(asyncio.create_task(self._keepalive_loop()))

    def write(self, frame: bytes) -> None:
        """Queue ``frame`` on the link."""
        if self._writer is None:
            raise SendFailed("the SMS gateway link is closed")
        self._writer.write(frame)

    async def request(self, frame: bytes, sequence: int) -> Any:
        """Send a request frame and wait for the response with the same sequence."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[sequence] = future
        try:
            self.write(frame)
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError as exc:
            # A gateway that stops answering may still have the request; drop the link so
            # a late response cannot be matched to a reused sequence number.
            await self.close()
            raise SendFailed("the SMS gateway did not answer in time") from exc
        finally:
            self._pending.pop(sequence, None)

    def resolve(self, sequence: int, value: Any) -> None:
        """Complete the request waiting on ``sequence``; late answers are dropped."""
        future = self._pending.get(sequence)
        if future is not None and not future.done():
            future.set_result(value)

    async def pass_on(self, delivery: Awaitable[None]) -> bool:
        """Run a receipt/inbound callback; tell whether it succeeded (and may be acknowledged)."""
        try:
            await delivery
        except Exception:  # a database hiccup must not take the link down
            log.exception("sms_link_delivery_failed", host=self.host)
            return False
        return True

    def _fail_pending(self, reason: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(SendFailed(reason))

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        reason = "the SMS gateway closed the link"
        try:
            while data := await reader.read(65536):
                for frame in self.split_frames(data):
                    await self.handle_frame(frame)
        except ValueError as exc:
            reason = f"the SMS gateway sent a malformed PDU: {exc}"
            log.warning("sms_link_malformed", host=self.host, error=str(exc))
        except OSError as exc:
            reason = f"the SMS gateway link failed: {exc}"
        self._fail_pending(reason)
        self._drop_writer()

    async def _keepalive_loop(self) -> None:
        while self.is_open:
            await asyncio.sleep(self.keepalive)
            with contextlib.suppress(SendFailed):
                await self.ping()

    def _drop_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def close(self) -> None:
        """Drop the link without a goodbye; pending requests fail."""
        self._fail_pending("the SMS gateway link was closed")
        self._drop_writer()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._tasks = []

    @abc.abstractmethod
    def split_frames(self, data: bytes) -> list[bytes]:
        """Cut received bytes into whole frames; raise ValueError if the stream is broken."""

    @abc.abstractmethod
    async def handle_frame(self, frame: bytes) -> None:
        """Act on one frame: resolve a request or answer the gateway's own request."""

    @abc.abstractmethod
    async def login(self) -> None:
        """Authenticate on a fresh connection; raise SendFailed when refused."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Send a keep-alive request."""
