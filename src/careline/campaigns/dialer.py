"""The campaign worker: claims due attempts and calls, texts or mails the patients.

Voice attempts are paced (free lines and calls per minute, ``pacing.Pacer``) and each
becomes one task that dials through the trunk with the hospital's caller ID, runs the
call script and records the outcome. SMS and email attempts are handed to the channels'
queue in the same transaction that closes the attempt. ``stop()`` stops claiming and
lets the calls in progress finish, so a restart neither loses nor repeats an attempt; a
worker killed mid-call leaves its attempts claimed until their lease passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from pathlib import Path

import structlog

from careline.campaigns import attempt_service, results
from careline.campaigns.attempt_service import Work
from careline.campaigns.call_flow import CallResult, CallScript, run_call
from careline.campaigns.model import Channel, TargetStatus
from careline.campaigns.pacing import Pacer
from careline.campaigns.policy import CampaignPolicy
from careline.campaigns.retry import AttemptOutcome
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.phones import InvalidPhoneNumber
from careline.telephony.calls import Call, CallEnded
from careline.telephony.feedback_calls import trunk_number
from careline.telephony.outbound import DialStatus
from careline.telephony.server import VoiceServer

log = structlog.get_logger(__name__)

_OUTCOMES = {
    DialStatus.BUSY: AttemptOutcome.BUSY,
    DialStatus.NO_ANSWER: AttemptOutcome.NO_ANSWER,
    DialStatus.FAILED: AttemptOutcome.FAILED,
}
MESSAGE_BATCH = 50


class CampaignDialer:
    """Claim due attempts and carry them out until stopped."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        policy: CampaignPolicy,
        *,
        voice: VoiceServer | None,
        messages: bool,
        recordings: Path,
        interval: float = 5.0,
        worker_id: str | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._policy = policy
        self._voice = voice
        self._messages = messages
        self._recordings = recordings
        self._interval = interval
        self.worker_id = worker_id or f"dialer-{secrets.token_hex(4)}"
        self.pacer = Pacer(max_lines=policy.max_lines, calls_per_minute=policy.calls_per_minute)
        self._calls: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Work until ``stop()``; errors of one round are logged and the next round runs."""
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("campaign_round_failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._pause())

    def _pause(self) -> float:
        wait = self.pacer.wait_seconds(self._clock.monotonic())
        return min(self._interval, max(wait, 0.05))

    async def run_once(self) -> int:
        """Claim and start what may start now; return how many attempts were taken."""
        taken = 0
        if self._messages:
            taken += await self._send_messages()
        if self._voice is not None:
            taken += await self._start_calls()
        return taken

    async def stop(self) -> None:
        """Stop claiming and wait for the calls in progress to be recorded."""
        self._stopping.set()
        self._wake.set()
        if self._calls:
            await asyncio.gather(*self._calls, return_exceptions=True)

    async def _send_messages(self) -> int:
        async with self._uow() as uow:
            work = await attempt_service.claim_attempts(
                uow,
                worker=self.worker_id,
                clock=self._clock,
                policy=self._policy,
                limit=MESSAGE_BATCH,
                channels=(Channel.SMS, Channel.EMAIL),
            )
            for item in work:
                subject, text = attempt_service.message_for(item, self._policy.public_url)
                status = await attempt_service.send_message(
                    uow,
                    work=item,
                    worker=self.worker_id,
                    clock=self._clock,
                    subject=subject,
                    text=text,
                )
                if status is TargetStatus.UNREACHED:
                    log.warning("campaign_message_refused", target_id=item.attempt.target.id)
        return len(work)

    async def _start_calls(self) -> int:
        free = self.pacer.available(self._clock.monotonic())
        if free <= 0 or self._stopping.is_set():
            return 0
        async with self._uow() as uow:
            work = await attempt_service.claim_attempts(
                uow,
                worker=self.worker_id,
                clock=self._clock,
                policy=self._policy,
                limit=free,
                channels=(Channel.VOICE,),
            )
        for item in work:
            self.pacer.try_start(self._clock.monotonic())
            task = asyncio.create_task(self._call(item))
            self._calls.add(task)
            task.add_done_callback(self._call_done)
        return len(work)

    def _call_done(self, task: asyncio.Task[None]) -> None:
        self._calls.discard(task)
        self.pacer.finished()
        self._wake.set()

    async def _call(self, work: Work) -> None:
        assert self._voice is not None
        target = work.attempt.target
        try:
            number = trunk_number(target.address)
        except (InvalidPhoneNumber, ValueError):
            await self._record(work, AttemptOutcome.FAILED, None)
            return
        outcome = await self._voice.dial(
            number,
            caller_id=self._policy.caller_id or None,
            ring_timeout=self._policy.ring_timeout,
        )
        log.info("campaign_call", target_id=target.id, status=outcome.status, code=outcome.sip_code)
        if outcome.call is None:
            await self._record(
                work, _OUTCOMES.get(outcome.status, AttemptOutcome.FAILED), outcome.sip_code
            )
            return
        result = await self._converse(work, outcome.call)
        with contextlib.suppress(CallEnded):
            await outcome.call.hangup()
        final = AttemptOutcome.OPTED_OUT if result.opted_out else AttemptOutcome.ANSWERED
        await self._record(work, final, outcome.sip_code)

    async def _converse(self, work: Work, call: Call) -> CallResult:
        target, campaign = work.attempt.target, work.campaign
        _, text = attempt_service.message_for(work, self._policy.public_url)
        self._recordings.mkdir(parents=True, exist_ok=True)
        script = CallScript(
            message=text,
            language=target.language,
            questionnaire=campaign.questionnaire,
            key_timeout=self._policy.key_timeout,
            comment_path=self._recordings / f"campaign-{campaign.id}-{target.id}.wav",
            comment_seconds=self._policy.comment_seconds,
        )

        async def store(key: str, answer: str, recording: str | None) -> None:
            async with self._uow() as uow:
                await results.record_answer(
                    uow,
                    target=target,
                    question_key=key,
                    answer=answer,
                    recording=recording,
                    clock=self._clock,
                )

        return await run_call(call, script, store)

    async def _record(self, work: Work, outcome: AttemptOutcome, sip_code: int | None) -> None:
        async with self._uow() as uow:
            await attempt_service.record_outcome(
                uow,
                work=work,
                worker=self.worker_id,
                outcome=outcome,
                clock=self._clock,
                policy=self._policy,
                sip_code=sip_code,
            )
