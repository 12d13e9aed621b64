"""The line for calls Careline places itself when voice runs in worker processes.

With ``careline serve --voice-workers N`` (N > 1) the SIP port belongs to the front and the
calls to worker processes, which the main process cannot drive. The calls Careline places on
its own (campaign calls, complaint answers read to the patient, doctors' reply calls) need no
shared port, though: an INVITE's responses go back to its ``Via`` and the in-dialog requests
(the patient's BYE) to its ``Contact``, both this server's own address. So they go through a
VoiceServer of their own bound to ``CARELINE_OUTBOUND_SIP_PORT`` (0: a free port), with the
trunk settings of the line and RTP ports from the same range (a pair a worker holds fails to
bind and is skipped). Calls that arrive here are refused with 480.
"""

from __future__ import annotations

import structlog

from careline.config import Settings
from careline.telephony.calls import Call
from careline.telephony.runtime import default_speaker, line_from
from careline.telephony.server import VoiceServer

log = structlog.get_logger(__name__)


async def refuse_inbound(call: Call) -> None:
    """Patients call the hospital's number, never this port: end the call while it rings."""
    await call.hangup()


def outbound_line(settings: Settings) -> VoiceServer:
    """Build (not start) the outbound-only voice server."""
    return line_from(
        settings,
        port=settings.outbound_sip_port,
        entry_flow=refuse_inbound,
        speaker=default_speaker(settings),
    )


async def start_outbound_line(settings: Settings) -> VoiceServer | None:
    """Start the outbound line; None when its fixed port is taken (messages still go)."""
    server = outbound_line(settings)
    try:
        await server.start()
    except OSError:
        log.error("outbound_line_failed", port=settings.outbound_sip_port)
        await server.stop()
        return None
    log.info("outbound_line_started", port=server.port)
    return server
