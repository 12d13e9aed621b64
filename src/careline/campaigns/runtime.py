"""Start and stop the campaign worker inside ``careline serve``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import structlog

from careline.campaigns.dialer import CampaignDialer
from careline.campaigns.policy import campaign_policy
from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.telephony.server import VoiceServer

log = structlog.get_logger(__name__)


def recordings_dir(settings: Settings) -> Path:
    """Where survey comments recorded on calls are kept."""
    return settings.data_dir / "campaign-recordings"


class CampaignWorker:
    """The dialler as a background task: messages always, calls when a voice line is given.

    ``voice`` is the line calls go out on: the phone line itself with one voice process, the
    outbound line with several (``telephony/outbound_line.py``), None without a trunk.
    """

    def __init__(
        self,
        settings: Settings,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        *,
        voice: VoiceServer | None,
    ) -> None:
        self._settings, self._uow_factory, self._clock = settings, uow_factory, clock
        self._messages = bool(settings.sms_provider or settings.smtp_host)
        self.dialer = self._dialer(voice)
        self._task: asyncio.Task[None] | None = None
        self._enabled = voice is not None or self._messages

    def _dialer(self, voice: VoiceServer | None) -> CampaignDialer:
        return CampaignDialer(
            self._uow_factory,
            self._clock,
            campaign_policy(self._settings),
            voice=voice,
            messages=self._messages,
            recordings=recordings_dir(self._settings),
            interval=self._settings.campaign_interval_seconds,
        )

    async def start(self) -> None:
        """Start claiming due attempts (nothing to do without a trunk or a channel)."""
        if self._enabled:
            self._task = asyncio.create_task(self.dialer.run())
            log.info("campaign_worker_started", worker=self.dialer.worker_id)

    async def stop(self) -> None:
        """Stop claiming and let the calls in progress finish."""
        if self._task is not None:
            await self.dialer.stop()
            await self._task
            self._task = None
