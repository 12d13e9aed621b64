"""The phone side of the ACD: ``AcdQueue`` is the voice server's ``QueuePort``.

A caller handed over by the IVR hears the recording notice, then hold music with their
position every ``announce_every_seconds``; key 1 leaves a callback number (their place is
kept: callbacks are offered oldest first). When the centre picks an agent, the agent's
registered extension rings for ``no_answer_seconds``; an agent who does not answer is paused
and the next one rings. The bridged conversation is recorded, and the call record follows
every step. Past the queue's maximum wait, or outside its hours, the caller is offered a
callback (or told to call again, by the queue's overflow action).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from careline.acd import service
from careline.acd.center import AcdCenter
from careline.acd.consult import DoctorConsultation
from careline.acd.events import CallEnded as CallEndedEvent
from careline.acd.events import CallOffered, CallQueued
from careline.acd.model import (
    AgentState,
    CallRecord,
    Outcome,
    OverflowAction,
    QueueSpec,
    WaitingCall,
)
from careline.acd.monitor import listen_in
from careline.ivr.session import handoff_context
from careline.telephony.bridge_recording import BridgeRecorder
from careline.telephony.calls import (
    Call,
    CallEnded,
    CallEvent,
    CallEventKind,
    QueuePort,
    TelephonyError,
)
from careline.telephony.media import MediaStream, Prompt, bridge, unbridge
from careline.telephony.outbound import DialStatus

log = structlog.get_logger(__name__)
CALLBACK_KEY = "1"
MAX_TRANSFERS = 5
MESSAGE_KEY = "2"
MIN_MESSAGE_SECONDS = 1.0

TEXTS: dict[str, dict[str, str]] = {
    "notice": {
        "zh-CN": "您好，正在为您转接人工服务。为了服务质量，通话将被录音。",
        "en": "Connecting you to an agent. For quality, this call will be recorded.",
    },
    "position": {
        "zh-CN": "您前面还有{ahead}位来电，请稍候。按1留下回拨号码，按2留言。",
        "en": "There are {ahead} callers ahead of you. "
        "Press 1 to leave a callback number, 2 to leave a message.",
    },
    "next": {
        "zh-CN": "您是下一位，请稍候。按1留下回拨号码，按2留言。",
        "en": "You are next in line. Press 1 to leave a callback number, 2 to leave a message.",
    },
    "callback_number": {
        "zh-CN": "请输入回拨号码，以井号结束；直接按井号使用本机号码。",
        "en": "Enter the number to call back, then the hash key; hash alone uses this number.",
    },
    "callback_saved": {
        "zh-CN": "已记下，我们会按顺序给您回电。再见。",
        "en": "Thank you. We will call you back in turn. Goodbye.",
    },
    "closed": {
        "zh-CN": "人工服务现在不在服务时间，或者排队已满。",
        "en": "Agents are not available now.",
    },
    "offer_callback": {
        "zh-CN": "按1留下回拨号码，按2留言，或者稍后再拨。",
        "en": "Press 1 to leave a callback number, 2 to leave a message, or call again later.",
    },
    "message": {
        "zh-CN": "请在提示音后留言，按井号结束。",
        "en": "Please leave your message after the tone, then press the hash key.",
    },
    "message_saved": {
        "zh-CN": "您的留言已记录，工作人员会尽快处理。再见。",
        "en": "Your message is recorded; our staff will follow it up. Goodbye.",
    },
    "goodbye": {"zh-CN": "再见。", "en": "Goodbye."},
}


@cache
def hold_music() -> Prompt:
    """A soft, slow arpeggio looped while callers wait (no licensed music needed)."""
    rate = 8000
    notes = (523.25, 659.25, 783.99, 659.25)
    parts = []
    for frequency in notes:
        t = np.arange(int(rate * 0.5)) / rate
        envelope = np.minimum(1.0, np.minimum(t, 0.5 - t) * 20)
        parts.append(np.sin(2 * np.pi * frequency * t) * envelope * 2500)
    parts.append(np.zeros(rate))
    return Prompt(pcm=np.concatenate(parts).astype(np.int16), name="queue_music")


class _LiveCall:
    """Hang-up and hold of one queued call, for the agent's desk."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.held: MediaStream | None = None
        self.transfer_to: str | None = None
        self.transfer_agent: int | None = None
        self.consult_doctor: int | None = None

    def hang_up(self) -> None:
        self.call.leg.hangup("agent")

    def hold(self, on: bool) -> bool:
        """Unbridge and play music to the caller, or bridge the two again."""
        mine = self.call.leg.stream
        if on and mine.peer is not None and self.held is None:
            self.held = mine.peer
            unbridge(mine, self.held)
            mine.start_music(hold_music())
            return True
        if not on and self.held is not None and self.call.is_active:
            agent, self.held = self.held, None
            mine.stop_music()
            bridge(mine, agent)
            return True
        return False

    def transfer(self, queue: str, agent_id: int | None = None) -> bool:
        """Send the caller to another queue or agent: the agent's leg ends, the caller waits."""
        agent_leg = self.call.bridged_to
        if agent_leg is None or not self.call.is_active:
            return False
        self.transfer_to = queue
        self.transfer_agent = agent_id
        if self.held is not None:
            self.held = None
            self.call.leg.stream.stop_music()
        agent_leg.hangup("transferred")
        return True

    def listen(self, extension: str) -> bool:
        """Ring a supervisor's extension and let them hear both parties, unheard."""
        return listen_in(self.call, extension)

    def consult(self, doctor_id: int) -> bool:
        """Put the caller through to a doctor's consultation: the agent's leg ends first."""
        if not self.transfer("", None):
            return False
        self.transfer_to, self.consult_doctor = None, doctor_id
        return True


