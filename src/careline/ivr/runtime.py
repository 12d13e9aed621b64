"""The IVR as the phone line's entry flow: built from the process's settings and database."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog

from careline.ivr.engine import IvrEngine
from careline.ivr.session import IvrServices

if TYPE_CHECKING:
    from careline.bootstrap import Careline
    from careline.speech.speaker import Speaker as SpeechSpeaker

log = structlog.get_logger(__name__)
_background: set[asyncio.Task[int]] = set()


def speech_for(careline: Careline) -> SpeechSpeaker | None:
    """espeak-ng speech cached under the data directory, or None when it is unavailable."""
    data_dir = careline.settings.data_dir
    try:
        from careline.speech.speaker import Speaker

        return Speaker(data_dir / "speech-cache", data_dir / "prompts")
    except Exception:  # noqa: BLE001 - the line still answers through the server's speaker
        log.warning("ivr_speech_unavailable")
        return None


def phone_ivr(careline: Careline, *, warm: bool = True) -> IvrEngine:
    """Build the IVR engine; validate the flow now (FlowError stops start-up), warm prompts."""
    services = IvrServices(
        db=careline.engine,
        clock=careline.clock,
        data_dir=careline.settings.data_dir,
        speech=speech_for(careline),
    )
    engine = IvrEngine(services, default_language=careline.settings.language)
    if warm and services.speech is not None:
        # Rendering runs beside the first calls; single flight makes them share the work.
        task = asyncio.get_running_loop().create_task(engine.warm_up())
        _background.add(task)
        task.add_done_callback(_background.discard)
    return engine
