"""Run the web server and the phone line together on one event loop."""

from __future__ import annotations

import contextlib
from typing import Any

import structlog
import uvicorn

from careline.background import BackgroundWork
from careline.bootstrap import bootstrap
from careline.config import Settings
from careline.web.app import create_app

log = structlog.get_logger(__name__)


async def serve_forever(settings: Settings, *, voice: bool = True, voice_workers: int = 1) -> None:
    """Serve HTTP (and SIP when ``voice``) until interrupted."""
    careline = bootstrap(settings)
    app = create_app(settings, careline.engine, clock=careline.clock)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    background = BackgroundWork(careline)
    await background.start()
    phone: Any = None
    if voice and voice_workers > 1:
        from careline.telephony.workers import start_voice_pool

        phone = await start_voice_pool(settings, voice_workers)
    elif voice:
        from careline.telephony.feedback_calls import VoiceFeedbackDialer
        from careline.telephony.runtime import start_phone_line

        phone = await start_phone_line(settings, careline)
        if settings.trunk_configured:
            # Complaint answers may be read to patients by a call through the trunk.
            app.state.complaints_dialer = VoiceFeedbackDialer(phone)
    web_url = f"http://{settings.http_host}:{settings.http_port}/"
    print(f"Careline web: {web_url}", flush=True)  # noqa: T201 - the operator's first line
    if phone is not None:
        print(f"Careline SIP: sip:{settings.sip_host}:{settings.sip_port}", flush=True)  # noqa: T201
    try:
        await server.serve()
    finally:
        await background.stop()
        if phone is not None:
            with contextlib.suppress(Exception):
                await phone.stop()
        await careline.close()
        log.info("stopped")
