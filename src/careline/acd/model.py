"""Pure ACD rules: agent states, routing to the longest-idle skilled agent, queue statistics.

Nothing here reads a clock or touches I/O: every rule takes ``now`` and returns new values,
so the tests drive it with hand-moved time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from enum import StrEnum

from careline.kit.errors import CarelineError

Skills = Mapping[str, int]  # skill name -> level (1 = basic ... 5 = expert)
MAX_LEVEL = 5


class AcdError(CarelineError):
    error_id = "acd_error"


class InvalidTransition(AcdError):
    status_code = 409
    error_id = "invalid_agent_transition"


class InvalidQueue(AcdError):
    status_code = 422
    error_id = "invalid_queue"


class AgentStatus(StrEnum):
    SIGNED_OUT = "signed_out"
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class AgentEvent(StrEnum):
    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    READY = "ready"
    PAUSE = "pause"
    OFFER = "offer"
    ANSWER = "answer"
    NO_ANSWER = "no_answer"
    CALL_ENDED = "call_ended"
    WRAP_UP_DONE = "wrap_up_done"


class Outcome(StrEnum):
    WAITING = "waiting"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    CALLBACK = "callback"
    VOICEMAIL = "voicemail"
    OVERFLOW = "overflow"


class OverflowAction(StrEnum):
    CALLBACK = "callback"
    HANG_UP = "hang_up"


NO_ANSWER_REASON = "no_answer"

# Which events each status accepts, and the status they lead to. Events not listed refuse.
_TRANSITIONS: dict[tuple[AgentStatus, AgentEvent], AgentStatus] = {
    (AgentStatus.SIGNED_OUT, AgentEvent.SIGN_IN): AgentStatus.PAUSED,
    (AgentStatus.PAUSED, AgentEvent.READY): AgentStatus.AVAILABLE,
    (AgentStatus.AVAILABLE, AgentEvent.PAUSE): AgentStatus.PAUSED,
    (AgentStatus.PAUSED, AgentEvent.PAUSE): AgentStatus.PAUSED,
    (AgentStatus.AVAILABLE, AgentEvent.OFFER): AgentStatus.RINGING,
    (AgentStatus.RINGING, AgentEvent.ANSWER): AgentStatus.ON_CALL,
    (AgentStatus.RINGING, AgentEvent.NO_ANSWER): AgentStatus.PAUSED,
    (AgentStatus.RINGING, AgentEvent.CALL_ENDED): AgentStatus.AVAILABLE,
    (AgentStatus.ON_CALL, AgentEvent.CALL_ENDED): AgentStatus.WRAP_UP,
    (AgentStatus.WRAP_UP, AgentEvent.WRAP_UP_DONE): AgentStatus.AVAILABLE,
    (AgentStatus.WRAP_UP, AgentEvent.PAUSE): AgentStatus.PAUSED,
    (AgentStatus.WRAP_UP, AgentEvent.READY): AgentStatus.AVAILABLE,
}


@dataclass(frozen=True, slots=True)
class AgentState:
    """One agent's live state; ``idle_since`` orders agents for longest-idle routing."""

    staff_id: int
    status: AgentStatus = AgentStatus.SIGNED_OUT
    since: datetime | None = None
    idle_since: datetime | None = None
    pause_reason: str = ""
    wrap_up_until: datetime | None = None
    call_id: str = ""
    queues: frozenset[str] = frozenset()
    skills: Mapping[str, int] = field(default_factory=dict)
    extension: str = ""

    def apply(
        self,
        event: AgentEvent,
        now: datetime,
        *,
        reason: str = "",
        call_id: str = "",
        wrap_up_seconds: float = 0.0,
    ) -> AgentState:
        """Return the state after ``event``; raise InvalidTransition when it does not apply."""
        if event == AgentEvent.SIGN_OUT:
            if self.status in (AgentStatus.RINGING, AgentStatus.ON_CALL):
                raise InvalidTransition("An agent on a call cannot sign out.")
            return replace(self, status=AgentStatus.SIGNED_OUT, since=now, call_id="")
        target = _TRANSITIONS.get((self.status, event))
        if target is None:
            raise InvalidTransition("This change of state is not possible now.")
        if (
            event == AgentEvent.CALL_ENDED
            and wrap_up_seconds <= 0
            and target == AgentStatus.WRAP_UP
        ):
            target = AgentStatus.AVAILABLE
        changes: dict[str, object] = {"status": target, "since": now}
        if target == AgentStatus.AVAILABLE:
            changes.update(idle_since=now, pause_reason="", wrap_up_until=None, call_id="")
        elif target == AgentStatus.PAUSED:
            pause = reason or (NO_ANSWER_REASON if event == AgentEvent.NO_ANSWER else "")
            changes.update(pause_reason=pause, call_id="", wrap_up_until=None)
        elif target == AgentStatus.RINGING:
            changes.update(call_id=call_id)
        elif target == AgentStatus.WRAP_UP:
            changes.update(wrap_up_until=now + timedelta(seconds=wrap_up_seconds))
        if event == AgentEvent.CALL_ENDED and self.status == AgentStatus.RINGING:
            # The caller left while it rang: the agent keeps their place in the idle order.
            changes["idle_since"] = self.idle_since
        return replace(self, **changes)  # type: ignore[arg-type]

    def wrap_up_due(self, now: datetime) -> bool:
        """Return True when a timed wrap-up has run out."""
        return (
            self.status == AgentStatus.WRAP_UP
            and self.wrap_up_until is not None
            and now >= self.wrap_up_until
        )


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Daily opening time range in the hospital's zone, on the listed weekdays (0 = Monday)."""

    opens: time = time(0, 0)
    closes: time = time(23, 59, 59)
    weekdays: frozenset[int] = frozenset(range(7))

    def is_open(self, local: datetime) -> bool:
        """Return True when the queue takes calls at this local time."""
        return local.weekday() in self.weekdays and self.opens <= local.time() <= self.closes


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A queue's routing rules."""

    name: str
    skills: Mapping[str, int] = field(default_factory=dict)
    widen_after_seconds: float = 60.0
    max_wait_seconds: float = 600.0
    overflow: OverflowAction = OverflowAction.CALLBACK
    hours: OpeningHours = OpeningHours()
    id: int | None = None

    def required_skills(self, waited_seconds: float) -> dict[str, int]:
        """Skills an agent needs after this wait: full levels, then any level, then none."""
        if waited_seconds < self.widen_after_seconds:
            return dict(self.skills)
        if waited_seconds < 2 * self.widen_after_seconds:
            return dict.fromkeys(self.skills, 1)
        return {}


