"""Entry flows for voice workers started by tests (imported by name in each worker)."""

from __future__ import annotations

from careline.telephony.calls import Call


async def ring_extension_2001(call: Call) -> None:
    """Answer, ring extension 2001 for a few seconds, hang up."""
    await call.answer()
    await call.bridge("2001", ring_timeout=4.0)
    await call.hangup()