class AcdQueue(QueuePort):
    """Keep callers in the centre's queues and connect them to agents' phones."""

    def __init__(
        self,
        center: AcdCenter,
        *,
        recordings_dir: Path,
        consultation: DoctorConsultation | None = None,
    ) -> None:
        self.center = center
        self.recordings_dir = recordings_dir
        self.consultation = consultation

    async def enqueue(self, call: Call, queue: str) -> None:
        live = _LiveCall(call)
        target: str | None = queue
        rounds = 0
        while target is not None and rounds < MAX_TRANSFERS:
            # Each queue the caller passes through (a transfer adds one) is a call record.
            rid = call.id if rounds == 0 else f"{call.id}#{rounds}"
            for_agent, live.transfer_to, live.transfer_agent = live.transfer_agent, None, None
            await self._queue_once(call, target, rid, live, for_agent)
            doctor, live.consult_doctor = live.consult_doctor, None
            if doctor is not None and await self._consult(call, rid, doctor):
                return
            # After a consultation the caller who pressed 0 waits in the same queue again.
            target = (live.transfer_to or (target if doctor else None)) if call.is_active else None
            rounds += 1

    async def _consult(self, call: Call, rid: str, doctor_id: int) -> bool:
        """Run the doctor's consultation on the call; False when the caller wants an agent."""
        # The call record names the doctor the caller was put through to (never a number).
        async with self.center.uow() as uow:
            await service.update_call_record(uow, call_id=rid, consult_doctor_id=doctor_id)
        if not call.is_active or self.consultation is None:
            return True
        handoff = handoff_context(call)
        patient = handoff.patient_id if handoff else None
        run = await self.consultation(call, doctor_id, patient_id=patient)
        return not run.back_to_agent

    async def _queue_once(
        self, call: Call, queue: str, rid: str, live: _LiveCall, for_agent: int | None
    ) -> None:
        handoff = handoff_context(call)
        async with self.center.uow() as uow:
            spec = await service.get_queue(uow, name=queue)
        record = CallRecord(
            call_id=rid,
            queue=spec.name,
            offered_at=self.center.clock.now(),
            caller=call.caller,
            patient_id=handoff.patient_id if handoff else None,
            language=call.language,
            ivr_path=handoff.menu_path if handoff else (),
        )
        async with self.center.uow() as uow:
            await service.open_call_record(uow, record=record)
        self.center.bus.publish(CallQueued(rid, spec.name, record.offered_at))
        outcome = Outcome.ABANDONED
        self.center.track_call(rid, live)
        try:
            outcome = await self._serve(call, spec, record, for_agent)
        finally:
            self.center.track_call(rid, None)
            self.center.leave(rid)
            if outcome != Outcome.ANSWERED:
                await self._finish(rid, spec.name, outcome, None)

    async def _serve(
        self, call: Call, spec: QueueSpec, record: CallRecord, for_agent: int | None = None
    ) -> Outcome:
        local = record.offered_at.astimezone(self.center.clock.zone)
        if not spec.hours.is_open(local):
            return await self._overflow(call, spec)
        waiting = WaitingCall(record.call_id, spec.name, record.offered_at, for_agent=for_agent)
        # The caller is in line while the notice plays, so a free agent's card pops at once;
        # the agent's phone rings only after the notice, before any recording starts.
        offer = self._offer(call, spec, waiting, record)
        await self._say(call, "notice", barge_in=False)
        while True:
            call.leg.stream.start_music(hold_music())
            agent = await self._wait(call, spec, waiting, offer)
            if agent is None:
                return await self._overflow(call, spec)
            if isinstance(agent, Outcome):
                return agent
            call.leg.stream.stop_music()
            if await self._ring(call, spec, agent, record.call_id):
                return Outcome.ANSWERED
            # A named agent who lets it ring out hands the caller back to the whole queue.
            waiting = replace(waiting, tried=waiting.tried | {agent.staff_id}, for_agent=None)
            offer = self._offer(call, spec, waiting, record)

    def _offer(
        self, call: Call, spec: QueueSpec, waiting: WaitingCall, record: CallRecord
    ) -> asyncio.Future[AgentState]:
        """Put the caller in line; when an agent is chosen, their desk gets the card."""

        def offered(future: asyncio.Future[AgentState]) -> None:
            if future.cancelled():
                return
            agent = future.result()
            self.center.bus.publish(
                CallOffered(
                    record.call_id,
                    spec.name,
                    agent.staff_id,
                    call.caller,
                    record.patient_id,
                    record.ivr_path,
                    call.language,
                    self.center.clock.now(),
                )
            )

        offer = self.center.wait_for_agent(waiting, spec)
        if offer.done():
            offered(offer)
        else:
            offer.add_done_callback(offered)
        return offer

    async def _wait(
        self,
        call: Call,
        spec: QueueSpec,
        waiting: WaitingCall,
        offer: asyncio.Future[AgentState],
    ) -> AgentState | Outcome | None:
        """Wait for an agent; return the agent, an outcome (callback), or None (overflow)."""
        digits = asyncio.ensure_future(call.leg.stream.next_digit(None))
        every = self.center.policy.announce_every_seconds
        try:
            while True:
                if offer.done():
                    return offer.result()
                waited = (self.center.clock.now() - waiting.entered_at).total_seconds()
                if waited >= spec.max_wait_seconds:
                    self.center.leave(waiting.call_id)
                    return None
                racing: set[asyncio.Future[Any]] = {offer, digits, call.leg.ended}
                timeout = min(every, spec.max_wait_seconds - waited)
                await asyncio.wait(racing, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                if offer.done():
                    continue
                if call.leg.ended.done():
                    raise CallEnded(call.leg.end_reason)
                if digits.done():
                    if digits.result() == CALLBACK_KEY:
                        self.center.leave(waiting.call_id)
                        return await self._callback(call, spec)
                    if digits.result() == MESSAGE_KEY:
                        self.center.leave(waiting.call_id)
                        return await self._message(call)
                    digits = asyncio.ensure_future(call.leg.stream.next_digit(None))
                    continue
                await self._announce(call, waiting.call_id)
        finally:
            digits.cancel()

    async def _announce(self, call: Call, rid: str) -> None:
        ahead = max(self.center.position(rid) - 1, 0)
        await self._say(call, "position" if ahead else "next", ahead=ahead)

    async def _say(
        self, call: Call, key: str, *, barge_in: bool = True, **fields: object
    ) -> str | None:
        language = call.language if call.language in ("zh-CN", "en") else "zh-CN"
        text = TEXTS[key][language].format(**fields)
        try:
            return await call.say(text, language=language, barge_in=barge_in)
        except TelephonyError:  # no speech engine: a short tone marks the place instead
            return await call.play(hold_music(), barge_in=barge_in)

    async def _callback(self, call: Call, spec: QueueSpec) -> Outcome:
        call.leg.stream.stop_music()
        await self._say(call, "callback_number", barge_in=False)
        typed = await call.collect(max_digits=15, timeout=10.0, terminator="#")
        number = typed if len(typed) >= 5 else call.caller
        async with self.center.uow() as uow:
            await service.request_callback(
                uow, call_id=call.id, queue=spec.name, number=number, clock=self.center.clock
            )
        await self._say(call, "callback_saved", barge_in=False)
        return Outcome.CALLBACK

    async def _message(self, call: Call) -> Outcome:
        """Record a message after the tone; it becomes a ticket with the recording."""
        from careline.complaints import service as complaints

        call.leg.stream.stop_music()
        await self._say(call, "message", barge_in=False)
        stamp = self.center.clock.now().strftime("%Y%m%d%H%M%S")
        relative = Path("recordings") / "acd-messages" / f"{stamp}-{secrets.token_hex(6)}.wav"
        target = self.recordings_dir.parent / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        result = await call.record(target, max_seconds=120.0, silence_seconds=5.0)
        if result.seconds < MIN_MESSAGE_SECONDS:
            await self._say(call, "goodbye", barge_in=False)
            return Outcome.OVERFLOW
        async with self.center.uow() as uow:
            ticket = await complaints.open_voice_ticket(
                uow,
                recording_path=relative.as_posix(),
                caller_phone=call.caller or None,
                clock=self.center.clock,
                language=call.language,
            )
        log.info("acd_message_ticket", call_id=call.id, ticket_id=ticket.id)
        await self._say(call, "message_saved", barge_in=False)
        return Outcome.VOICEMAIL

    async def _overflow(self, call: Call, spec: QueueSpec) -> Outcome:
        call.leg.stream.stop_music()
        await self._say(call, "closed", barge_in=False)
        if spec.overflow == OverflowAction.CALLBACK:
            key = await self._say(call, "offer_callback")
            key = key or await call.collect(max_digits=1, timeout=6.0)
            if key == CALLBACK_KEY:
                return await self._callback(call, spec)
            if key == MESSAGE_KEY:
                return await self._message(call)
        await self._say(call, "goodbye", barge_in=False)
        return Outcome.OVERFLOW

    async def _ring(self, call: Call, spec: QueueSpec, agent: AgentState, rid: str) -> bool:
        """Ring the agent's phone; True when they answered (the call is over on return)."""
        if not agent.extension:
            self.center.no_answer(agent.staff_id, rid)
            return False
        answered: list[BridgeRecorder | None] = []

        def on_event(event: CallEvent) -> None:
            if (
                event.kind != CallEventKind.BRIDGED
                or answered
                or self.center.state_of(agent.staff_id).call_id != rid
            ):
                return
            self.center.answered(agent.staff_id, rid, spec.name)
            peer = call.leg.stream.peer
            policy = self.center.policy
            recorder = (
                BridgeRecorder(call.leg.stream, peer) if peer and policy.record_calls else None
            )
            answered.append(recorder)
            asyncio.get_running_loop().create_task(self._mark_answered(rid, agent.staff_id))

        call.on_event(on_event)
        try:
            result = await call.bridge(
                agent.extension, ring_timeout=self.center.policy.no_answer_seconds
            )
        except CallEnded:
            if not answered:
                self.center.ring_ended(agent.staff_id, rid)
            raise
        if result.status != DialStatus.ANSWERED or not answered:
            self.center.no_answer(agent.staff_id, rid)
            log.info("acd_no_answer", call_id=rid, staff_id=agent.staff_id)
            return False
        path = await self._save_recording(answered[0], rid)
        await self._finish(rid, spec.name, Outcome.ANSWERED, path)
        self.center.call_ended(agent.staff_id, rid, spec.name, Outcome.ANSWERED.value)
        return True

    async def _mark_answered(self, call_id: str, staff_id: int) -> None:
        async with self.center.uow() as uow:
            await service.update_call_record(
                uow, call_id=call_id, answered_at=self.center.clock.now(), agent_id=staff_id
            )

    async def _save_recording(self, recorder: BridgeRecorder | None, call_id: str) -> str | None:
        if recorder is None:
            return None
        day = self.center.clock.today().isoformat()
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in call_id)[:120]
        path = self.recordings_dir / day / f"{safe}.wav"
        await recorder.save(path)
        return str(path)

    async def _finish(
        self, call_id: str, queue: str, outcome: Outcome, recording: str | None
    ) -> None:
        now = self.center.clock.now()
        values: dict[str, object] = {"ended_at": now, "outcome": outcome.value}
        if recording is not None:
            values["recording_path"] = recording
        if outcome == Outcome.ANSWERED:
            values["wrap_up_seconds"] = int(self.center.policy.wrap_up_seconds)
        async with self.center.uow() as uow:
            await service.update_call_record(uow, call_id=call_id, **values)
        if outcome != Outcome.ANSWERED:
            self.center.bus.publish(CallEndedEvent(call_id, queue, None, outcome.value, now))


__all__ = ["TEXTS", "AcdQueue", "hold_music"]
