"""Transfer to a named agent with real phones: only that agent rings, with the same card."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import uvloop

from careline.acd import service
from careline.acd.events import CallOffered
from careline.acd.model import AgentStatus, Outcome
from tests.integration.acd.test_queue_calls import (
    AGENT_HZ,
    CALLER_HZ,
    SIP_PASSWORD,
    acd_line,
    add_agent,
)
from tests.integration.telephony.phones import caller_account, extension_account, frames_with, phone
from tests.support.baresip import tone

pytestmark = pytest.mark.sip
SECOND_HZ = 1500.0


def test_agent_transfers_the_caller_to_a_named_agent_outside_the_queue(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        phones = {"1001": SIP_PASSWORD, "1002": SIP_PASSWORD}
        async with acd_line(tmp_path, phones) as (server, center, events):
            first = await add_agent(center, "first", "1001")
            second = await add_agent(center, "second", "1002")
            center.set_queues(second, ["pharmacy"])  # queue routing alone would never pick them
            idle = await add_agent(center, "idle", "1003")  # no phone: would be paused
            center.ready(first)
            center.ready(second)
            one = extension_account("1001", SIP_PASSWORD, server.port)
            two = extension_account("1002", SIP_PASSWORD, server.port)
            async with (
                phone(tmp_path, "first", one, tone(AGENT_HZ, 30.0)) as desk_one,
                phone(tmp_path, "second", two, tone(SECOND_HZ, 30.0)) as desk_two,
                phone(tmp_path, "caller", caller_account(), tone(CALLER_HZ, 30.0)) as caller,
            ):
                assert await desk_one.registration() == "OK"
                assert await desk_two.registration() == "OK"
                await caller.dial(f"sip:100@127.0.0.1:{server.port}")
                await desk_one.wait_event("CALL_ESTABLISHED", timeout=15)
                center.ready(idle)  # free and in the queue, yet not named
                call_id = center.state_of(first).call_id
                seen["signed_out"] = center.transfer(call_id, "general", 999)
                seen["transferred"] = center.transfer(call_id, "general", second)
                await desk_one.wait_event("CALL_CLOSED")
                await desk_two.wait_event("CALL_ESTABLISHED", timeout=15)
                seen["second_state"] = center.state_of(second).status
                await asyncio.sleep(1.5)
                await caller.hangup()
                await desk_two.wait_event("CALL_CLOSED")
                await asyncio.sleep(0.5)
            seen["caller_heard"] = caller.heard()
            seen["offers"] = [e for e in events if isinstance(e, CallOffered)]
            seen["ids"] = (first, second, idle)
            seen["idle_state"] = center.state_of(idle).status
            async with center.uow() as uow:
                seen["records"] = await service.records_since(
                    uow, since=service.day_start(center.clock)
                )

    uvloop.run(scenario())
    first, second, _ = seen["ids"]
    assert seen["signed_out"] is False
    assert seen["transferred"] is True
    assert seen["second_state"] == AgentStatus.ON_CALL
    assert seen["idle_state"] == AgentStatus.AVAILABLE  # never rung
    before, after = seen["offers"]
    assert (before.staff_id, after.staff_id) == (first, second)
    # The named agent's desk pops the same card: same caller, patient, IVR path, queue.
    same = ("queue", "caller", "patient_id", "ivr_path", "language")
    assert [getattr(after, f) for f in same] == [getattr(before, f) for f in same]
    assert frames_with(seen["caller_heard"], SECOND_HZ) >= 20
    records = sorted(seen["records"], key=lambda r: r.offered_at)
    assert [(r.queue, r.agent_id, r.outcome) for r in records] == [
        ("general", first, Outcome.ANSWERED),
        ("general", second, Outcome.ANSWERED),
    ]
