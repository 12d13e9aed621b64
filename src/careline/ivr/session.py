"""One caller's way through the flow: language, path, keys, prompts, and how to ask them.

Actions receive the ``CallSession``: they speak prompts by id (texts come from the flow
file), ask for keys with the common behaviour (``*`` repeats, ``0`` reaches an agent, a
timeout or wrong key re-prompts twice and then hands over), and open units of work.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from careline.db.uow import UnitOfWork
from careline.ivr.model import FlowSpec, HandoffContext, Outcome
from careline.kit.clock import Clock

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from careline.speech.speaker import Speaker as SpeechSpeaker
    from careline.telephony.media import Prompt, RecordingResult

MAX_TRIES = 3  # the first prompt and two re-prompts
AGENT_KEY = "0"
REPEAT_KEY = "*"


class IvrCall(Protocol):
    """What the IVR needs from a call (``careline.telephony.Call`` provides it)."""

    caller: str
    language: str

    @property
    def id(self) -> str: ...

    async def answer(self) -> None: ...

    async def play(self, prompt: Prompt, *, barge_in: bool = True) -> str | None: ...

    async def say(
        self, text: str, *, language: str | None = None, barge_in: bool = True
    ) -> str | None: ...

    async def collect(
        self, max_digits: int = 1, timeout: float = 5.0, terminator: str = "#"
    ) -> str: ...

    async def record(
        self,
        path: Path,
        *,
        max_seconds: float = 60.0,
        silence_seconds: float = 5.0,
        stop_digits: str = "#",
        beep: bool = True,
    ) -> RecordingResult: ...

    async def transfer_to_queue(self, queue: str) -> None: ...

    async def hangup(self) -> None: ...


class AgentRequested(Exception):  # noqa: N818 - a request, raised to unwind the flow
    """The caller pressed 0, or gave up on a prompt: hand the call to an agent."""

    def __init__(self, reason: str = "caller_request") -> None:
        super().__init__(reason)
        self.reason = reason


class EndOfCall(Exception):  # noqa: N818 - a request, raised to unwind the flow
    """The flow has said goodbye; hang up."""


@dataclass(frozen=True, slots=True)
class IvrTiming:
    """How long the line waits for keys and records (seconds)."""

    menu_timeout: float = 5.0
    digit_timeout: float = 6.0
    record_max_seconds: float = 120.0
    record_silence_seconds: float = 5.0


@dataclass
class IvrServices:
    """What actions reach: the database, the clock, the data directory, speech."""

    db: AsyncEngine
    clock: Clock
    data_dir: Path
    speech: SpeechSpeaker | None = None
    timing: IvrTiming = field(default_factory=IvrTiming)


_handoffs: weakref.WeakKeyDictionary[Any, HandoffContext] = weakref.WeakKeyDictionary()


def handoff_context(call: object) -> HandoffContext | None:
    """The context an IVR call carried into the agent queue (read by the ACD's QueuePort)."""
    return _handoffs.get(call)


def attach_handoff(call: object, context: HandoffContext) -> None:
    _handoffs[call] = context


@dataclass
class CallSession:
    """The state of one call in the IVR."""

    call: IvrCall
    flow: FlowSpec
    services: IvrServices
    language: str
    path: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    patient_id: int | None = None
    member_card: str | None = None
    served: bool = False
    outcome: Outcome | None = None
    values: dict[str, Any] = field(default_factory=dict)  # what one action leaves the next
    recorded: frozenset[tuple[str, str]] = frozenset()  # (prompt id, language) with a recording

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.services.db)

    @property
    def clock(self) -> Clock:
        return self.services.clock

    async def say(self, prompt_id: str, *, private: bool = False, **values: Any) -> str | None:
        """Speak a prompt of the flow with its fields filled; return an interrupting key."""
        text = self.flow.text(prompt_id, self.language).format(**values)
        self.prompts.append(prompt_id)
        speech = self.services.speech
        if speech is None:
            return await self.call.say(text, language=self.language)
        if not values and (prompt_id, self.language) in self.recorded:
            return await self.call.play(await speech.fixed_prompt(prompt_id, self.language))
        # Texts naming the caller or reading their numbers stay out of the disk cache.
        prompt = await speech.speech_prompt(text, self.language, persist=not private)
        return await self.call.play(prompt)

    async def say_all(self, *items: tuple[str, dict[str, Any]]) -> None:
        """Speak several prompts; a key stops the rest (it is kept for the next question)."""
        for prompt_id, values in items:
            if await self.say(prompt_id, **values):
                return

    def _pressed(self, keys: str) -> None:
        if keys:
            self.keys.append(keys)

    async def choose(self, prompt_id: str, allowed: Collection[str], **values: Any) -> str:
        """Ask for one key out of allowed, with the common repeat/agent/retry rules."""
        failures = 0
        while True:
            await self.say(prompt_id, **values)
            key = await self.call.collect(1, self.services.timing.menu_timeout, terminator="")
            self._pressed(key)
            if key == AGENT_KEY:
                raise AgentRequested()
            if key == REPEAT_KEY:
                continue
            if key in allowed:
                return key
            failures = await self._failed(failures, bool(key))

    async def ask_digits(
        self,
        prompt_id: str,
        *,
        max_digits: int,
        valid: Callable[[str], bool] = lambda _: True,
        invalid: str = "invalid_key",
        **values: Any,
    ) -> str:
        """Ask for a number ended by # (or max_digits); ``0#`` alone reaches an agent."""
        failures = 0
        while True:
            await self.say(prompt_id, **values)
            digits = await self.call.collect(
                max_digits, self.services.timing.digit_timeout, terminator="#"
            )
            self._pressed(digits)
            if digits == AGENT_KEY:
                raise AgentRequested()
            if REPEAT_KEY in digits:
                continue
            if digits and valid(digits):
                return digits
            failures = await self._failed(failures, bool(digits), invalid)

    async def _failed(self, failures: int, keyed: bool, invalid: str = "invalid_key") -> int:
        failures += 1
        if failures >= MAX_TRIES:
            raise AgentRequested("no_input" if not keyed else "invalid_input")
        await self.say(invalid if keyed else "no_input")
        return failures

    async def retry_or_agent(self, failures: int) -> int:
        """Count a failed attempt inside an action; the third hands the call over."""
        failures += 1
        if failures >= MAX_TRIES:
            raise AgentRequested("repeated_failure")
        return failures
