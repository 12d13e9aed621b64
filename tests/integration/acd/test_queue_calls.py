"""Real calls through the ACD: baresip callers, a baresip agent phone, the live centre.

A caller handed to the queue rings the longest-idle agent's registered extension; the agent
answers (auto-answer), both hear each other, the call record and the recording are stored,
and the desk's events came in the right order. An agent who does not answer is paused and
the next agent gets the call. With no agent, the caller keys 1 and a number: the callback is
offered to the next agent who becomes free.
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvloop

import careline.tables  # noqa: F401  (every context's tables on the metadata)
from careline.acd import service
from careline.acd.center import AcdCenter
from careline.acd.events import AcdEvent, CallAnswered, CallbackOffered, CallOffered
from careline.acd.model import AcdPolicy, AgentStatus, Outcome
from careline.acd.voice import AcdQueue
from careline.complaints import service as complaints
from careline.db.engine import make_engine
from careline.db.metadata import metadata
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.staff import service as staff_service
from careline.staff.extensions import set_extension
from careline.staff.model import Role
from careline.telephony.calls import Call
from careline.telephony.registrar import InMemoryExtensionDirectory
from careline.telephony.server import VoiceServer
from tests.integration.telephony.phones import caller_account, extension_account, frames_with, phone
from tests.support.baresip import level_of, tone
from tests.support.ports import free_port_range

pytestmark = pytest.mark.sip
CALLER_HZ = 600.0
AGENT_HZ = 1100.0
SIP_PASSWORD = "agent-sip-pass-1"


@asynccontextmanager
async def acd_line(
    tmp_path: Path, extensions: dict[str, str]
) -> AsyncIterator[tuple[VoiceServer, AcdCenter, list[AcdEvent]]]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'careline.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    center = AcdCenter(
        lambda: UnitOfWork(engine),
        Clock(),
        policy=AcdPolicy(no_answer_seconds=5, wrap_up_seconds=0, announce_every_seconds=30),
    )
    events: list[AcdEvent] = []
    center.bus.subscribe(events.append)
    queue = AcdQueue(center, recordings_dir=tmp_path / "recordings")

    async def to_queue(call: Call) -> None:
        await call.answer()
        await call.transfer_to_queue("general")

    low, high = free_port_range(40)
    server = VoiceServer(
        host="127.0.0.1",
        port=0,
        rtp_port_min=low,
        rtp_port_max=high,
        entry_flow=to_queue,
        extensions=InMemoryExtensionDirectory(extensions),
        queue=queue,
        rtp_timeout=10.0,
    )
    await server.start()
    try:
        yield server, center, events
    finally:
        await server.stop()
        await center.stop()
        await engine.dispose()


async def add_agent(center: AcdCenter, username: str, extension: str) -> int:
    async with center.uow() as uow:
        staff = await staff_service.create_staff(
            uow,
            username=username,
            display_name=username,
            roles=frozenset({Role.AGENT}),
            password="agent-password-1",
            clock=Clock(),
        )
    async with center.uow() as uow:
        await set_extension(
            uow, staff_id=staff.id, extension=extension, password=SIP_PASSWORD, clock=Clock()
        )
    await center.sign_in(staff.id, ["general"])
    return staff.id


def test_caller_reaches_the_agent_with_audio_both_ways_record_and_recording(
    tmp_path: Path,
) -> None:
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        async with acd_line(tmp_path, {"1001": SIP_PASSWORD}) as (server, center, events):
            staff_id = await add_agent(center, "agent1", "1001")
            center.ready(staff_id)
            account = extension_account("1001", SIP_PASSWORD, server.port)
            async with (
                phone(tmp_path, "agent", account, tone(AGENT_HZ, 20.0)) as agent,
                phone(tmp_path, "caller", caller_account(), tone(CALLER_HZ, 20.0)) as caller,
            ):
                assert await agent.registration() == "OK"
                await caller.dial(f"sip:100@127.0.0.1:{server.port}")
                await agent.wait_event("CALL_ESTABLISHED", timeout=15)
                seen["state_on_call"] = center.state_of(staff_id).status
                await asyncio.sleep(1.0)
                call_id = center.state_of(staff_id).call_id
                seen["hold"] = center.hold(call_id, True)
                seen["hold_again"] = center.hold(call_id, True)
                await asyncio.sleep(1.0)
                seen["resume"] = center.hold(call_id, False)
                await asyncio.sleep(2.0)
                await caller.hangup()
                await agent.wait_event("CALL_CLOSED")
                await asyncio.sleep(0.5)
            seen["heard_agent"], seen["heard_caller"] = agent.heard(), caller.heard()
            seen["kinds"] = [
                type(e).__name__ for e in events if isinstance(e, (CallOffered, CallAnswered))
            ]
            async with center.uow() as uow:
                seen["records"] = await service.records_since(
                    uow, since=service.day_start(center.clock)
                )
            seen["state_after"] = center.state_of(staff_id).status

    uvloop.run(scenario())
    assert seen["state_on_call"] == AgentStatus.ON_CALL
    assert (seen["hold"], seen["hold_again"], seen["resume"]) == (True, False, True)
    assert frames_with(seen["heard_agent"], CALLER_HZ) >= 40
    assert frames_with(seen["heard_caller"], AGENT_HZ) >= 40
    assert seen["kinds"] == ["CallOffered", "CallAnswered"]
    (record,) = seen["records"]
    assert record.outcome == Outcome.ANSWERED
    assert record.answered_at is not None
    assert record.ended_at is not None
    assert record.agent_id is not None
    assert record.recording_path is not None
    with wave.open(record.recording_path, "rb") as wav:
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    # Both voices are in the recording.
    assert level_of(pcm, CALLER_HZ) > 300
    assert level_of(pcm, AGENT_HZ) > 300
    assert seen["state_after"] == AgentStatus.AVAILABLE  # no wrap-up time in this policy


def test_unanswered_agent_is_paused_and_the_next_agent_gets_the_call(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        phones = {"1001": SIP_PASSWORD, "1002": SIP_PASSWORD}
        async with acd_line(tmp_path, phones) as (server, center, events):
            sleepy = await add_agent(center, "sleepy", "1001")
            center.ready(sleepy)  # idle longest: rung first
            await asyncio.sleep(0.05)
            keen = await add_agent(center, "keen", "1002")
            center.ready(keen)
            manual = extension_account("1001", SIP_PASSWORD, server.port).replace(
                "answermode=auto", "answermode=manual"
            )
            auto = extension_account("1002", SIP_PASSWORD, server.port)
            async with (
                phone(tmp_path, "sleepy", manual, np.zeros(8000 * 30)) as first,
                phone(tmp_path, "keen", auto, tone(AGENT_HZ, 30.0)) as second,
                phone(tmp_path, "caller", caller_account(), tone(CALLER_HZ, 30.0)) as caller,
            ):
                assert await first.registration() == "OK"
                assert await second.registration() == "OK"
                await caller.dial(f"sip:100@127.0.0.1:{server.port}")
                await second.wait_event("CALL_ESTABLISHED", timeout=25)
                seen["sleepy"] = center.state_of(sleepy)
                await caller.hangup()
                await second.wait_event("CALL_CLOSED")
                await asyncio.sleep(0.5)
            seen["offers"] = [e.staff_id for e in events if isinstance(e, CallOffered)]
            seen["ids"] = (sleepy, keen)

    uvloop.run(scenario())
    sleepy, keen = seen["ids"]
    assert seen["offers"] == [sleepy, keen]
    state = seen["sleepy"]
    assert state.status == AgentStatus.PAUSED
    assert state.pause_reason == "no_answer"


def test_caller_leaves_a_callback_number_offered_to_the_next_free_agent(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        async with acd_line(tmp_path, {"1001": SIP_PASSWORD}) as (server, center, events):
            staff_id = await add_agent(center, "agent1", "1001")  # signed in, paused
            async with phone(tmp_path, "caller", caller_account(), np.zeros(8000 * 30)) as caller:
                await caller.dial(f"sip:100@127.0.0.1:{server.port}")
                await caller.wait_event("CALL_ESTABLISHED")
                await asyncio.sleep(4.0)  # the recording notice
                seen["waiting"] = center.waiting_counts()
                await caller.send_digits("1")
                await asyncio.sleep(4.0)  # "enter the number"
                await caller.send_digits("13900001111#", gap=0.25)
                await caller.wait_event("CALL_CLOSED", timeout=20)
            async with center.uow() as uow:
                seen["pending"] = await service.pending_callbacks(uow)
            center.ready(staff_id)
            await center.housekeep()
            seen["offered"] = [e for e in events if isinstance(e, CallbackOffered)]
            seen["state"] = center.state_of(staff_id)
            async with center.uow() as uow:
                seen["records"] = await service.records_since(
                    uow, since=service.day_start(center.clock)
                )

    uvloop.run(scenario())
    assert seen["waiting"] == {"general": 1}
    (pending,) = seen["pending"]
    assert pending.number == "13900001111"
    (offer,) = seen["offered"]
    assert offer.number == "13900001111"
    assert seen["state"].pause_reason == "callback"
    (record,) = seen["records"]
    assert record.outcome == Outcome.CALLBACK


def test_caller_leaves_a_message_that_becomes_a_ticket_with_the_recording(
    tmp_path: Path,
) -> None:
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        async with acd_line(tmp_path, {}) as (server, center, _):
            audio = np.concatenate([np.zeros(8000 * 10), tone(CALLER_HZ, 4.0), np.zeros(8000 * 30)])
            async with phone(tmp_path, "caller", caller_account(), audio) as caller:
                await caller.dial(f"sip:100@127.0.0.1:{server.port}")
                await caller.wait_event("CALL_ESTABLISHED")
                await asyncio.sleep(4.0)  # the recording notice
                await caller.send_digits("2")
                await caller.wait_event("CALL_CLOSED", timeout=40)
            async with center.uow() as uow:
                seen["tickets"] = await complaints.list_queue(uow, department_id=None)
                seen["records"] = await service.records_since(
                    uow, since=service.day_start(center.clock)
                )

    uvloop.run(scenario())
    (ticket,) = seen["tickets"]
    assert ticket.recording_path.startswith("recordings/acd-messages/")
    message = tmp_path / ticket.recording_path
    with wave.open(str(message), "rb") as wav:
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert level_of(pcm, CALLER_HZ) > 300
    (record,) = seen["records"]
    assert record.outcome == Outcome.VOICEMAIL


def test_agent_transfers_the_caller_to_another_queue_where_the_next_agent_answers(
    tmp_path: Path,
) -> None:
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        phones = {"1001": SIP_PASSWORD, "1002": SIP_PASSWORD}
        async with acd_line(tmp_path, phones) as (server, center, events):
            first = await add_agent(center, "first", "1001")
            second = await add_agent(center, "second", "1002")
            center.set_queues(second, ["pharmacy"])
            center.ready(first)
            center.ready(second)
            one = extension_account("1001", SIP_PASSWORD, server.port)
            two = extension_account("1002", SIP_PASSWORD, server.port)
            async with (
                phone(tmp_path, "first", one, tone(AGENT_HZ, 30.0)) as desk_one,
                phone(tmp_path, "second", two, tone(AGENT_HZ, 30.0)) as desk_two,
                phone(tmp_path, "caller", caller_account(), tone(CALLER_HZ, 30.0)) as caller,
            ):
                assert await desk_one.registration() == "OK"
                assert await desk_two.registration() == "OK"
                await caller.dial(f"sip:100@127.0.0.1:{server.port}")
                await desk_one.wait_event("CALL_ESTABLISHED", timeout=15)
                await asyncio.sleep(1.0)
                call_id = center.state_of(first).call_id
                seen["transferred"] = center.transfer(call_id, "pharmacy")
                await desk_one.wait_event("CALL_CLOSED")
                await desk_two.wait_event("CALL_ESTABLISHED", timeout=15)
                seen["second_state"] = center.state_of(second).status
                await caller.hangup()
                await desk_two.wait_event("CALL_CLOSED")
                await asyncio.sleep(0.5)
            seen["offers"] = [(e.queue, e.staff_id) for e in events if isinstance(e, CallOffered)]
            seen["ids"] = (first, second)
            async with center.uow() as uow:
                seen["records"] = await service.records_since(
                    uow, since=service.day_start(center.clock)
                )

    uvloop.run(scenario())
    first, second = seen["ids"]
    assert seen["transferred"] is True
    assert seen["second_state"] == AgentStatus.ON_CALL
    assert seen["offers"] == [("general", first), ("pharmacy", second)]
    records = sorted(seen["records"], key=lambda r: r.offered_at)
    assert [(r.queue, r.agent_id, r.outcome) for r in records] == [
        ("general", first, Outcome.ANSWERED),
        ("pharmacy", second, Outcome.ANSWERED),
    ]
    assert records[1].call_id == f"{records[0].call_id}#1"
