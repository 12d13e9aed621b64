"""Use cases of campaign attempts: claim due attempts, record call outcomes, send messages.

Workers claim due attempts (``claim_attempts``), act on them (a call, an SMS, an email)
and record what happened (``record_outcome``), which either closes the target or writes
the next attempt with its due time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from careline.campaigns.attempt_repository import AttemptRepository
from careline.campaigns.model import CampaignKind, Channel, MessageKind, TargetStatus, message_kind
from careline.campaigns.policy import CampaignPolicy
from careline.campaigns.records import Campaign, ClaimedAttempt
from careline.campaigns.repository import CampaignRepository
from careline.campaigns.retry import AttemptOutcome, Finished, after_attempt
from careline.campaigns.service import get_campaign
from careline.channels import service as channels
from careline.channels.errors import ChannelError
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Work:
    """A claimed attempt with its campaign: what a worker acts on."""

    attempt: ClaimedAttempt
    campaign: Campaign


async def claim_attempts(
    uow: UnitOfWork,
    *,
    worker: str,
    clock: Clock,
    policy: CampaignPolicy,
    limit: int,
    channels: Iterable[Channel],
) -> list[Work]:
    """Claim due attempts; skip patients on the do-not-call list and wait out closed windows."""
    if limit <= 0:
        return []
    repo = AttemptRepository(uow.connection)
    campaign_repo = CampaignRepository(uow.connection)
    now = clock.now()
    claimed = await repo.claim_due(
        now=now,
        lease_until=now + timedelta(seconds=policy.lease_seconds),
        worker=worker,
        limit=limit,
        channels=channels,
    )
    campaigns: dict[int, Campaign] = {}
    blocked: dict[CampaignKind, set[int]] = {}
    ready: list[Work] = []
    for attempt in claimed:
        target = attempt.target
        campaign = campaigns.get(target.campaign_id)
        if campaign is None:
            campaign = await get_campaign(uow, campaign_id=target.campaign_id)
            campaigns[campaign.id] = campaign
        if campaign.kind not in blocked:
            blocked[campaign.kind] = await campaign_repo.do_not_call(campaign.kind)
        if target.patient_id in blocked[campaign.kind] or _marketing_sms_off(
            policy, campaign, attempt
        ):
            await _close(repo, campaign_repo, attempt, worker, "skipped", now, TargetStatus.SKIPPED)
            continue
        opening = policy.windows.next_open(now, urgent=campaign.urgent)
        if opening > now:
            await _put_back(repo, attempt, worker, opening)
            continue
        ready.append(Work(attempt, campaign))
    await uow.commit()
    return ready


def _marketing_sms_off(policy: CampaignPolicy, campaign: Campaign, attempt: ClaimedAttempt) -> bool:
    # A greeting planned for SMS before the route was switched off must not go out on it.
    return (
        attempt.target.channel is Channel.SMS
        and message_kind(campaign.kind) is MessageKind.MARKETING
        and not policy.marketing_sms
    )


async def _close(
    repo: AttemptRepository,
    campaign_repo: CampaignRepository,
    attempt: ClaimedAttempt,
    worker: str,
    outcome: str,
    now: datetime,
    status: TargetStatus,
) -> None:
    if await repo.finish_attempt(
        attempt.attempt_id, worker=worker, outcome=outcome, sip_code=None, ended_at=now
    ):
        await campaign_repo.update_target(attempt.target.id, status=status.value, finished_at=now)


async def _put_back(
    repo: AttemptRepository, attempt: ClaimedAttempt, worker: str, due_at: datetime
) -> None:
    # The attempt is not made: it becomes due again when the window opens.
    await repo.release_attempt(attempt.attempt_id, worker=worker, due_at=due_at)


async def record_outcome(
    uow: UnitOfWork,
    *,
    work: Work,
    worker: str,
    outcome: AttemptOutcome,
    clock: Clock,
    policy: CampaignPolicy,
    sip_code: int | None = None,
    final_status: TargetStatus | None = None,
) -> TargetStatus:
    """Close the attempt and write the next one or the target's final status."""
    repo = AttemptRepository(uow.connection)
    campaign_repo = CampaignRepository(uow.connection)
    now = clock.now()
    attempt, target = work.attempt, work.attempt.target
    if not await repo.finish_attempt(
        attempt.attempt_id, worker=worker, outcome=outcome.value, sip_code=sip_code, ended_at=now
    ):
        log.warning("campaign_attempt_lease_lost", attempt_id=attempt.attempt_id)
        return TargetStatus.PENDING
    step = after_attempt(policy.retry, number=attempt.number, outcome=outcome, ended_at=now)
    values: dict[str, object] = {"attempts": attempt.number, "last_outcome": outcome.value}
    if isinstance(step, Finished):
        status = final_status or step.status
        values |= {"status": status.value, "finished_at": now}
    else:
        status = TargetStatus.PENDING
        due = policy.windows.next_open(step.due_at, urgent=work.campaign.urgent)
        await repo.add_attempt(
            target_id=target.id, campaign_id=target.campaign_id, number=step.number, due_at=due
        )
    await campaign_repo.update_target(target.id, **values)
    if status is TargetStatus.OPTED_OUT:
        await campaign_repo.add_do_not_call(
            patient_id=target.patient_id, kind=work.campaign.kind, source="call", now=now
        )
    await uow.commit()
    return status


