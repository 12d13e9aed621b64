"""The campaign pages: create, preview, schedule, pause/resume, results, CSV, web survey."""

from __future__ import annotations

import json
import re
from datetime import date

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.campaigns import results, service
from careline.campaigns.policy import CampaignPolicy
from careline.campaigns.windows import CallingWindows, parse_windows
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.staff.model import Role
from tests.conftest import StaffClientFactory
from tests.integration.campaigns.helpers import SURVEY, add_patients, patient, survey_campaign

pytestmark = pytest.mark.asyncio


def _born_today() -> date:
    today = Clock().today()
    return date(1980, today.month, min(today.day, 28))


def _form(**extra: str) -> dict[str, object]:
    return {
        "name": "满意度调查",
        "kind": "survey",
        "audience": "birthday",
        "days": "0",
        "channels": ["voice", "sms"],
        "body_zh": "{name}{title}您好，请评价本次就诊。",
        "body_en": "Hello {title} {name}, please rate your visit.",
        "questions": json.dumps(SURVEY, ensure_ascii=False),
        **extra,
    }


async def test_supervisor_creates_previews_starts_and_pauses_a_campaign(
    engine: AsyncEngine, staff_client: StaffClientFactory
) -> None:
    async with UnitOfWork(engine) as uow:
        await add_patients(uow, [patient(n, birth_date=_born_today()) for n in (1, 2, 3)])
    http = await staff_client(Role.SUPERVISOR)
    created = await http.post("/campaigns", data=_form())
    assert created.status_code == 303
    page_url = created.headers["location"]
    page = await http.get(page_url)
    assert re.search(r'id="audience-size">[^<]*3', page.text)
    started = await http.post(f"{page_url}/start", data={"starts_at": ""})
    assert started.status_code == 303
    page = await http.get(page_url)
    assert 'id="progress-bar"' in page.text
    assert "0 / 3 (0%)" in page.text
    assert (await http.post(f"{page_url}/pause")).status_code == 303
    assert 'id="campaign-resume"' in (await http.get(page_url)).text
    again = await http.post(f"{page_url}/start", data={"starts_at": ""})
    assert again.status_code == 409
    assert (await http.post(f"{page_url}/resume")).status_code == 303
    csv = await http.get(f"{page_url}/export.csv")
    assert csv.text.lstrip("\ufeff").splitlines()[0].endswith("overall,again,why,comment")
    assert len(csv.text.splitlines()) == 4
    progress = (await http.get(f"/api/v1/campaigns{page_url[10:]}/progress")).json()
    assert progress["by_status"] == {"pending": 3}


async def test_a_bad_form_is_shown_again_with_the_reason(
    staff_client: StaffClientFactory,
) -> None:
    http = await staff_client(Role.ADMIN)
    reply = await http.post("/campaigns", data=_form(body_zh="{age}", name="x"))
    assert reply.status_code == 422
    assert "消息中使用了不存在的字段" in reply.text
    reply = await http.post("/campaigns?lang=en", data=_form(questions="[1]"))
    assert reply.status_code == 422


async def test_agents_cannot_open_campaigns(staff_client: StaffClientFactory) -> None:
    http = await staff_client(Role.AGENT)
    assert (await http.get("/campaigns")).status_code == 403
    assert (await http.get("/api/v1/campaigns")).status_code == 403


async def test_results_show_answer_charts_after_web_answers(
    engine: AsyncEngine, staff_client: StaffClientFactory, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    policy = CampaignPolicy(windows=CallingWindows(clock.zone, parse_windows("00:00-00:00")))
    async with UnitOfWork(engine) as uow:
        await add_patients(uow, [patient(1, birth_date=_born_today())])
        campaign = await survey_campaign(uow, clock)
        await service.start_campaign(uow, campaign_id=campaign.id, clock=clock, policy=policy)
        (target,) = await results.list_targets(uow, campaign_id=campaign.id)
    form = await client.get(f"/survey/{target.token}")
    assert 'id="survey-form"' in form.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    refused = await client.post(f"/survey/{target.token}", data={"overall": "4"})
    assert refused.status_code == 403
    missing = await client.post(
        f"/survey/{target.token}", data={"csrf_token": token.group(1), "overall": "4"}
    )
    assert missing.status_code == 422
    sent = await client.post(
        f"/survey/{target.token}",
        data={"csrf_token": token.group(1), "overall": "4", "again": "yes"},
    )
    assert 'id="survey-done"' in sent.text
    assert (await client.get("/survey/not-a-token")).status_code == 404
    http = await staff_client(Role.SUPERVISOR)
    page = await http.get(f"/campaigns/{campaign.id}?lang=en")
    assert 'aria-label="overall"' in page.text
    assert "Reach rate: 100%" in page.text


async def test_saved_template_and_questionnaire_fill_a_new_campaign(
    engine: AsyncEngine, staff_client: StaffClientFactory
) -> None:
    http = await staff_client(Role.SUPERVISOR)
    saved = await http.post(
        "/campaigns-library/templates",
        data={"name": "复诊提醒", "body_zh": "{name}您好，请按时复诊。"},
    )
    assert saved.status_code == 303
    again = await http.post(
        "/campaigns-library/templates", data={"name": "复诊提醒", "body_zh": "重复"}
    )
    assert again.status_code == 422
    saved = await http.post(
        "/campaigns-library/questionnaires",
        data={"name": "门诊满意度", "questions": json.dumps(SURVEY, ensure_ascii=False)},
    )
    assert saved.status_code == 303
    page = await http.get("/campaigns")
    template_id = re.search(r'<option value="(\d+)">复诊提醒</option>', page.text)
    questionnaire_id = re.search(r'<option value="(\d+)">门诊满意度</option>', page.text)
    assert template_id is not None
    assert questionnaire_id is not None
    created = await http.post(
        "/campaigns",
        data=_form(
            body_zh="",
            body_en="",
            questions="",
            template_id=template_id.group(1),
            questionnaire_id=questionnaire_id.group(1),
        ),
    )
    assert created.status_code == 303
    campaign_id = int(created.headers["location"].rsplit("/", 1)[1])
    async with UnitOfWork(engine) as uow:
        campaign = await service.get_campaign(uow, campaign_id=campaign_id)
    assert campaign.template.body_zh == "{name}您好，请按时复诊。"
    assert campaign.questionnaire is not None
    assert [q.key for q in campaign.questionnaire.questions] == ["overall", "again", "why"]
