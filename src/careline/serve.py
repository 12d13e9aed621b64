"""Run the web server and the phone line together on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from typing import Any

import structlog
import uvicorn

from careline.background import BackgroundWork
from careline.bootstrap import bootstrap
from careline.config import Settings
from careline.web.app import create_app

log = structlog.get_logger(__name__)


class _Server(uvicorn.Server):
    """uvicorn's server, stopping on SIGINT or SIGTERM without re-raising the signal.

    uvicorn raises a caught signal again once HTTP has stopped; for SIGTERM (systemd's stop)
    that kills the process before the phone lines hang up their calls and the campaigns and
    the database close. Careline exits with 0 after its own shutdown instead.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.handle_exit, signum, None)
        try:
            yield
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)


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
    server = _Server(config)
    background = BackgroundWork(careline)
    await background.start()
    from careline.acd.runtime import start_acd

    acd = start_acd(careline, app)  # agents' desks and the queue share one live centre
    phone: Any = None
    # The line Careline's own calls go out on (campaigns, complaint answers, reply calls).
    outbound: Any = None
    reply_calls: Any = None
    if voice and voice_workers > 1:
        from careline.ivr.runtime import phone_ivr
        from careline.telephony.workers import start_voice_pool

        # Render the menu's prompts into the shared disk cache once, before any worker
        # answers: each worker then loads them in moments instead of synthesising under load.
        await phone_ivr(careline, warm=False).warm_up()
        phone = await start_voice_pool(settings, voice_workers)
        if settings.trunk_configured:
            from careline.telephony.outbound_line import start_outbound_line

            # The workers' calls cannot be driven from here: a line of its own, on
            # CARELINE_OUTBOUND_SIP_PORT (docs/telephony.md, "Scaling").
            outbound = await start_outbound_line(settings)
    elif voice:
        from careline.telephony.runtime import start_phone_line

        phone = await start_phone_line(settings, careline, queue=acd.queue)
        if settings.trunk_configured:
            outbound = phone
    if outbound is not None:
        from careline.telephony.feedback_calls import VoiceFeedbackDialer
        from careline.voicemail.reply_calls import start_reply_calls

        # Complaint answers may be read to patients by a call through the trunk, and
        # patients who asked for it are called when a doctor's reply is ready.
        app.state.complaints_dialer = VoiceFeedbackDialer(outbound)
        reply_calls = start_reply_calls(careline, outbound)
    from careline.telephony.metrics import LINES

    # Each line's calls, registrations and media health at /metrics.
    withdraw = [LINES.publish("phone", phone.report)] if phone is not None else []
    if outbound is not None and outbound is not phone:
        withdraw.append(LINES.publish("outbound", outbound.report))
    from careline.campaigns.runtime import CampaignWorker

    # SMS and email campaigns run anyway; calls need the line.
    campaigns = CampaignWorker(settings, careline.uow, careline.clock, voice=outbound)
    await campaigns.start()
    web_url = f"http://{settings.http_host}:{settings.http_port}/"
    print(f"Careline web: {web_url}", flush=True)  # noqa: T201 - the operator's first line
    if phone is not None:
        print(f"Careline SIP: sip:{settings.sip_host}:{settings.sip_port}", flush=True)  # noqa: T201
    try:
        await server.serve()
    finally:
        await campaigns.stop()
        if reply_calls is not None:
            await reply_calls.stop()
        await background.stop()
        await acd.stop()
        lines = [phone] + ([outbound] if outbound is not phone else [])
        for line in lines:
            if line is not None:
                with contextlib.suppress(Exception):
                    await line.stop()
        for undo in withdraw:
            undo()
        await careline.close()
        log.info("stopped")
