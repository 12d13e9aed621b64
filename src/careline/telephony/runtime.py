"""Start the phone line for ``careline serve``: settings in, a running VoiceServer out."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from careline.telephony.calls import Flow, QueuePort, Speaker
from careline.telephony.registrar import ExtensionDirectory
from careline.telephony.server import VoiceServer
from careline.telephony.trunk import TrunkSettings

if TYPE_CHECKING:
    from careline.bootstrap import Careline
    from careline.config import Settings

log = structlog.get_logger(__name__)


class DatabaseExtensionDirectory(ExtensionDirectory):
    """The staff context's extensions (HA1 values in the database, cached briefly)."""

    def __init__(self, careline: Careline, *, ttl: float = 10.0) -> None:
        from careline.staff.extensions import ExtensionSecrets

        self.secrets = ExtensionSecrets(careline.uow, ttl=ttl)

    async def ha1_for(self, extension: str, realm: str, algorithm: str) -> str | None:
        return await self.secrets.ha1_for(extension, realm, algorithm)


def trunk_from(settings: Settings) -> TrunkSettings | None:
    """Return the trunk described by the settings, or None when none is configured."""
    if not settings.trunk_configured:
        return None
    return TrunkSettings(
        settings.trunk_host,
        settings.trunk_port,
        settings.trunk_username,
        settings.trunk_password,
        settings.trunk_caller_id,
    )


def default_speaker(settings: Settings) -> Speaker | None:
    """Return espeak-ng speech cached under the data directory, or None if unavailable."""
    try:
        from careline.speech.speaker import Speaker as SpeechSpeaker

        speech = SpeechSpeaker(settings.data_dir / "speech-cache", settings.data_dir / "prompts")
    except Exception:  # noqa: BLE001 - the line still answers, with tones instead of speech
        log.warning("speech_unavailable")
        return None
    return speech.speech_prompt


def line_from(
    settings: Settings,
    *,
    port: int,
    entry_flow: Flow | None,
    speaker: Speaker | None,
    extensions: ExtensionDirectory | None = None,
    queue: QueuePort | None = None,
) -> VoiceServer:
    """Build (not start) a voice server on ``port`` with the line's settings and trunk."""
    return VoiceServer(
        host=settings.sip_host,
        port=port,
        rtp_port_min=settings.rtp_port_min,
        rtp_port_max=settings.rtp_port_max,
        trunk=trunk_from(settings),
        max_calls=settings.max_calls,
        max_call_seconds=settings.max_call_seconds,
        rtp_timeout=settings.rtp_timeout_seconds,
        entry_flow=entry_flow,
        speaker=speaker,
        extensions=extensions,
        queue=queue,
        language=settings.language,
        trunk_check_seconds=settings.trunk_check_seconds,
    )


async def start_phone_line(
    settings: Settings,
    careline: Careline | None = None,
    *,
    entry_flow: Flow | None = None,
    speaker: Speaker | None = None,
    extensions: ExtensionDirectory | None = None,
    queue: QueuePort | None = None,
) -> VoiceServer:
    """Build the voice server from settings, start it and return it (stop() to end)."""
    if extensions is None and careline is not None:
        extensions = DatabaseExtensionDirectory(careline)
    if entry_flow is None and careline is not None:
        from careline.ivr.runtime import phone_ivr

        ivr = phone_ivr(careline)
        entry_flow = ivr
        if speaker is None and ivr.services.speech is not None:
            speaker = ivr.services.speech.speech_prompt
    server = line_from(
        settings,
        port=settings.sip_port,
        entry_flow=entry_flow,
        speaker=speaker or default_speaker(settings),
        extensions=extensions,
        queue=queue,
    )
    await server.start()
    return server


__all__ = [
    "DatabaseExtensionDirectory",
    "default_speaker",
    "line_from",
    "start_phone_line",
    "trunk_from",
]
