"""Use cases of the campaigns context: create, preview, start, pause, dial outcomes, results.

A started campaign is a set of targets (one per patient, channel chosen by preference and
consent) and one due attempt per target. Workers claim due attempts (``claim_attempts``),
act on them (a call, an SMS, an email) and record what happened (``record_outcome``),
which either closes the target or writes the next attempt with its due time.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import structlog

from careline.campaigns.model import (
    AudienceRule,
    CampaignKind,
    CampaignNotFound,
    CampaignStateConflict,
    CampaignStatus,
    Channel,
    InvalidCampaign,
    MessageKind,
    MessageTemplate,
    PatientFacts,
    TargetStatus,
    choose_channel,
    matches,
    message_kind,
    move_status,
    template_values,
)
from careline.campaigns.policy import CampaignPolicy
from careline.campaigns.records import Campaign, ClaimedAttempt, rule_to_data
from careline.campaigns.repository import CampaignRepository
from careline.campaigns.retry import AttemptOutcome, Finished, after_attempt
from careline.campaigns.survey import Questionnaire, questionnaire_to_data
from careline.channels import service as channels
from careline.channels.errors import ChannelError
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock

log = structlog.get_logger(__name__)

COMMENT_KEY = "comment"
BATCH = 2000


@dataclass(frozen=True, slots=True)
class AudiencePreview:
    """How many patients a campaign would reach, and why others are left out."""

    size: int
    by_channel: dict[str, int]
    without_channel: int
    do_not_call: int


@dataclass(frozen=True, slots=True)
class PlannedTarget:
    facts: PatientFacts
    channel: Channel


async def create_campaign(
    uow: UnitOfWork,
    *,
    name: str,
    kind: CampaignKind,
    rule: AudienceRule,
    channels: tuple[Channel, ...],
    template: MessageTemplate,
    clock: Clock,
    questionnaire: Questionnaire | None = None,
    urgent: bool = False,
    staff_id: int | None = None,
) -> Campaign:
    """Validate and store a draft campaign."""
    if not name.strip() or len(name) > 120:
        raise InvalidCampaign("The campaign needs a name of at most 120 characters.", field="name")
    if not channels:
        raise InvalidCampaign("Choose at least one channel.", field="channels")
    rule.validate()
    template.validate()
    if kind is CampaignKind.SURVEY:
        if questionnaire is None or not questionnaire.questions:
            raise InvalidCampaign("A survey needs at least one question.", field="questions")
        questionnaire.validate()
    now = clock.now()
    repo = CampaignRepository(uow.connection)
    campaign_id = await repo.add_campaign(
        {
            "name": name.strip(),
            "kind": kind.value,
            "status": CampaignStatus.DRAFT.value,
            "audience": rule_to_data(rule),
            "channels": ",".join(c.value for c in channels),
            "urgent": urgent,
            "body_zh": template.body_zh,
            "body_en": template.body_en,
            "subject_zh": template.subject_zh,
            "subject_en": template.subject_en,
            "questionnaire": questionnaire_to_data(questionnaire) if questionnaire else None,
            "audience_size": 0,
            "created_by": staff_id,
            "created_at": now,
            "updated_at": now,
        }
    )
    await uow.commit()
    log.info("campaign_created", campaign_id=campaign_id, kind=kind.value)
    return await get_campaign(uow, campaign_id=campaign_id)


async def get_campaign(uow: UnitOfWork, *, campaign_id: int) -> Campaign:
    """Return one campaign."""
    campaign = await CampaignRepository(uow.connection).get_campaign(campaign_id)
    if campaign is None:
        raise CampaignNotFound("There is no campaign with this id.")
    return campaign


async def list_campaigns(uow: UnitOfWork) -> list[Campaign]:
    """Return campaigns, newest first."""
    return await CampaignRepository(uow.connection).list_campaigns()


async def _plan(
    repo: CampaignRepository, campaign: Campaign, today: date, marketing_sms: bool
) -> tuple[list[PlannedTarget], AudiencePreview]:
    facts = await repo.patient_facts(today=today)
    blocked = await repo.do_not_call(campaign.kind)
    planned: list[PlannedTarget] = []
    without = dnc = 0
    counts: dict[str, int] = {}
    for patient in facts:
        if not matches(campaign.rule, patient, today):
            continue
        if patient.patient_id in blocked:
            dnc += 1
            continue
        channel = choose_channel(
            patient, campaign.kind, campaign.channels, marketing_sms=marketing_sms
        )
        if channel is None:
            without += 1
            continue
        counts[channel.value] = counts.get(channel.value, 0) + 1
        planned.append(PlannedTarget(patient, channel))
    return planned, AudiencePreview(len(planned), counts, without, dnc)


async def preview_audience(
    uow: UnitOfWork,
    *,
    campaign_id: int,
    clock: Clock,
    day: date | None = None,
    policy: CampaignPolicy | None = None,
) -> AudiencePreview:
    """Count the patients the campaign would reach on ``day`` (default today)."""
    repo = CampaignRepository(uow.connection)
    campaign = await get_campaign(uow, campaign_id=campaign_id)
    marketing_sms = policy is not None and policy.marketing_sms
    return (await _plan(repo, campaign, day or clock.today(), marketing_sms))[1]


def _target_row(campaign: Campaign, planned: PlannedTarget) -> dict[str, object]:
    facts, channel = planned.facts, planned.channel
    language = facts.language if facts.language in ("zh-CN", "en") else "zh-CN"
    return {
        "campaign_id": campaign.id,
        "patient_id": facts.patient_id,
        "channel": channel.value,
        "address": facts.email if channel is Channel.EMAIL else facts.phone,
        "language": language,
        "fields": template_values(facts, language),
        "status": TargetStatus.PENDING.value,
        "attempts": 0,
        "token": secrets.token_urlsafe(12),
    }


async def start_campaign(
    uow: UnitOfWork,
    *,
    campaign_id: int,
    clock: Clock,
    policy: CampaignPolicy,
    starts_at: datetime | None = None,
    day: date | None = None,
) -> Campaign:
    """Build the audience, write one due attempt per patient and set the campaign running."""
    repo = CampaignRepository(uow.connection)
    campaign = await repo.get_campaign(campaign_id, lock=True)
    if campaign is None:
        raise CampaignNotFound("There is no campaign with this id.")
    if campaign.status is not CampaignStatus.DRAFT:
        raise CampaignStateConflict("Only a draft campaign can be started.")
    now = clock.now()
    begin = max(starts_at or now, now)
    audience_day = day or begin.astimezone(clock.zone).date()
    planned, preview = await _plan(repo, campaign, audience_day, policy.marketing_sms)
    for start in range(0, len(planned), BATCH):
        chunk = planned[start : start + BATCH]
        await repo.add_targets([_target_row(campaign, item) for item in chunk])
    await repo.add_first_attempts(
        campaign.id, policy.windows.next_open(begin, urgent=campaign.urgent)
    )
    await repo.update_campaign(
        campaign.id,
        status=CampaignStatus.RUNNING.value,
        audience_size=preview.size,
        audience_day=audience_day,
        starts_at=begin,
        updated_at=now,
    )
    await uow.commit()
    log.info("campaign_started", campaign_id=campaign.id, audience=preview.size)
    return await get_campaign(uow, campaign_id=campaign.id)


async def change_status(
    uow: UnitOfWork, *, campaign_id: int, status: CampaignStatus, clock: Clock
) -> Campaign:
    """Pause, resume or finish a started campaign."""
    repo = CampaignRepository(uow.connection)
    campaign = await get_campaign(uow, campaign_id=campaign_id)
    if campaign.status is CampaignStatus.DRAFT and status is CampaignStatus.RUNNING:
        raise InvalidCampaign("Start the campaign to build its audience first.")
    move_status(campaign.status, status)
    await repo.update_campaign(campaign_id, status=status.value, updated_at=clock.now())
    if status is CampaignStatus.FINISHED:
        await repo.close_open_attempts(campaign_id, clock.now())
    await uow.commit()
    return await get_campaign(uow, campaign_id=campaign_id)


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
    repo = CampaignRepository(uow.connection)
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
            blocked[campaign.kind] = await repo.do_not_call(campaign.kind)
        if target.patient_id in blocked[campaign.kind] or _marketing_sms_off(
            policy, campaign, attempt
        ):
            await _close(repo, attempt, worker, "skipped", now, TargetStatus.SKIPPED)
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
    repo: CampaignRepository,
    attempt: ClaimedAttempt,
    worker: str,
    outcome: str,
    now: datetime,
    status: TargetStatus,
) -> None:
    if await repo.finish_attempt(
        attempt.attempt_id, worker=worker, outcome=outcome, sip_code=None, ended_at=now
    ):
        await repo.update_target(attempt.target.id, status=status.value, finished_at=now)


async def _put_back(
    repo: CampaignRepository, attempt: ClaimedAttempt, worker: str, due_at: datetime
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
    repo = CampaignRepository(uow.connection)
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
    await repo.update_target(target.id, **values)
    if status is TargetStatus.OPTED_OUT:
        await repo.add_do_not_call(
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
    repo = CampaignRepository(uow.connection)
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
    await repo.update_target(
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
        await repo.update_target(
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
