"""The work a Careline node does besides answering requests: channels and due-row workers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from careline.bootstrap import Careline, booking_policy, complaint_policy
from careline.channels.ports import InboundHandler
from careline.channels.runtime import ChannelAdapters, ChannelsRuntime
from careline.complaints.escalation import run_escalation_worker
from careline.complaints.inbound import ComplaintEmailHandler
from careline.integrations.runtime import IntegrationsRuntime
from careline.scheduling import waitlist
from careline.scheduling.email_booking import BookingMailRouter, EmailBookingHandler
from careline.voicemail.worker import doctor_upkeep

log = structlog.get_logger(__name__)


class BackgroundWork:
    """Start and stop the channels, the complaint escalation clock and the waiting list."""

    def __init__(self, careline: Careline) -> None:
        self.careline = careline
        self.channels = ChannelsRuntime(
            careline.settings, careline.uow, careline.clock, handler_factory=self._inbound
        )
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.integrations = IntegrationsRuntime(
            careline.settings, careline.uow, careline.clock, booking_policy(careline.settings)
        )

    def _inbound(self, adapters: ChannelAdapters) -> InboundHandler:
        """Route mail to bookings (at the booking address) or to complaints."""
        settings, careline = self.careline.settings, self.careline
        complaints = ComplaintEmailHandler(
            careline.uow,
            careline.clock,
            policy=complaint_policy(settings),
            max_attachment_bytes=settings.max_attachment_bytes,
        )
        if not settings.booking_email_address or adapters.email is None:
            return complaints
        bookings = EmailBookingHandler(
            careline.uow, adapters.email, careline.clock, policy=booking_policy(settings)
        )
        return BookingMailRouter(settings.booking_email_address, bookings, complaints)

    async def start(self) -> None:
        settings, careline = self.careline.settings, self.careline
        await self.channels.start()
        await self.integrations.start()
        self._tasks.append(
            asyncio.create_task(
                run_escalation_worker(
                    careline.engine,
                    careline.clock,
                    self._stop,
                    policy=complaint_policy(settings),
                    interval_seconds=settings.complaint_escalation_interval_seconds,
                )
            )
        )
        self._tasks.append(asyncio.create_task(self._every(60.0, self._expire_offers)))
        self._tasks.append(
            asyncio.create_task(
                self._every(settings.voicemail_interval_seconds, self._doctor_upkeep)
            )
        )

    async def _doctor_upkeep(self) -> None:
        await doctor_upkeep(self.careline)

    async def _expire_offers(self) -> None:
        async with self.careline.uow() as uow:
            await waitlist.expire_offers(
                uow, clock=self.careline.clock, policy=booking_policy(self.careline.settings)
            )

    async def _every(self, seconds: float, work: Callable[[], Awaitable[None]]) -> None:
        while not self._stop.is_set():
            try:
                await work()
            except Exception:  # a failed round is retried on the next one
                log.exception("background_round_failed", work=work.__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), seconds)

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 10)
        await self.integrations.stop()
        await self.channels.stop()
