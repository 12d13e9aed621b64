"""Is the trunk there? An OPTIONS request every so often, like a PBX's "qualify".

Any response, even 401 or 404, proves the carrier's SIP server is reachable and tells the
round trip; no response within ``timeout`` (5 s; a PBX's qualify allows 2 s) marks the
trunk unreachable, and the request is abandoned. Changes are logged (``trunk_unreachable`` as a
warning) and the state is published with the line's figures at ``/metrics``.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass

import structlog

from careline.telephony.sip.dialog import Dialog
from careline.telephony.sip.message import SipRequest, new_tag
from careline.telephony.sip.stack import SipStack
from careline.telephony.trunk import TrunkSettings

log = structlog.get_logger(__name__)


@dataclass
class TrunkState:
    """What the last check found; ``reachable`` is None before the first one ends."""

    reachable: bool | None = None
    round_trip: float | None = None  # seconds, of the last answered check


def options_to(trunk: TrunkSettings, local_host: str, contact: str) -> SipRequest:
    """Return an out-of-dialog OPTIONS request for the trunk."""
    target = f"sip:{trunk.host}:{trunk.port}"
    dialog = Dialog(
        call_id=f"{secrets.token_hex(12)}@careline",
        local_tag=new_tag(),
        local_uri=f"<sip:{trunk.username or 'careline'}@{local_host}>",
        remote_uri=f"<{target}>",
        remote_target=target,
        peer=trunk.address,
        local_contact=contact,
    )
    return dialog.request("OPTIONS")


async def check_trunk(
    stack: SipStack,
    trunk: TrunkSettings,
    local_host: str,
    contact: str,
    state: TrunkState,
    timeout: float = 5.0,
) -> None:
    """Send one OPTIONS and record whether, and how fast, the trunk answered."""
    started = time.perf_counter()  # not the loop's clock: uvloop's ticks in whole ms
    handle = stack.request(options_to(trunk, local_host, contact), trunk.address)
    try:
        # The first response, provisional or final; None when the transaction gave up.
        response = await asyncio.wait_for(handle.next(), timeout)
    except TimeoutError:
        stack.abandon(handle)
        response = None
    reachable = response is not None
    if reachable:
        state.round_trip = time.perf_counter() - started
    if reachable != state.reachable:
        if reachable:
            log.info("trunk_reachable", host=trunk.host)
        else:
            log.warning("trunk_unreachable", host=trunk.host)
    state.reachable = reachable


async def watch_trunk(
    stack: SipStack,
    trunk: TrunkSettings,
    local_host: str,
    contact: str,
    state: TrunkState,
    every: float,
    timeout: float = 5.0,
) -> None:
    """Check the trunk every ``every`` seconds until cancelled."""
    while True:
        await check_trunk(stack, trunk, local_host, contact, state, timeout)
        await asyncio.sleep(every)


__all__ = ["TrunkState", "check_trunk", "options_to", "watch_trunk"]