async def send_message(
    uow: UnitOfWork,
    *,
    work: Work,
    worker: str,
    clock: Clock,
    subject: str,
    text: str,
) -> TargetStatus:
    """Hand an SMS or email attempt to the channels; the row and the message commit together."""
    repo = AttemptRepository(uow.connection)
    campaign_repo = CampaignRepository(uow.connection)
    now = clock.now()
    attempt, target = work.attempt, work.attempt.target
    if not await repo.finish_attempt(
        attempt.attempt_id,
        worker=worker,
        outcome=AttemptOutcome.ANSWERED.value,
        sip_code=None,
        ended_at=now,
    ):
        return TargetStatus.PENDING
    await campaign_repo.update_target(
        target.id,
        status=TargetStatus.SENT.value,
        attempts=attempt.number,
        last_outcome="sent",
        finished_at=now,
    )
    kind = message_kind(work.campaign.kind).value
    await repo.note_message(attempt.attempt_id, message_kind=kind)
    # queue_sms / queue_email commit this unit of work: the attempt closes with the message.
    try:
        if target.channel is Channel.SMS:
            queued = await channels.queue_sms(uow, to=target.address, text=text, clock=clock)
        else:
            queued = await channels.queue_email(
                uow, to=target.address, subject=subject, text=text, clock=clock
            )
    except ChannelError:
        # A refused address or text: no retry would help, the patient stays unreached.
        await repo.mark_attempt(attempt.attempt_id, outcome=AttemptOutcome.FAILED.value)
        await campaign_repo.update_target(
            target.id, status=TargetStatus.UNREACHED.value, last_outcome="failed"
        )
        await uow.commit()
        return TargetStatus.UNREACHED
    await repo.note_message(attempt.attempt_id, message_kind=kind, message_id=queued.id)
    await uow.commit()
    return TargetStatus.SENT


def message_for(work: Work, public_url: str) -> tuple[str, str]:
    """The subject and text a patient receives, with the survey link for surveys."""
    target, campaign = work.attempt.target, work.campaign
    subject, body = campaign.template.render(target.language, target.fields)
    if campaign.questionnaire is not None and target.channel is not Channel.VOICE:
        link = f"{public_url.rstrip('/')}/survey/{target.token}"
        lead = "Survey: " if target.language == "en" else "问卷："
        body = f"{body}\n{lead}{link}"
    return subject, body