def validate_skills(skills: Mapping[str, int]) -> dict[str, int]:
    """Check skill names and levels (1-5); return them normalised."""
    result: dict[str, int] = {}
    for name, level in skills.items():
        clean = name.strip().lower()
        if not clean or len(clean) > 40 or not 1 <= int(level) <= MAX_LEVEL:
            raise InvalidQueue("Skills need a name and a level from 1 to 5.", field="skills")
        result[clean] = int(level)
    return result


def parse_skills(text: str) -> dict[str, int]:
    """Read ``"zh:5, cardiology:2, member"`` (level 1 when omitted)."""
    skills: dict[str, int] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, _, level = part.partition(":")
        try:
            skills[name] = int(level) if level.strip() else 1
        except ValueError:
            raise InvalidQueue("Skills need a name and a level from 1 to 5.") from None
    return validate_skills(skills)


def format_skills(skills: Mapping[str, int]) -> str:
    """Write skills back as ``name:level`` pairs."""
    return ", ".join(f"{name}:{level}" for name, level in sorted(skills.items()))


@dataclass(frozen=True, slots=True)
class WaitingCall:
    """A caller waiting in a queue, and the agents who already let it ring out."""

    call_id: str
    queue: str
    entered_at: datetime
    tried: frozenset[int] = frozenset()
    for_agent: int | None = None  # transferred to a named agent: only they may take it


