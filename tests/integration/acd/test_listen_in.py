"""Silent monitor with real phones: the supervisor hears both parties and nobody hears them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import uvloop

from careline.acd.model import AgentStatus
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
SUPERVISOR_HZ = 1700.0


def test_supervisor_hears_caller_and_agent_and_is_heard_by_neither(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        extensions = {"1001": SIP_PASSWORD, "1009": SIP_PASSWORD}
        async with acd_line(tmp_path, extensions) as (server, center, _):
            staff_id = await add_agent(center, "agent1", "1001")
            center.ready(staff_id)
            agent_account = extension_account("1001", SIP_PASSWORD, server.port)
            boss_account = extension_account("1009", SIP_PASSWORD, server.port)
            async with (
                phone(tmp_path, "agent", agent_account, tone(AGENT_HZ, 30.0)) as agent,
                phone(tmp_path, "boss", boss_account, tone(SUPERVISOR_HZ, 30.0)) as boss,
                phone(tmp_path, "caller", caller_account(), tone(CALLER_HZ, 30.0)) as caller,
            ):
                assert await agent.registration() == "OK"
                assert await boss.registration() == "OK"
                seen["before"] = center.listen("no-such-call", "1009")
                await caller.dial(f"sip:100@127.0.0.1:{server.port}")
                await agent.wait_event("CALL_ESTABLISHED", timeout=15)
                state = center.state_of(staff_id)
                seen["status"] = state.status
                seen["listen"] = center.listen(state.call_id, "1009")
                await boss.wait_event("CALL_ESTABLISHED", timeout=15)
                await asyncio.sleep(3.0)
                await caller.hangup()
                await boss.wait_event("CALL_CLOSED", timeout=15)
                await asyncio.sleep(0.5)
            seen["boss"], seen["agent"], seen["caller"] = (
                boss.heard(),
                agent.heard(),
                caller.heard(),
            )

    uvloop.run(scenario())
    assert seen["before"] is False
    assert seen["status"] == AgentStatus.ON_CALL
    assert seen["listen"] is True
    boss, agent, caller = seen["boss"], seen["agent"], seen["caller"]
    # The supervisor hears both parties (Goertzel levels: the tones each one sends)...
    assert frames_with(boss, CALLER_HZ) >= 40
    assert frames_with(boss, AGENT_HZ) >= 40
    # ...and neither party hears the supervisor, though the two still hear each other.
    assert frames_with(caller, SUPERVISOR_HZ) == 0
    assert frames_with(agent, SUPERVISOR_HZ) == 0
    assert frames_with(caller, AGENT_HZ) >= 40
    assert frames_with(agent, CALLER_HZ) >= 40
