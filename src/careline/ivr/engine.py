"""The IVR engine: run a caller through the flow, hand over to agents, record the call.

Per call the engine does two small queries at the start (remembered language, patient by
caller ID) and one insert at the end; prompts come from the Speaker's cache and no timer
task is created per call (waiting for keys uses the media engine's own timeouts).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import structlog

from careline.db.uow import UnitOfWork
from careline.ivr import actions as _actions  # noqa: F401 - registers the actions
from careline.ivr import care_actions as _care_actions  # noqa: F401 - registers the actions
from careline.ivr import doctor_actions as _doctor_actions  # noqa: F401 - registers them
from careline.ivr import member_actions as _member_actions  # noqa: F401 - registers them
from careline.ivr.flowfile import DEFAULT_FLOW, FlowStore
from careline.ivr.model import LANGUAGES, CallRecord, FlowSpec, HandoffContext, NodeKind, Outcome
from careline.ivr.model import title_of as _title_of
from careline.ivr.registry import ACTIONS, action_prompts
from careline.ivr.service import CallerProfile, caller_profile, save_call_record
from careline.ivr.session import (
    AGENT_KEY,
    AgentRequested,
    CallSession,
    EndOfCall,
    IvrCall,
    IvrServices,
    attach_handoff,
)
from careline.telephony.calls import CallEnded, TelephonyError

log = structlog.get_logger(__name__)
MAX_STEPS = 300  # a caller looping through menus this long is better served by a person


class IvrEngine:
    """The entry flow of the phone line (``VoiceServer(entry_flow=engine)``)."""

    def __init__(
        self,
        services: IvrServices,
        *,
        store: FlowStore | None = None,
        default_language: str = "zh-CN",
    ) -> None:
        self.services = services
        self.store = store or FlowStore(
            action_prompts(), services.data_dir / "ivr" / "prompts.yaml", DEFAULT_FLOW
        )
        self.default_language = default_language if default_language in LANGUAGES else "zh-CN"
        self._recorded: frozenset[tuple[str, str]] = frozenset()
        self._recordings_stamp: tuple[int, ...] | None = None

    def recorded_prompts(self) -> frozenset[tuple[str, str]]:
        """The (prompt id, language) pairs the hospital recorded; re-listed when files change."""
        speech = self.services.speech
        library = speech.recordings if speech is not None else None
        if library is None:
            return frozenset()
        # Storing a recording renames a file into its folder, which changes the folder's mtime.
        folders = [library.directory / language for language in LANGUAGES]
        stamp = tuple(folder.stat().st_mtime_ns if folder.is_dir() else 0 for folder in folders)
        if stamp != self._recordings_stamp:
            self._recordings_stamp = stamp
            self._recorded = frozenset(
                (prompt_id, language.value) for prompt_id, language in library.available()
            )
        return self._recorded

    async def warm_up(self) -> int:
        """Render every prompt without fields in both languages; return how many are ready."""
        speech = self.services.speech
        if speech is None:
            return 0
        flow = self.store.current()
        fixed = [
            (texts[language], language)
            for texts in flow.prompts.values()
            for language in LANGUAGES
            if "{" not in texts[language]
        ]
        results = await asyncio.gather(
            *(speech.render(text, language) for text, language in fixed), return_exceptions=True
        )
        failures = {
            f"{language}:{text[:40]}": repr(result)
            for (text, language), result in zip(fixed, results, strict=True)
            if isinstance(result, BaseException)
        }
        if failures:
            # Prompt texts are the hospital's own words, never a patient's: safe to log.
            log.warning("ivr_prompts_not_warmed", failures=failures)
        ready = len(fixed) - len(failures)
        log.info("ivr_prompts_warmed", ready=ready, total=len(fixed))
        return ready

    async def __call__(self, call: IvrCall) -> None:
        started = self.services.clock.now()
        flow = self.store.current()
        session = CallSession(call, flow, self.services, self.default_language)
        session.recorded = self.recorded_prompts()
        try:
            await call.answer()
            profile = await self._profile(call)
            session.patient_id = profile.patient_id
            start = await self._greet(session, profile)
            await self._run(session, start)
        except AgentRequested as request:
            await self._hand_off(session, request.reason)
        except EndOfCall:
            await call.hangup()
        except CallEnded:
            pass
        except Exception:  # a failing service must not leave the caller in silence
            log.exception("ivr_step_failed", path=session.path[-1:] or None)
            await self._hand_off(session, "error")
        finally:
            await asyncio.shield(self._record(session, started))

    async def _profile(self, call: IvrCall) -> CallerProfile:
        try:
            async with UnitOfWork(self.services.db) as uow:
                return await caller_profile(uow, caller=call.caller)
        except Exception:  # a database hiccup must not drop the caller
            log.exception("ivr_caller_lookup_failed")
            return CallerProfile()

    async def _greet(self, session: CallSession, profile: CallerProfile) -> str:
        if profile.language in LANGUAGES:
            session.language = profile.language or session.language
        title = _title_of(profile.name, profile.gender, session.language)
        if title:
            await session.say("greeting_known", private=True, title=title)
        else:
            await session.say("greeting")
        # A caller whose language we remember skips the language question.
        return "main" if profile.language and "main" in session.flow.nodes else session.flow.start

    async def _run(self, session: CallSession, node_name: str) -> None:
        for _ in range(MAX_STEPS):
            node = session.flow.nodes[node_name]
            session.path.append(node.name)
            if node.kind is NodeKind.MENU:
                key = await session.choose(node.prompt, node.options)
                node_name = node.options[key]
                continue
            chosen = await ACTIONS[node.action].run(session, node.args)
            if chosen is not None and chosen not in node.targets():
                raise RuntimeError(f"action {node.action!r} chose undeclared node {chosen!r}")
            node_name = chosen or node.next
            if not node_name:
                raise EndOfCall()
        raise AgentRequested("too_many_steps")

    async def _hand_off(self, session: CallSession, reason: str) -> None:
        context = HandoffContext(
            call_id=session.call.id,
            language=session.language,
            menu_path=tuple(session.path),
            member_card=session.member_card,
            patient_id=session.patient_id,
            reason=reason,
        )
        attach_handoff(session.call, context)
        session.outcome = Outcome.TO_AGENT
        try:
            await session.say("agent_transfer")
            await session.call.transfer_to_queue(session.flow.queue)
        except TelephonyError:
            log.warning("ivr_no_agent_queue")
            await session.say("agents_unavailable")
            await session.call.hangup()
        except CallEnded:
            session.outcome = Outcome.ABANDONED

    async def _record(self, session: CallSession, started: datetime) -> None:
        outcome = session.outcome or (Outcome.SELF_SERVED if session.served else Outcome.ABANDONED)
        record = CallRecord(
            call_id=session.call.id,
            caller=session.call.caller,
            started_at=started,
            ended_at=self.services.clock.now(),
            language=session.language,
            outcome=outcome,
            path=tuple(session.path),
            keys="".join(session.keys),
            prompts=tuple(session.prompts),
            patient_id=session.patient_id,
            member_card=session.member_card,
        )
        try:
            async with session.uow() as uow:
                await save_call_record(uow, record=record)
        except Exception:  # the call is over; losing its record must not raise into the server
            log.exception("ivr_call_record_failed")


def build_engine(services: IvrServices, *, default_language: str = "zh-CN") -> IvrEngine:
    """An engine on the packaged flow and the admin's texts under the data directory."""
    return IvrEngine(services, default_language=default_language)


__all__ = ["AGENT_KEY", "FlowSpec", "IvrEngine", "build_engine"]
