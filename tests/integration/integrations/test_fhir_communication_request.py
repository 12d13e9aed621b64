"""Campaign attempts on the FHIR face as CommunicationRequest (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.campaigns import attempt_service, results
from careline.campaigns import service as campaigns
from careline.campaigns.model import (
    AudienceKind,
    AudienceRule,
    CampaignKind,
    CampaignStatus,
    Channel,
    MessageTemplate,
)
from careline.campaigns.policy import CampaignPolicy
from careline.campaigns.retry import AttemptOutcome
from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.integrations import service
from careline.integrations.fhir.resources import validate
from careline.kit.clock import FakeClock
from careline.patients.model import ContactChannel
from careline.web.app import create_app
from tests.integration.campaigns.helpers import add_patients, patient

POLICY = CampaignPolicy()
NOTICE = MessageTemplate(body_zh="{name}{title}您好，门诊楼12月1日起迁至新址。")


async def _campaign(uow: UnitOfWork, clock: FakeClock, kind: CampaignKind) -> int:
    created = await campaigns.create_campaign(
        uow,
        name=f"notice {kind.value}",
        kind=kind,
        rule=AudienceRule(AudienceKind.EVERYONE),
        channels=(Channel.VOICE, Channel.SMS, Channel.EMAIL),
        template=NOTICE,
        clock=clock,
        urgent=kind is CampaignKind.REMINDER,
    )
    await campaigns.start_campaign(uow, campaign_id=created.id, clock=clock, policy=POLICY)
    return created.id


@pytest_asyncio.fixture
async def world(any_engine: AsyncEngine) -> dict[str, Any]:
    """A running reminder (one busy call retried) and a paused care greeting, 3 patients."""
    clock = FakeClock()
    async with UnitOfWork(any_engine) as uow:
        await add_patients(
            uow,
            [
                patient(1, marketing=True),
                patient(2, marketing=True, channel=ContactChannel.SMS),
                patient(3, marketing=True, channel=ContactChannel.EMAIL, email="p3@example.org"),
            ],
        )
        reminder = await _campaign(uow, clock, CampaignKind.REMINDER)
        care = await _campaign(uow, clock, CampaignKind.CARE)
        await campaigns.change_status(
            uow, campaign_id=care, status=CampaignStatus.PAUSED, clock=clock
        )
        work = await attempt_service.claim_attempts(
            uow, worker="w1", clock=clock, policy=POLICY, limit=1, channels=(Channel.VOICE,)
        )
        await attempt_service.record_outcome(
            uow, work=work[0], worker="w1", outcome=AttemptOutcome.BUSY, clock=clock, policy=POLICY
        )
        targets = await results.list_targets(uow, campaign_id=reminder)
        attempts = await results.list_attempts(uow, campaign_id=reminder)
    return {
        "clock": clock,
        "patients": {t.channel.value: t.patient_id for t in targets},
        "attempts": attempts,
        "busy": work[0].attempt.attempt_id,
    }


@pytest_asyncio.fixture
async def fhir(
    settings: Settings, any_engine: AsyncEngine, world: dict[str, Any]
) -> AsyncIterator[httpx.AsyncClient]:
    async with UnitOfWork(any_engine) as uow:
        _id, token = await service.create_client_token(uow, name="his", clock=world["clock"])
    app = create_app(settings, any_engine, clock=world["clock"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://careline.test",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


async def _search(fhir: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    reply = await fhir.get("/fhir/CommunicationRequest", params=params)
    assert reply.status_code == 200, reply.text
    return [e["resource"] for e in validate(reply.json()).get("entry", [])]


@pytest.mark.asyncio
async def test_an_attempt_reads_as_a_communication_request(
    fhir: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    busy = world["busy"]
    reply = await fhir.get(f"/fhir/CommunicationRequest/{busy}")
    assert reply.status_code == 200, reply.text
    request = validate(reply.json())
    assert request["status"] == "completed"
    assert request["statusReason"]["text"] == "busy"
    assert request["priority"] == "urgent"
    assert request["recipient"] == [{"reference": f"Patient/{world['patients']['voice']}"}]
    assert request["medium"][0]["coding"][0]["code"] == "PHONE"
    codes = {c["code"] for c in request["category"][0]["coding"]}
    assert codes == {"reminder"}
    assert request["occurrenceDateTime"] == world["clock"].now().isoformat(timespec="seconds")
    text = request["payload"][0]["contentString"]
    assert text == "{name}{title}您好，门诊楼12月1日起迁至新址。"
    for private in ("患者", "+86", "p3@"):
        assert private not in reply.text
    retry = next(a for a in world["attempts"] if a["number"] == 2)
    again = validate((await fhir.get(f"/fhir/CommunicationRequest/{retry['id']}")).json())
    assert again["status"] == "active"
    assert again["groupIdentifier"] == request["groupIdentifier"]
    assert (await fhir.get("/fhir/CommunicationRequest/999999")).status_code == 404
    assert (await fhir.get("/fhir/CommunicationRequest/x")).status_code == 404


@pytest.mark.asyncio
async def test_search_by_patient_status_and_occurrence(
    fhir: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    voice = world["patients"]["voice"]
    mine = await _search(fhir, patient=f"Patient/{voice}")
    assert sorted(r["status"] for r in mine) == ["active", "completed", "on-hold"]
    active = await _search(fhir, status="active")
    assert sorted(r["medium"][0]["text"] for r in active) == ["email", "sms", "voice"]
    held = await _search(fhir, status="on-hold")
    assert len(held) == 3
    assert all(r["category"][0]["coding"][1]["code"] == "notification" for r in held)
    assert all(r["priority"] == "routine" for r in held)
    assert len(await _search(fhir, status="completed,on-hold")) == 4
    later = world["clock"].now() + timedelta(minutes=5)
    after = await _search(fhir, occurrence=f"gt{later.isoformat()}")
    retry = next(a for a in world["attempts"] if a["number"] == 2)
    assert [(r["id"], r["status"]) for r in after] == [(str(retry["id"]), "active")]
    today = world["clock"].today().isoformat()
    assert len(await _search(fhir, occurrence=today)) == 7
    assert await _search(fhir, occurrence=f"lt{today}") == []
    paged = await fhir.get("/fhir/CommunicationRequest", params={"_count": 2})
    assert len(paged.json()["entry"]) == 2
    assert any(link["relation"] == "next" for link in paged.json()["link"])
    bad = await fhir.get("/fhir/CommunicationRequest", params={"status": "done"})
    assert bad.status_code == 400
    assert bad.json()["resourceType"] == "OperationOutcome"
    metadata = (await fhir.get("/fhir/metadata")).json()
    kinds = {r["type"]: r for r in metadata["rest"][0]["resource"]}
    params = {p["name"] for p in kinds["CommunicationRequest"]["searchParam"]}
    assert params == {"patient", "status", "occurrence"}
