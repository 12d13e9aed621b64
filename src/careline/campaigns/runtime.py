"""Start and stop the campaign worker inside ``careline serve``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import structlog

from careline.campaigns.dialer import CampaignDialer
from careline.campaigns.policy import campaign_policy
from careline.campaigns.voice_line import start_campaign_line
from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.telephony.server import VoiceServer

log = structlog.get_logger(__name__)


def recordings_dir(settings: Settings) -> Path:
    """Where survey comments recorded on calls are kept."""
    return settings.data_dir / "campaign-recordings"


class CampaignWorker:
    """The dialler as a background task: messages always, calls when a trunk is given.

    ``own_line`` (voice in worker processes): calls go through a voice server of the
    campaigns' own, started here on ``CARELINE_CAMPAIGN_SIP_PORT`` (see ``voice_line.py``).
    """

    def __init__(
        self,
        settings: Settings,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        *,
        voice: VoiceServer | None,
        own_line: bool = False,
    ) -> None:
        self._settings, self._uow_factory, self._clock = settings, uow_factory, clock
        self._messages = bool(settings.sms_provider or settings.smtp_host)
        self._own_line = own_line and voice is None and settings.trunk_configured
        self._line: VoiceServer | None = None
        self.dialer = self._dialer(voice)
        self._task: asyncio.Task[None] | None = None
        self._enabled = voice is not None or self._messages or self._own_line

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

    @property
    def line(self) -> VoiceServer | None:
        """The campaigns' own voice server, when one was started."""
        return self._line

    async def start(self) -> None:
        """Start claiming due attempts (nothing to do without a trunk or a channel)."""
        if self._own_line:
            try:
                self._line = await start_campaign_line(self._settings)
            except OSError:
                # A fixed CARELINE_CAMPAIGN_SIP_PORT already taken: SMS and email still go.
                log.error("campaign_line_failed", port=self._settings.campaign_sip_port)
            else:
                self.dialer = self._dialer(self._line)
        if self._enabled:
            self._task = asyncio.create_task(self.dialer.run())
            log.info("campaign_worker_started", worker=self.dialer.worker_id)

    async def stop(self) -> None:
        """Stop claiming, let the calls in progress finish, then close the own line."""
        if self._task is not None:
            await self.dialer.stop()
            await self._task
            self._task = None
        if self._line is not None:
            await self._line.stop()
            self._line = None
