"""Patients and campaigns for the campaign tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from careline.campaigns import results, service
from careline.campaigns.model import (
    AudienceKind,
    AudienceRule,
    CampaignKind,
    Channel,
    MessageTemplate,
)
from careline.campaigns.policy import CampaignPolicy
from careline.campaigns.records import Campaign
from careline.campaigns.survey import Questionnaire, questionnaire_from_data
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.patients.model import (
    Consent,
    ConsentSource,
    ConsentTopic,
    ContactChannel,
    Gender,
    PatientDetails,
    Phone,
)
from careline.patients.repository import PatientRepository

CONSENTED_AT = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
SURVEY = {
    "comment": False,
    "questions": [
        {"key": "overall", "kind": "scale", "text_zh": "请为本次就诊打分，1到5分。"},
        {
            "key": "again",
            "kind": "yes_no",
            "text_zh": "您会推荐本院吗？是请按1，否请按2。",
            "branches": {"yes": "end"},
        },
        {"key": "why", "kind": "choice", "text_zh": "原因：1 等候，2 态度，3 费用。", "choices": 3},
    ],
}


def patient(
    number: int,
    *,
    birth_date: date | None = None,
    marketing: bool | None = None,
    channel: ContactChannel = ContactChannel.VOICE,
    email: str | None = None,
    phone: bool = True,
) -> PatientDetails:
    consents: tuple[Consent, ...] = ()
    if marketing is not None:
        consents = (
            Consent(ConsentTopic.MARKETING, marketing, CONSENTED_AT, ConsentSource.PAPER_FORM),
        )
    return PatientDetails(
        name=f"患者{number}",
        gender=Gender.FEMALE if number % 2 else Gender.MALE,
        birth_date=birth_date or date(1980, 1, 1),
        phones=(Phone(f"+86139{number:08d}"),) if phone else (),
        email=email,
        preferred_channel=channel,
        consents=consents,
    )


async def add_patients(uow: UnitOfWork, details: list[PatientDetails]) -> None:
    """Store patients with their consents (the bulk loader keeps no consents)."""
    repo = PatientRepository(uow.connection)
    for item in details:
        await repo.add(item, now=CONSENTED_AT)
    await uow.commit()


def survey() -> Questionnaire:
    return questionnaire_from_data(SURVEY)


async def survey_campaign(
    uow: UnitOfWork, clock: Clock, channels: tuple[Channel, ...] = (Channel.VOICE,)
) -> Campaign:
    return await service.create_campaign(
        uow,
        name="门诊满意度调查",
        kind=CampaignKind.SURVEY,
        rule=AudienceRule(AudienceKind.BIRTHDAY),
        channels=channels,
        template=MessageTemplate(
            body_zh="{name}{title}您好，这里是市第一医院，想请您对就诊做个评价。",
            body_en="Hello {title} {name}, this is City Hospital with a short survey.",
            subject_zh="就诊满意度调查",
            subject_en="Your visit: a short survey",
        ),
        questionnaire=survey(),
        clock=clock,
    )


async def started_voice_reminder(uow: UnitOfWork, clock: Clock, policy: CampaignPolicy) -> Campaign:
    """Start an urgent voice reminder to everyone (urgent: no holiday holds the call back)."""
    campaign = await service.create_campaign(
        uow,
        name="门诊搬迁通知",
        kind=CampaignKind.REMINDER,
        rule=AudienceRule(AudienceKind.EVERYONE),
        channels=(Channel.VOICE,),
        template=MessageTemplate(body_zh="门诊已搬到新楼。"),
        urgent=True,
        clock=clock,
    )
    await service.start_campaign(uow, campaign_id=campaign.id, clock=clock, policy=policy)
    return campaign


async def wait_no_pending(engine: AsyncEngine, campaign_id: int, timeout: float) -> None:
    """Wait until the campaign has targets and none of them is still pending."""
    async with asyncio.timeout(timeout):
        while True:
            async with UnitOfWork(engine) as uow:
                progress = await results.get_progress(uow, campaign_id=campaign_id)
            if progress.targets and not progress.by_status.get("pending"):
                return
            await asyncio.sleep(0.2)