def has_skills(agent: Skills, needed: Skills) -> bool:
    """Return True when the agent has every needed skill at the needed level or above."""
    return all(agent.get(name, 0) >= level for name, level in needed.items())


def choose_agent(
    call: WaitingCall, queue: QueueSpec, agents: Iterable[AgentState], now: datetime
) -> AgentState | None:
    """The available agent of the queue with the skills, idle the longest, not yet tried."""
    if call.for_agent is not None:
        # A named transfer: that agent, in whatever queue, with whatever skills, or nobody.
        named = [a for a in agents if a.staff_id == call.for_agent]
        return next((a for a in named if a.status == AgentStatus.AVAILABLE), None)
    needed = queue.required_skills((now - call.entered_at).total_seconds())
    candidates = [
        agent
        for agent in agents
        if agent.status == AgentStatus.AVAILABLE
        and call.queue in agent.queues
        and agent.staff_id not in call.tried
        and has_skills(agent.skills, needed)
    ]
    if not candidates:
        return None
    # Longest idle first; on a tie the more skilled agent, then the lower id (stable).
    return min(
        candidates,
        key=lambda a: (
            a.idle_since or a.since or now,
            -sum(a.skills.get(name, 0) for name in needed),
            a.staff_id,
        ),
    )


def assign(
    waiting: Iterable[WaitingCall],
    queues: Mapping[str, QueueSpec],
    agents: Iterable[AgentState],
    now: datetime,
) -> list[tuple[WaitingCall, AgentState]]:
    """Pair waiting calls (longest waiting first) with agents; each agent at most once."""
    free = {agent.staff_id: agent for agent in agents}
    pairs: list[tuple[WaitingCall, AgentState]] = []
    for call in sorted(waiting, key=lambda c: (c.entered_at, c.call_id)):
        queue = queues.get(call.queue)
        if queue is None:
            continue
        agent = choose_agent(call, queue, free.values(), now)
        if agent is not None:
            pairs.append((call, agent))
            del free[agent.staff_id]
    return pairs


def position_of(call_id: str, waiting: Iterable[WaitingCall]) -> int:
    """The caller's 1-based place in their queue (0 when not waiting)."""
    calls = list(waiting)
    mine = next((c for c in calls if c.call_id == call_id), None)
    if mine is None:
        return 0
    key = (mine.entered_at, mine.call_id)
    ahead = [c for c in calls if c.queue == mine.queue and (c.entered_at, c.call_id) < key]
    return len(ahead) + 1


