"""The live ACD: agents' states and waiting callers of this process, around the pure rules.

One ``AcdCenter`` per process is shared by the phone side (``AcdQueue``) and the agent desk
(WebSocket). Routing happens whenever something changes (a caller arrives, an agent becomes
available) and on one housekeeping tick a second (timed wrap-ups, widening skill
requirements, callbacks for free agents) - never one timer per call or agent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import structlog

from careline.acd import service
from careline.acd.events import (
    AgentStateChanged,
    CallAnswered,
    CallbackOffered,
    CallEnded,
    EventBus,
    InProcessBus,
)
from careline.acd.model import (
    AcdPolicy,
    AgentEvent,
    AgentState,
    AgentStatus,
    QueueSpec,
    WaitingCall,
    assign,
    position_of,
)
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock

if TYPE_CHECKING:
    from careline.config import Settings

log = structlog.get_logger(__name__)
UowFactory = Callable[[], UnitOfWork]
CALLBACK_REASON = "callback"
PURGE_EVERY = 3600  # housekeeping rounds (seconds) between recording retention sweeps


class LiveCall(Protocol):
    """What the desk may do to a call in progress (the phone side provides it)."""

    def hang_up(self) -> None: ...

    def hold(self, on: bool) -> bool: ...

    def transfer(self, queue: str, agent_id: int | None = None) -> bool: ...

    def listen(self, extension: str) -> bool: ...

    def consult(self, doctor_id: int) -> bool: ...


def acd_policy(settings: Settings) -> AcdPolicy:
    """The ACD rules the settings choose."""
    return AcdPolicy(
        no_answer_seconds=settings.acd_no_answer_seconds,
        wrap_up_seconds=settings.acd_wrap_up_seconds,
        announce_every_seconds=settings.acd_announce_seconds,
        service_level_seconds=settings.acd_service_level_seconds,
        record_calls=settings.acd_record_calls,
        retention_days=settings.acd_recording_retention_days,
    )


class AcdCenter:
    """Agents, waiting callers and the event bus of one Careline process."""

    def __init__(
        self,
        uow: UowFactory,
        clock: Clock,
        *,
        policy: AcdPolicy | None = None,
        bus: EventBus | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.policy = policy or AcdPolicy()
        self.bus = bus or InProcessBus()
        self.agents: dict[int, AgentState] = {}
        self.waiting: dict[str, WaitingCall] = {}
        self.queues: dict[str, QueueSpec] = {}
        self.callbacks: dict[int, int] = {}  # staff id -> callback id offered to them
        self._offers: dict[str, asyncio.Future[AgentState]] = {}
        self._live: dict[str, LiveCall] = {}
        self._tick: asyncio.Task[None] | None = None

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start the housekeeping tick (wrap-ups, widening, callbacks)."""
        if self._tick is None:
            self._tick = asyncio.get_running_loop().create_task(self._housekeep())

    async def stop(self) -> None:
        if self._tick is not None:
            self._tick.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tick
            self._tick = None

    async def _housekeep(self) -> None:
        rounds = 0
        while True:
            await asyncio.sleep(1.0)
            try:
                await self.housekeep()
                if rounds % PURGE_EVERY == 0:
                    async with self.uow() as uow:
                        await service.purge_recordings(
                            uow, clock=self.clock, retention_days=self.policy.retention_days
                        )
            except Exception:  # noqa: BLE001 - a failed round must not stop the next one
                log.exception("acd_housekeeping_failed")
            rounds += 1

    async def housekeep(self) -> None:
        """One round: end due wrap-ups, route (requirements widen with time), offer callbacks."""
        now = self.clock.now()
        for agent in list(self.agents.values()):
            if agent.wrap_up_due(now):
                self._change(agent.staff_id, AgentEvent.WRAP_UP_DONE)
        self.dispatch()
        await self.offer_callbacks()

    # ---- agents ----------------------------------------------------------------------

    async def sign_in(self, staff_id: int, queues: list[str] | None = None) -> AgentState:
        """Sign an agent in (paused until ready) with their profile's skills and extension."""
        from careline.staff.extensions import get_extension

        async with self.uow() as uow:
            profile = await service.get_profile(uow, staff_id=staff_id)
            extension = await get_extension(uow, staff_id=staff_id)
        chosen = frozenset(queues if queues is not None else profile.queues)
        state = self.agents.get(staff_id) or AgentState(staff_id)
        state = replace(
            state,
            queues=chosen,
            skills=dict(profile.skills),
            extension=extension.extension if extension else "",
        )
        if state.status == AgentStatus.SIGNED_OUT:
            state = state.apply(AgentEvent.SIGN_IN, self.clock.now(), reason="signed_in")
            state = replace(state, pause_reason="signed_in")
        self.agents[staff_id] = state
        self._published(state)
        return state

    def set_queues(self, staff_id: int, queues: list[str]) -> AgentState:
        """Change the queues an agent serves."""
        state = replace(self._agent(staff_id), queues=frozenset(queues))
        self.agents[staff_id] = state
        self._published(state)
        self.dispatch()
        return state

    def ready(self, staff_id: int) -> AgentState:
        """The agent takes calls."""
        state = self._change(staff_id, AgentEvent.READY)
        self.dispatch()
        return state

    def pause(self, staff_id: int, reason: str) -> AgentState:
        """The agent stops taking calls for a reason."""
        return self._change(staff_id, AgentEvent.PAUSE, reason=reason[:40] or "break")

    def sign_out(self, staff_id: int) -> AgentState:
        """The agent leaves the desk."""
        state = self._change(staff_id, AgentEvent.SIGN_OUT)
        return state

    def state_of(self, staff_id: int) -> AgentState:
        return self.agents.get(staff_id) or AgentState(staff_id)

    def _agent(self, staff_id: int) -> AgentState:
        return self.agents.get(staff_id) or AgentState(staff_id)

    def _change(self, staff_id: int, event: AgentEvent, **kw: object) -> AgentState:
        state = self._agent(staff_id).apply(event, self.clock.now(), **kw)  # type: ignore[arg-type]
        self.agents[staff_id] = state
        self._published(state)
        return state

    def _published(self, state: AgentState) -> None:
        self.bus.publish(
            AgentStateChanged(
                state.staff_id, state.status.value, state.pause_reason, self.clock.now()
            )
        )

    # ---- callers ---------------------------------------------------------------------

    def wait_for_agent(self, call: WaitingCall, spec: QueueSpec) -> asyncio.Future[AgentState]:
        """Put a caller in line; the future resolves with the agent chosen (now ringing)."""
        self.queues[spec.name] = spec
        self.waiting[call.call_id] = call
        future: asyncio.Future[AgentState] = asyncio.get_running_loop().create_future()
        self._offers[call.call_id] = future
        self.dispatch()
        return future

    def leave(self, call_id: str) -> None:
        """The caller left the line (hung up, callback, overflow): free a ringing agent."""
        self.waiting.pop(call_id, None)
        future = self._offers.pop(call_id, None)
        if future is None:
            return
        if future.done() and not future.cancelled():
            self.ring_ended(future.result().staff_id, call_id)
        else:
            future.cancel()

    def position(self, call_id: str) -> int:
        return position_of(call_id, self.waiting.values())

    def waiting_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in self.waiting.values():
            counts[call.queue] = counts.get(call.queue, 0) + 1
        return counts

    def longest_waits(self) -> dict[str, float]:
        now = self.clock.now()
        longest: dict[str, float] = {}
        for call in self.waiting.values():
            waited = (now - call.entered_at).total_seconds()
            longest[call.queue] = max(longest.get(call.queue, 0.0), waited)
        return longest

    def dispatch(self) -> None:
        """Offer waiting callers to free agents: longest waiting first, longest idle agent."""
        if not self.waiting:
            return
        now = self.clock.now()
        for call, agent in assign(self.waiting.values(), self.queues, self.agents.values(), now):
            future = self._offers.get(call.call_id)
            if future is None or future.done():
                continue
            del self.waiting[call.call_id]
            state = self._change(agent.staff_id, AgentEvent.OFFER, call_id=call.call_id)
            future.set_result(state)

    def track_call(self, call_id: str, live: LiveCall | None) -> None:
        """Remember a live call the desk may act on (None: the call is over)."""
        if live is None:
            self._live.pop(call_id, None)
        else:
            self._live[call_id] = live

    def hang_up(self, call_id: str) -> bool:
        """End a live call from the desk; False when it is already over."""
        live = self._live.pop(call_id, None)
        if live is None:
            return False
        live.hang_up()
        return True

    def hold(self, call_id: str, on: bool) -> bool:
        """Put a connected call on hold (the caller hears music) or take it off hold."""
        live = self._live.get(call_id)
        return live is not None and live.hold(on)

    def transfer(self, call_id: str, queue: str, agent_id: int | None = None) -> bool:
        """Send a connected caller to another queue, or to one named signed-in agent.

        False when the call is not connected or the named agent is not signed in.
        """
        live = self._live.get(call_id)
        if agent_id is not None and self._agent(agent_id).status == AgentStatus.SIGNED_OUT:
            return False
        return live is not None and live.transfer(queue, agent_id)

    def listen(self, call_id: str, extension: str) -> bool:
        """Let a supervisor's extension hear a connected call silently."""
        live = self._live.get(call_id)
        return live is not None and live.listen(extension)

    def consult(self, call_id: str, doctor_id: int) -> bool:
        """Release the agent and put the caller through to a doctor's phone consultation."""
        live = self._live.get(call_id)
        return live is not None and live.consult(doctor_id)

    # ---- a ringing agent -------------------------------------------------------------

    def answered(self, staff_id: int, call_id: str, queue: str) -> None:
        self._offers.pop(call_id, None)
        self._change(staff_id, AgentEvent.ANSWER)
        self.bus.publish(CallAnswered(call_id, queue, staff_id, self.clock.now()))

    def no_answer(self, staff_id: int, call_id: str) -> None:
        """The agent let it ring out: paused, so the next caller does not ring them either."""
        self._offers.pop(call_id, None)
        if self._agent(staff_id).status == AgentStatus.RINGING:
            self._change(staff_id, AgentEvent.NO_ANSWER)

    def ring_ended(self, staff_id: int, call_id: str) -> None:
        """The caller left while the agent's phone rang."""
        agent = self._agent(staff_id)
        if agent.status == AgentStatus.RINGING and agent.call_id == call_id:
            self._change(staff_id, AgentEvent.CALL_ENDED)
            self.dispatch()

    def call_ended(self, staff_id: int, call_id: str, queue: str, outcome: str) -> None:
        """The bridged call is over: wrap-up (timed) follows."""
        agent = self._agent(staff_id)
        if agent.status == AgentStatus.ON_CALL:
            self._change(
                staff_id, AgentEvent.CALL_ENDED, wrap_up_seconds=self.policy.wrap_up_seconds
            )
        self.bus.publish(CallEnded(call_id, queue, staff_id, outcome, self.clock.now()))
        self.dispatch()

    # ---- callbacks -------------------------------------------------------------------

    async def offer_callbacks(self) -> None:
        """Give the oldest pending callback to a free agent of its queue when nobody waits."""
        free = [
            a
            for a in self.agents.values()
            if a.status == AgentStatus.AVAILABLE and a.staff_id not in self.callbacks
        ]
        if not free or self.waiting:
            return
        async with self.uow() as uow:
            pending = await service.pending_callbacks(uow)
            for callback in pending:
                agent = next((a for a in free if callback.queue in a.queues), None)
                if agent is None or callback.id is None:
                    continue
                if not await service.claim_callback(
                    uow, callback_id=callback.id, staff_id=agent.staff_id
                ):
                    continue
                free.remove(agent)
                self.callbacks[agent.staff_id] = callback.id
                self._change(agent.staff_id, AgentEvent.PAUSE, reason=CALLBACK_REASON)
                self.bus.publish(
                    CallbackOffered(
                        callback.id,
                        callback.queue,
                        agent.staff_id,
                        callback.number,
                        self.clock.now(),
                    )
                )

    async def callback_done(self, staff_id: int, callback_id: int) -> None:
        """The agent finished a callback; they take calls again."""
        async with self.uow() as uow:
            await service.complete_callback(
                uow, callback_id=callback_id, staff_id=staff_id, clock=self.clock
            )
        if self.callbacks.get(staff_id) == callback_id:
            del self.callbacks[staff_id]
        if self._agent(staff_id).status == AgentStatus.PAUSED:
            self.ready(staff_id)


__all__ = ["AcdCenter", "LiveCall", "acd_policy"]
