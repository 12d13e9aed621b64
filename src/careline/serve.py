"""Run the web server and the phone line together on one event loop."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
import uvicorn

from careline.bootstrap import bootstrap, complaint_policy
from careline.channels.runtime import ChannelsRuntime
from careline.complaints.escalation import run_escalation_worker
from careline.complaints.inbound import ComplaintEmailHandler
from careline.config import Settings
from careline.web.app import create_app

log = structlog.get_logger(__name__)


async def serve_forever(settings: Settings, *, voice: bool = True) -> None:
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
    policy = complaint_policy(settings)
    handler = ComplaintEmailHandler(
        careline.uow,
        careline.clock,
        policy=policy,
        max_attachment_bytes=settings.max_attachment_bytes,
    )
    channels = ChannelsRuntime(settings, careline.uow, careline.clock, handler=handler)
    await channels.start()
    stop_workers = asyncio.Event()
    escalation = asyncio.create_task(
        run_escalation_worker(
            careline.engine,
            careline.clock,
            stop_workers,
            policy=policy,
            interval_seconds=settings.complaint_escalation_interval_seconds,
        )
    )
    phone = None
    if voice:
        from careline.telephony.runtime import start_phone_line

        phone = await start_phone_line(settings, careline)
    web_url = f"http://{settings.http_host}:{settings.http_port}/"
    print(f"Careline web: {web_url}", flush=True)  # noqa: T201 - the operator's first line
    if phone is not None:
        print(f"Careline SIP: sip:{settings.sip_host}:{settings.sip_port}", flush=True)  # noqa: T201
    try:
        await server.serve()
    finally:
        stop_workers.set()
        await escalation
        await channels.stop()
        if phone is not None:
            with contextlib.suppress(Exception):
                await phone.stop()
        await careline.close()
        log.info("stopped")
