"""A voice server of the campaigns' own, for calls when voice runs in worker processes.

With ``careline serve --voice-workers N`` (N > 1) the SIP port belongs to the front and the
calls to worker processes, which the dialler cannot drive from the main process. Outbound
calls need no shared port, though: an INVITE's responses go back to its ``Via`` and the
in-dialog requests (the patient's BYE) to its ``Contact``, both this server's own address.
So the dialler gets a VoiceServer bound to ``CARELINE_CAMPAIGN_SIP_PORT`` (0: a free port),
with the trunk settings of the line and RTP ports from the same range (a pair a worker
holds fails to bind and is skipped). Calls that arrive here are refused with 480.
"""

from __future__ import annotations

import structlog

from careline.config import Settings
from careline.telephony.calls import Call
from careline.telephony.runtime import default_speaker, trunk_from
from careline.telephony.server import VoiceServer

log = structlog.get_logger(__name__)


async def refuse_inbound(call: Call) -> None:
    """Patients call the hospital's number, never this port: end the call while it rings."""
    await call.hangup()


def campaign_line(settings: Settings) -> VoiceServer:
    """Build (not start) the outbound-only voice server for campaign calls."""
    return VoiceServer(
        host=settings.sip_host,
        port=settings.campaign_sip_port,
        rtp_port_min=settings.rtp_port_min,
        rtp_port_max=settings.rtp_port_max,
        trunk=trunk_from(settings),
        max_calls=settings.campaign_max_lines,
        max_call_seconds=settings.max_call_seconds,
        rtp_timeout=settings.rtp_timeout_seconds,
        entry_flow=refuse_inbound,
        speaker=default_speaker(settings),
        language=settings.language,
    )


async def start_campaign_line(settings: Settings) -> VoiceServer:
    """Start the campaign line and return it (``stop()`` to end it)."""
    server = campaign_line(settings)
    await server.start()
    log.info("campaign_line_started", port=server.port)
    return server
