"""Use cases of the campaigns context: create, preview, start, pause and finish campaigns.

A started campaign is a set of targets (one per patient, channel chosen by preference and
consent) and one due attempt per target. Workers then claim and act on those attempts
(see ``attempt_service``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

import structlog

from careline.campaigns.attempt_repository import AttemptRepository
from careline.campaigns.model import (
    AudienceRule,
    CampaignKind,
    CampaignNotFound,
    CampaignStateConflict,
    CampaignStatus,
    Channel,
    InvalidCampaign,
    MessageTemplate,
    PatientFacts,
    TargetStatus,
    choose_channel,
    matches,
    move_status,
    template_values,
)
from careline.campaigns.policy import CampaignPolicy
from careline.campaigns.records import Campaign, rule_to_data
from careline.campaigns.repository import CampaignRepository
from careline.campaigns.survey import Questionnaire, questionnaire_to_data
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
    await AttemptRepository(uow.connection).add_first_attempts(
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
        await AttemptRepository(uow.connection).close_open_attempts(campaign_id, clock.now())
    await uow.commit()
    return await get_campaign(uow, campaign_id=campaign_id)