def expected_wait_seconds(position: int, average_handle_seconds: float, agents: int) -> float:
    """A simple estimate: the callers ahead share the signed-in agents' handling time."""
    return position * average_handle_seconds / max(agents, 1)


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What statistics need of one call: when it was offered, answered and ended."""

    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: Outcome
    wrap_up_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class QueueStats:
    offered: int
    answered: int
    abandoned: int
    asa_seconds: float
    aht_seconds: float
    abandonment_rate: float
    service_level: float


def queue_stats(calls: Iterable[CallFacts], *, service_seconds: float) -> QueueStats:
    """ASA, AHT, abandonment and service level over finished calls.

    ASA averages answer delays of answered calls; AHT averages talk time plus wrap-up;
    abandonment is abandoned / offered; service level is answered within ``service_seconds``
    over answered plus abandoned (callbacks and overflows are excluded from it).
    """
    done = [c for c in calls if c.outcome != Outcome.WAITING]
    answered = [c for c in done if c.outcome == Outcome.ANSWERED and c.answered_at]
    abandoned = [c for c in done if c.outcome == Outcome.ABANDONED]
    delays = [_seconds(c.answered_at, c.offered_at) for c in answered]
    handles = [
        _seconds(c.ended_at, c.answered_at) + c.wrap_up_seconds
        for c in answered
        if c.ended_at is not None
    ]
    within = sum(1 for delay in delays if delay <= service_seconds)
    judged = len(answered) + len(abandoned)
    return QueueStats(
        offered=len(done),
        answered=len(answered),
        abandoned=len(abandoned),
        asa_seconds=sum(delays) / len(delays) if delays else 0.0,
        aht_seconds=sum(handles) / len(handles) if handles else 0.0,
        abandonment_rate=len(abandoned) / len(done) if done else 0.0,
        service_level=within / judged if judged else 1.0,
    )


def _seconds(later: datetime | None, earlier: datetime | None) -> float:
    if later is None or earlier is None:
        return 0.0
    return (later - earlier).total_seconds()


class CallbackStatus(StrEnum):
    PENDING = "pending"
    OFFERED = "offered"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """A staff member who takes calls: skills with levels and the queues they serve."""

    staff_id: int
    skills: Mapping[str, int] = field(default_factory=dict)
    queues: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VoicemailSummary:
    """A message the caller left for a doctor, as the screen pop lists it (no audio, no PIN)."""

    number: str
    doctor_name: str
    left_at: datetime
    status: str
    replied: bool


def phone_forms(e164: str) -> list[str]:
    """The forms a stored caller number may take: +8613800000000, 8613800000000, 138..."""
    forms = [e164, e164.lstrip("+")]
    if e164.startswith("+86"):
        forms.append(e164[3:])
    return forms


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call through an ACD queue, from offered to ended, with the agent's wrap-up."""

    call_id: str
    queue: str
    offered_at: datetime
    caller: str = ""  # private: never logged above debug
    patient_id: int | None = None
    language: str = "zh-CN"
    ivr_path: tuple[str, ...] = ()
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    agent_id: int | None = None
    outcome: Outcome = Outcome.WAITING
    wrap_up_code: str = ""
    wrap_up_seconds: int = 0
    notes: str = ""
    recording_path: str | None = None
    consult_doctor_id: int | None = None  # put through to this doctor's consultation
    id: int | None = None

    def facts(self) -> CallFacts:
        """What the statistics need of this call."""
        return CallFacts(
            self.offered_at, self.answered_at, self.ended_at, self.outcome, self.wrap_up_seconds
        )


@dataclass(frozen=True, slots=True)
class Callback:
    """A caller who asked to be called back, keeping their place in the queue."""

    call_id: str
    queue: str
    number: str
    requested_at: datetime
    status: CallbackStatus = CallbackStatus.PENDING
    agent_id: int | None = None
    done_at: datetime | None = None
    id: int | None = None


WRAP_UP_CODES = ("information", "booking", "complaint", "prescription", "wrong_number", "other")


@dataclass(frozen=True, slots=True)
class AcdPolicy:
    """The hospital's ACD rules (fed from the ``acd_*`` settings)."""

    no_answer_seconds: float = 15.0
    wrap_up_seconds: float = 30.0
    announce_every_seconds: float = 30.0
    service_level_seconds: float = 20.0
    record_calls: bool = True
    retention_days: int = 180


__all__ = [
    "WRAP_UP_CODES",
    "VoicemailSummary",
    "phone_forms",
    "AcdError",
    "AcdPolicy",
    "AgentEvent",
    "AgentProfile",
    "CallRecord",
    "Callback",
    "CallbackStatus",
    "AgentState",
    "AgentStatus",
    "CallFacts",
    "InvalidQueue",
    "InvalidTransition",
    "OpeningHours",
    "Outcome",
    "OverflowAction",
    "QueueSpec",
    "QueueStats",
    "WaitingCall",
    "assign",
    "choose_agent",
    "expected_wait_seconds",
    "format_skills",
    "has_skills",
    "parse_skills",
    "position_of",
    "queue_stats",
    "validate_skills",
]
