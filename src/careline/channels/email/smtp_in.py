"""Incoming mail by SMTP (aiosmtpd) on the same event loop as the rest of Careline.

A message is answered 250 only after it is stored; if storing fails the client gets 451
and keeps the message to try again, so nothing is lost between the two servers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

log = structlog.get_logger(__name__)

MessageCallback = Callable[[bytes], Awaitable[None]]
DEFAULT_DATA_SIZE_LIMIT = 50 * 1024 * 1024


class _StoreHandler:
    """aiosmtpd handler: pass the raw DATA to the callback."""

    def __init__(self, on_message: MessageCallback, domains: frozenset[str]) -> None:
        self.on_message = on_message
        self.domains = domains

    async def handle_RCPT(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        del server, session, rcpt_options
        # Only the hospital's own addresses: storing mail for any domain invites spam.
        domain = address.rpartition("@")[2].lower()
        if self.domains and domain not in self.domains:
            return "550 5.1.1 Mailbox not served here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        del server, session
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        try:
            await self.on_message(raw)
        except Exception:  # the sending server keeps the mail and retries on 4xx
            log.exception("channel_smtp_store_failed")
            return "451 Requested action aborted: local error in processing"
        return "250 Message accepted for delivery"


class SmtpReceiver:
    """An SMTP server that hands every received message to ``on_message``.

    ``accepted_domains`` limits recipients to the hospital's domains (empty: any).
    """

    def __init__(
        self,
        on_message: MessageCallback,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        hostname: str = "careline",
        data_size_limit: int = DEFAULT_DATA_SIZE_LIMIT,
        accepted_domains: frozenset[str] = frozenset(),
    ) -> None:
        self.host = host
        self.port = port
        self._handler = _StoreHandler(on_message, frozenset(d.lower() for d in accepted_domains))
        self._hostname = hostname
        self._limit = data_size_limit
        self._server: asyncio.Server | None = None

    def _protocol(self) -> SMTP:
        return SMTP(
            self._handler,
            hostname=self._hostname,
            data_size_limit=self._limit,
            decode_data=False,
            enable_SMTPUTF8=True,
        )

    async def start(self) -> int:
        """Listen; return the bound port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        """Stop listening and wait for the server to close."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
