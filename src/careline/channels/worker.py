"""The delivery worker: every few seconds, send what is due on each channel.

Runs in the worker role (``careline serve --role worker``). Several workers may run at
once: claiming leases rows (and skips locked ones on PostgreSQL), so none is sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

import structlog

from careline.channels import service
from careline.channels.model import Channel, RetryPolicy, TokenBucket
from careline.channels.service import Deliver
from careline.db.uow import UnitOfWorkFactory
from careline.kit.clock import Clock

log = structlog.get_logger(__name__)


class DeliveryWorker:
    """Deliver due messages of every configured channel, each under its own rate limit."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        deliveries: Mapping[Channel, Deliver],
        *,
        clock: Clock,
        rates: Mapping[Channel, TokenBucket] | None = None,
        policy: RetryPolicy | None = None,
        interval: float = 2.0,
    ) -> None:
        self.uow_factory = uow_factory
        self.deliveries = dict(deliveries)
        self.clock = clock
        self.rates = dict(rates or {})
        self.policy = policy or RetryPolicy()
        self.interval = interval

    async def run_once(self) -> dict[Channel, service.DeliveryRound]:
        """Run one delivery round on every channel."""
        rounds: dict[Channel, service.DeliveryRound] = {}
        for channel, deliver in self.deliveries.items():
            async with self.uow_factory() as uow:
                rounds[channel] = await service.deliver_due_messages(
                    uow,
                    channel=channel,
                    deliver=deliver,
                    clock=self.clock,
                    policy=self.policy,
                    bucket=self.rates.get(channel),
                )
        async with self.uow_factory() as uow:
            await service.purge_stale_receipts(uow, clock=self.clock)
        return rounds

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; a failing round is logged and retried later."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # the database may be briefly away; rows wait for next round
                log.exception("channel_delivery_round_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
