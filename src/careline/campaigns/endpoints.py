"""HTTP routes of the campaigns context: a small REST API; pages live in ``pages*.py``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from careline.campaigns import results, service
from careline.campaigns.pages import pages as _staff_pages
from careline.campaigns.pages_checkups import pages as _checkup_pages
from careline.campaigns.pages_public import pages as _public_pages
from careline.campaigns.policy import campaign_policy
from careline.campaigns.schemas import (
    CampaignCreate,
    CampaignRead,
    ProgressRead,
    StartRequest,
    campaign_read,
    progress_read,
)
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, AppSettings, Uow, require_staff

api = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])
pages = APIRouter(include_in_schema=False)
pages.include_router(_public_pages)
pages.include_router(_staff_pages)
pages.include_router(_checkup_pages)
Supervisor = Annotated[StaffMember, Depends(require_staff(Role.SUPERVISOR))]


@api.get("", response_model=list[CampaignRead])
async def list_campaigns(uow: Uow, _staff: Supervisor) -> list[CampaignRead]:
    return [campaign_read(c) for c in await service.list_campaigns(uow)]


@api.post("", response_model=CampaignRead, status_code=201)
async def create_campaign(
    body: CampaignCreate, uow: Uow, staff: Supervisor, clock: AppClock
) -> CampaignRead:
    form = body.to_form()
    campaign = await service.create_campaign(
        uow,
        name=form.name,
        kind=form.kind,
        rule=form.rule,
        channels=form.channels,
        template=form.template,
        questionnaire=form.questionnaire,
        urgent=form.urgent,
        staff_id=staff.id,
        clock=clock,
    )
    return campaign_read(campaign)


@api.get("/{campaign_id}", response_model=CampaignRead)
async def get_campaign(campaign_id: int, uow: Uow, _staff: Supervisor) -> CampaignRead:
    return campaign_read(await service.get_campaign(uow, campaign_id=campaign_id))


@api.get("/{campaign_id}/audience")
async def preview_audience(
    campaign_id: int, uow: Uow, _staff: Supervisor, clock: AppClock, settings: AppSettings
) -> dict[str, object]:
    preview = await service.preview_audience(
        uow, campaign_id=campaign_id, clock=clock, policy=campaign_policy(settings)
    )
    return {
        "size": preview.size,
        "by_channel": preview.by_channel,
        "without_channel": preview.without_channel,
        "do_not_call": preview.do_not_call,
    }


@api.post("/{campaign_id}/start", response_model=CampaignRead)
async def start_campaign(
    campaign_id: int,
    body: StartRequest,
    uow: Uow,
    _staff: Supervisor,
    clock: AppClock,
    settings: AppSettings,
) -> CampaignRead:
    campaign = await service.start_campaign(
        uow,
        campaign_id=campaign_id,
        clock=clock,
        policy=campaign_policy(settings),
        starts_at=body.starts_at,
    )
    return campaign_read(campaign)


@api.get("/{campaign_id}/progress", response_model=ProgressRead)
async def get_progress(campaign_id: int, uow: Uow, _staff: Supervisor) -> ProgressRead:
    return progress_read(await results.get_progress(uow, campaign_id=campaign_id))


@api.get("/{campaign_id}/export.csv", response_class=PlainTextResponse)
async def export_csv(campaign_id: int, uow: Uow, staff: Supervisor) -> str:
    return await results.export_csv(uow, campaign_id=campaign_id, staff_id=staff.id)
