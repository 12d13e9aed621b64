"""Routing, agent states and queue statistics against hand-computed examples."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from careline.acd.model import (
    AgentEvent,
    AgentState,
    AgentStatus,
    CallFacts,
    InvalidQueue,
    InvalidTransition,
    OpeningHours,
    Outcome,
    QueueSpec,
    WaitingCall,
    assign,
    choose_agent,
    expected_wait_seconds,
    parse_skills,
    position_of,
    queue_stats,
)
from careline.kit.clock import FakeClock

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def agent(staff_id: int, idle_at: float, skills: dict[str, int], **kw: object) -> AgentState:
    return AgentState(
        staff_id=staff_id,
        status=AgentStatus.AVAILABLE,
        since=at(idle_at),
        idle_since=at(idle_at),
        queues=frozenset({"general"}),
        skills=skills,
        **kw,  # type: ignore[arg-type]
    )


QUEUE = QueueSpec("general", skills={"en": 3}, widen_after_seconds=60)


def test_longest_idle_agent_with_the_skill_gets_the_call() -> None:
    call = WaitingCall("c1", "general", at(100))
    agents = [agent(1, 50, {"en": 3}), agent(2, 10, {"en": 5}), agent(3, 0, {"en": 1})]
    # Agent 3 is idle longest but only at level 1; agent 2 (idle since 10 s) qualifies.
    chosen = choose_agent(call, QUEUE, agents, at(100))
    assert chosen is not None
    assert chosen.staff_id == 2


def test_busy_paused_and_other_queue_agents_are_skipped() -> None:
    call = WaitingCall("c1", "general", at(0))
    agents = [
        agent(1, 0, {"en": 5}).apply(AgentEvent.OFFER, at(1), call_id="x"),
        AgentState(7, AgentStatus.PAUSED, at(0), skills={"en": 5}, queues=frozenset({"general"})),
        AgentState(
            8, AgentStatus.AVAILABLE, at(0), at(0), skills={"en": 5}, queues=frozenset({"x"})
        ),
    ]
    assert choose_agent(call, QUEUE, agents, at(2)) is None


def test_requirement_widens_after_the_wait_limit() -> None:
    novice = agent(3, 0, {"en": 1})
    stranger = agent(4, 0, {"zh": 5})
    call = WaitingCall("c1", "general", at(0))
    assert choose_agent(call, QUEUE, [novice, stranger], at(59)) is None
    # After 60 s any level of the skill will do, after 120 s any agent of the queue.
    widened = choose_agent(call, QUEUE, [novice, stranger], at(60))
    assert widened is not None
    assert widened.staff_id == 3
    anyone = choose_agent(call, QUEUE, [stranger], at(120))
    assert anyone is not None
    assert anyone.staff_id == 4
    assert QUEUE.required_skills(0) == {"en": 3}
    assert QUEUE.required_skills(90) == {"en": 1}
    assert QUEUE.required_skills(200) == {}


def test_no_answer_pauses_the_agent_and_the_next_agent_is_chosen() -> None:
    first, second = agent(1, 0, {"en": 3}), agent(2, 5, {"en": 3})
    call = WaitingCall("c1", "general", at(10))
    chosen = choose_agent(call, QUEUE, [first, second], at(10))
    assert chosen is first
    ringing = first.apply(AgentEvent.OFFER, at(10), call_id="c1")
    paused = ringing.apply(AgentEvent.NO_ANSWER, at(25))
    assert paused.status == AgentStatus.PAUSED
    assert paused.pause_reason == "no_answer"
    retry = WaitingCall("c1", "general", at(10), tried=frozenset({1}))
    # Even if agent 1 were back, the same call does not ring them again.
    back = paused.apply(AgentEvent.READY, at(26))
    chosen_again = choose_agent(retry, QUEUE, [back, second], at(26))
    assert chosen_again is not None
    assert chosen_again.staff_id == 2


def test_assign_pairs_longest_waiting_calls_first() -> None:
    agents = [agent(1, 0, {"en": 3}), agent(2, 5, {"en": 3})]
    waiting = [
        WaitingCall("late", "general", at(30)),
        WaitingCall("early", "general", at(20)),
        WaitingCall("latest", "general", at(40)),
    ]
    pairs = assign(waiting, {"general": QUEUE}, agents, at(41))
    assert [(call.call_id, a.staff_id) for call, a in pairs] == [("early", 1), ("late", 2)]
    assert position_of("latest", waiting) == 3
    assert position_of("early", waiting) == 1
    assert position_of("gone", waiting) == 0
    assert expected_wait_seconds(3, 200.0, 2) == 300.0


def test_state_machine_of_a_whole_call_with_timed_wrap_up() -> None:
    clock = FakeClock(T0)
    state = AgentState(9).apply(AgentEvent.SIGN_IN, clock.now())
    assert state.status == AgentStatus.PAUSED
    state = state.apply(AgentEvent.READY, clock.now())
    assert state.status == AgentStatus.AVAILABLE
    assert state.idle_since == T0
    clock.advance(30)
    state = state.apply(AgentEvent.OFFER, clock.now(), call_id="c9")
    assert (state.status, state.call_id) == (AgentStatus.RINGING, "c9")
    state = state.apply(AgentEvent.ANSWER, clock.now())
    clock.advance(120)
    state = state.apply(AgentEvent.CALL_ENDED, clock.now(), wrap_up_seconds=20)
    assert state.status == AgentStatus.WRAP_UP
    clock.advance(19)
    assert not state.wrap_up_due(clock.now())
    clock.advance(1)
    assert state.wrap_up_due(clock.now())
    state = state.apply(AgentEvent.WRAP_UP_DONE, clock.now())
    assert state.status == AgentStatus.AVAILABLE
    assert state.idle_since == T0 + timedelta(seconds=170)
    state = state.apply(AgentEvent.PAUSE, clock.now(), reason="lunch")
    assert (state.status, state.pause_reason) == (AgentStatus.PAUSED, "lunch")
    assert state.apply(AgentEvent.SIGN_OUT, clock.now()).status == AgentStatus.SIGNED_OUT


def test_refused_transitions() -> None:
    signed_out = AgentState(1)
    with pytest.raises(InvalidTransition):
        signed_out.apply(AgentEvent.OFFER, T0)
    on_call = agent(1, 0, {}).apply(AgentEvent.OFFER, T0, call_id="c").apply(AgentEvent.ANSWER, T0)
    with pytest.raises(InvalidTransition):
        on_call.apply(AgentEvent.SIGN_OUT, T0)
    with pytest.raises(InvalidTransition):
        on_call.apply(AgentEvent.READY, T0)


def test_caller_leaving_while_it_rings_keeps_the_agents_idle_place() -> None:
    ringing = agent(1, 5, {}).apply(AgentEvent.OFFER, at(10), call_id="c")
    back = ringing.apply(AgentEvent.CALL_ENDED, at(12))
    assert back.status == AgentStatus.AVAILABLE
    assert back.idle_since == at(5)


def test_call_end_without_wrap_up_time_makes_the_agent_available() -> None:
    state = agent(1, 0, {}).apply(AgentEvent.OFFER, at(1), call_id="c")
    state = state.apply(AgentEvent.ANSWER, at(2)).apply(AgentEvent.CALL_ENDED, at(50))
    assert state.status == AgentStatus.AVAILABLE
    assert state.idle_since == at(50)


def test_statistics_against_hand_computed_figures() -> None:
    calls = [
        # answered after 10 s, talked 100 s, wrap-up 20 s
        CallFacts(at(0), at(10), at(110), Outcome.ANSWERED, 20),
        # answered after 30 s, talked 200 s, no wrap-up
        CallFacts(at(0), at(30), at(230), Outcome.ANSWERED, 0),
        # answered after 20 s, talked 60 s, wrap-up 10 s
        CallFacts(at(0), at(20), at(80), Outcome.ANSWERED, 10),
        CallFacts(at(0), None, at(45), Outcome.ABANDONED),
        CallFacts(at(0), None, at(90), Outcome.CALLBACK),
        CallFacts(at(0), None, None, Outcome.WAITING),
    ]
    stats = queue_stats(calls, service_seconds=20)
    assert (stats.offered, stats.answered, stats.abandoned) == (5, 3, 1)
    assert stats.asa_seconds == pytest.approx(20.0)  # (10 + 30 + 20) / 3
    assert stats.aht_seconds == pytest.approx(130.0)  # (120 + 200 + 70) / 3
    assert stats.abandonment_rate == pytest.approx(0.2)  # 1 / 5
    assert stats.service_level == pytest.approx(0.5)  # 2 within 20 s of (3 + 1)


def test_statistics_of_no_calls() -> None:
    stats = queue_stats([], service_seconds=20)
    assert (stats.offered, stats.asa_seconds, stats.service_level) == (0, 0.0, 1.0)


def test_skills_text_and_opening_hours() -> None:
    assert parse_skills("EN:3, member ,") == {"en": 3, "member": 1}
    with pytest.raises(InvalidQueue):
        parse_skills("en:9")
    with pytest.raises(InvalidQueue):
        parse_skills("en:x")
    hours = OpeningHours(time(8), time(17, 30), frozenset(range(5)))
    assert hours.is_open(datetime(2026, 11, 25, 9, 0))  # a Wednesday
    assert not hours.is_open(datetime(2026, 11, 25, 18, 0))
    assert not hours.is_open(datetime(2026, 11, 28, 9, 0))  # a Saturday


def test_a_call_transferred_to_a_named_agent_waits_for_that_agent_only() -> None:
    call = WaitingCall("c1", "general", at(100), for_agent=7)
    # The named agent has neither the queue nor the skill; a better agent is free.
    named = replace(agent(7, 90, {}), queues=frozenset({"members"}))
    other = agent(2, 0, {"en": 5})
    assert (
        choose_agent(call, QUEUE, [other, replace(named, status=AgentStatus.ON_CALL)], at(100))
        is None
    )
    chosen = choose_agent(call, QUEUE, [other, named], at(100))
    assert chosen is not None
    assert chosen.staff_id == 7
