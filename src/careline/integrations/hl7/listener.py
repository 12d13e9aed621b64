"""The MLLP listener: an asyncio TCP server answering each framed message with its ACK."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from careline.integrations.hl7.mllp import FrameTooLarge, MllpDecoder, frame

log = structlog.get_logger(__name__)

MessageHandler = Callable[[bytes], Awaitable[bytes]]


class MllpListener:
    """Accept HIS connections; messages on one connection are applied one after another."""

    def __init__(self, handler: MessageHandler, host: str, port: int) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    @property
    def port(self) -> int:
        """The bound port (useful when 0 asked for a free one)."""
        if self._server is None or not self._server.sockets:
            return self._port
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(self._serve, self._host, self._port)
        log.info("hl7.listening", host=self._host, port=self.port)

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._server is not None:
            self._server.close()
            # Closing a connection ends its read loop; a message being applied finishes first.
            for writer in list(self._connections.values()):
                writer.close()
            if self._connections:
                await asyncio.wait(list(self._connections), timeout=5)
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        decoder = MllpDecoder()
        try:
            while data := await reader.read(65536):
                for message in decoder.feed(data):
                    writer.write(frame(await self._handler(message)))
                    await writer.drain()
        except FrameTooLarge:
            log.warning("hl7.frame_too_large")
        except (ConnectionError, OSError):
            pass
        except Exception:  # noqa: BLE001 - unanswered, the HIS resends on a new connection
            log.exception("hl7.connection_failed")
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
