"""What ``careline serve`` runs for the HIS when configured: the HL7 listener, the SIU
sender, the FHIR sync and the FHIR booking push."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.integrations.fhir.client import FhirClient
from careline.integrations.fhir.push import FhirPusher
from careline.integrations.fhir.sync import FhirSync
from careline.integrations.hl7.inbound import Hl7Inbound
from careline.integrations.hl7.listener import MllpListener
from careline.integrations.hl7.outbound import Hl7Sender
from careline.integrations.settings import booking_rules, inbound_config, sender_config
from careline.kit.clock import Clock
from careline.scheduling.model import BookingPolicy

log = structlog.get_logger(__name__)


class IntegrationsRuntime:
    """Start the adapters the settings configure; each is off while its host/URL is empty."""

    def __init__(
        self,
        settings: Settings,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        policy: BookingPolicy,
    ) -> None:
        self._settings = settings
        self._uow = uow_factory
        self._clock = clock
        self._policy = policy
        self._listener: MllpListener | None = None
        self._client: FhirClient | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()

    async def start(self) -> None:
        """Start the configured adapters."""
        settings = self._settings
        if settings.his_mllp_port:
            inbound = Hl7Inbound(self._uow, self._clock, inbound_config(settings, self._policy))
            self._listener = MllpListener(
                inbound.handle, settings.his_mllp_host, settings.his_mllp_port
            )
            await self._listener.start()
        if settings.his_send_host:
            sender = Hl7Sender(self._uow, self._clock, sender_config(settings))
            self._spawn(settings.his_send_interval_seconds, sender.run_once)
        if settings.his_fhir_url:
            self._client = FhirClient(settings.his_fhir_url, token=settings.his_fhir_token)
            sync = FhirSync(self._uow, self._client, self._clock)

            rules = booking_rules(settings, self._clock, self._policy)

            async def refresh() -> None:
                await sync.sync_directory()
                await sync.sync_patients()
                if settings.his_fhir_pull_appointments:
                    await sync.sync_appointments(rules)

            self._spawn(settings.his_fhir_sync_interval_seconds, refresh)
            if settings.his_fhir_push_bookings:
                pusher = FhirPusher(self._uow, self._client, self._clock)
                self._spawn(settings.his_send_interval_seconds, pusher.run_once)

    def _spawn(self, seconds: float, work: Callable[[], Awaitable[object]]) -> None:
        self._tasks.append(asyncio.create_task(self._every(seconds, work)))

    async def _every(self, seconds: float, work: Callable[[], Awaitable[object]]) -> None:
        while not self._stop.is_set():
            try:
                await work()
            except Exception:  # noqa: BLE001 - a failed round is retried on the next one
                log.exception("his_round_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), seconds)

    async def stop(self) -> None:
        """Stop everything started."""
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 10)
        if self._listener is not None:
            await self._listener.stop()
        if self._client is not None:
            await self._client.aclose()
