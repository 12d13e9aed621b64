"""The live centre on a fake clock: offers, no-answer, timed wrap-up, callbacks, events."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from careline.acd import service
from careline.acd.center import AcdCenter
from careline.acd.events import AcdEvent, AgentStateChanged, CallbackOffered
from careline.acd.model import AcdPolicy, AgentStatus, QueueSpec, WaitingCall
from careline.db.uow import UnitOfWork
from careline.kit.clock import FakeClock
from careline.staff.model import Role
from tests.conftest import make_staff


async def _center(
    engine: object, uow_factory: Callable[[], UnitOfWork], clock: FakeClock
) -> tuple[AcdCenter, list[AcdEvent], list[int]]:
    center = AcdCenter(uow_factory, clock, policy=AcdPolicy(wrap_up_seconds=20))
    events: list[AcdEvent] = []
    center.bus.subscribe(events.append)
    ids = []
    for name in ("first", "second"):
        staff = await make_staff(engine, name, Role.AGENT)  # type: ignore[arg-type]
        await center.sign_in(staff.id, ["general"])
        ids.append(staff.id)
    return center, events, ids


@pytest.mark.asyncio
async def test_offer_goes_to_longest_idle_then_wrap_up_ends_on_time(
    engine: object, uow_factory: Callable[[], UnitOfWork]
) -> None:
    clock = FakeClock()
    center, events, (first, second) = await _center(engine, uow_factory, clock)
    center.ready(second)
    clock.advance(5)
    center.ready(first)
    offer = center.wait_for_agent(WaitingCall("c1", "general", clock.now()), QueueSpec("general"))
    assert offer.done()
    assert offer.result().staff_id == second  # idle 5 s longer
    center.answered(second, "c1", "general")
    clock.advance(60)
    center.call_ended(second, "c1", "general", "answered")
    assert center.state_of(second).status == AgentStatus.WRAP_UP
    clock.advance(19)
    await center.housekeep()
    assert center.state_of(second).status == AgentStatus.WRAP_UP
    clock.advance(1)
    await center.housekeep()
    assert center.state_of(second).status == AgentStatus.AVAILABLE
    states = [e.status for e in events if isinstance(e, AgentStateChanged) and e.staff_id == second]
    assert states[-4:] == ["ringing", "on_call", "wrap_up", "available"]


@pytest.mark.asyncio
async def test_caller_hanging_up_while_it_rings_frees_the_agent_and_no_answer_pauses(
    engine: object, uow_factory: Callable[[], UnitOfWork]
) -> None:
    clock = FakeClock()
    center, _, (first, second) = await _center(engine, uow_factory, clock)
    center.ready(first)
    spec = QueueSpec("general")
    offer = center.wait_for_agent(WaitingCall("c1", "general", clock.now()), spec)
    assert offer.result().staff_id == first
    center.leave("c1")
    assert center.state_of(first).status == AgentStatus.AVAILABLE
    offer = center.wait_for_agent(WaitingCall("c2", "general", clock.now()), spec)
    center.no_answer(first, "c2")
    assert center.state_of(first).status == AgentStatus.PAUSED
    # Nobody else is ready: the caller waits until the second agent is.
    retry = center.wait_for_agent(
        WaitingCall("c2", "general", clock.now(), frozenset({first})), spec
    )
    assert not retry.done()
    assert center.waiting_counts() == {"general": 1}
    center.ready(second)
    assert retry.result().staff_id == second


@pytest.mark.asyncio
async def test_pending_callback_is_offered_once_to_a_free_agent(
    engine: object, uow_factory: Callable[[], UnitOfWork]
) -> None:
    clock = FakeClock()
    center, events, (first, second) = await _center(engine, uow_factory, clock)
    async with uow_factory() as uow:
        await service.request_callback(
            uow, call_id="c9", queue="general", number="13900001111", clock=clock
        )
    await center.housekeep()
    assert not [e for e in events if isinstance(e, CallbackOffered)]  # nobody ready yet
    center.ready(first)
    center.ready(second)
    await center.housekeep()
    await center.housekeep()
    offers = [e for e in events if isinstance(e, CallbackOffered)]
    assert len(offers) == 1
    taker = offers[0].staff_id
    assert center.state_of(taker).pause_reason == "callback"
    await center.callback_done(taker, offers[0].callback_id)
    assert center.state_of(taker).status == AgentStatus.AVAILABLE
    async with uow_factory() as uow:
        assert await service.open_callbacks(uow) == []
