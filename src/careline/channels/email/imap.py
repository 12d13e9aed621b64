"""Incoming mail by IMAP polling (aioimaplib): fetch unseen messages, store, then mark seen.

A message is flagged \\Seen only after the callback stored it, so a crash between fetch
and store means it is fetched again on the next poll rather than lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aioimaplib  # type: ignore[import-untyped]
import structlog

log = structlog.get_logger(__name__)

MessageCallback = Callable[[bytes], Awaitable[None]]
_FETCH_UID = re.compile(rb"UID (\d+)")


class ImapError(RuntimeError):
    """The IMAP server refused a command; the text says which."""


@dataclass(frozen=True, slots=True)
class ImapConfig:
    """The mailbox Careline polls."""

    host: str
    port: int
    username: str
    password: str
    mailbox: str = "INBOX"
    use_tls: bool = False
    timeout: float = 30.0


def _check(response: aioimaplib.Response, what: str) -> list[bytes]:
    if response.result != "OK":
        raise ImapError(f"IMAP {what} failed: {response.result}")
    return [line if isinstance(line, bytes) else bytes(line) for line in response.lines]


class ImapPoller:
    """Poll one mailbox for unseen mail."""

    def __init__(self, config: ImapConfig, on_message: MessageCallback) -> None:
        self.config = config
        self.on_message = on_message

    async def poll_once(self) -> int:
        """Fetch every unseen message, hand it on and flag it seen; return how many."""
        context = ssl.create_default_context() if self.config.use_tls else None
        client = aioimaplib.IMAP4(
            host=self.config.host,
            port=self.config.port,
            timeout=self.config.timeout,
            ssl_context=context,
        )
        await client.wait_hello_from_server()
        try:
            _check(await client.login(self.config.username, self.config.password), "LOGIN")
            _check(await client.select(self.config.mailbox), "SELECT")
            found = _check(await client.uid_search("UNSEEN", charset=None), "SEARCH")
            uids = [uid.decode() for line in found[:1] for uid in line.split()]
            for uid in uids:
                await self._take(client, uid)
            return len(uids)
        finally:
            with contextlib.suppress(Exception):
                await client.logout()

    async def _take(self, client: aioimaplib.IMAP4, uid: str) -> None:
        lines = _check(await client.uid("fetch", uid, "(BODY.PEEK[])"), "FETCH")
        # aioimaplib returns the literal (the message) as its own line after the FETCH line.
        raw = next((line for line in lines[1:2] if line), None)
        if raw is None:
            log.warning("channel_imap_empty_fetch", uid=uid)
            return
        await self.on_message(raw)
        _check(await client.uid("store", uid, "+FLAGS.SILENT", r"(\Seen)"), "STORE")

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Poll every ``interval`` seconds until ``stop`` is set; errors wait for next poll."""
        while not stop.is_set():
            try:
                await self.poll_once()
            except (ImapError, aioimaplib.AioImapException, OSError, TimeoutError) as exc:
                log.warning("channel_imap_poll_failed", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
