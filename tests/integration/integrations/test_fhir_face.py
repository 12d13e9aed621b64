"""The FHIR R4 face over HTTP: token, read, search, Slots, book and cancel an Appointment."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels import service as channels
from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.integrations import service
from careline.integrations.fhir.resources import validate
from careline.integrations.model import HisIdentifier, IdentifierSystem
from careline.kit.clock import FakeClock
from careline.staff.model import Role
from careline.web.app import create_app
from tests.conftest import StaffClientFactory
from tests.integration.scheduling.world import FEE, World, build_world, make_clock, total_balance


@pytest.fixture
def clock() -> FakeClock:
    clock = make_clock()
    clock.advance(8.5 * 3600)  # 17:30 in Shanghai: tomorrow's pools are open to every channel
    return clock


@pytest_asyncio.fixture
async def world(engine: AsyncEngine, clock: FakeClock) -> World:
    world = await build_world(engine, patients=2, clock=clock)
    async with UnitOfWork(engine) as uow:
        await service.link_identifiers(
            uow,
            patient_id=world.patients[0],
            identifiers=[HisIdentifier(IdentifierSystem.MRN, "MR1")],
            source="test",
            clock=clock,
        )
    return world


@pytest_asyncio.fixture
async def fhir(
    settings: Settings, engine: AsyncEngine, clock: FakeClock, world: World
) -> AsyncIterator[httpx.AsyncClient]:
    async with UnitOfWork(engine) as uow:
        _id, token = await service.create_client_token(uow, name="his", clock=clock)
    app = create_app(settings, engine, clock=clock)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://careline.test", headers=headers
    ) as client:
        yield client


@pytest.mark.asyncio
async def test_metadata_is_public_and_data_needs_a_token(
    fhir: httpx.AsyncClient, world: World
) -> None:
    metadata = await fhir.get("/fhir/metadata", headers={"Authorization": ""})
    assert metadata.status_code == 200
    kinds = [r["type"] for r in metadata.json()["rest"][0]["resource"]]
    assert {"Patient", "Slot", "Appointment"} <= set(kinds)
    refused = await fhir.get(f"/fhir/Patient/{world.patients[0]}", headers={"Authorization": ""})
    assert refused.status_code == 401
    assert refused.json()["resourceType"] == "OperationOutcome"
    wrong = await fhir.get("/fhir/Patient/1", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


@pytest.mark.asyncio
async def test_patient_read_and_search(fhir: httpx.AsyncClient, world: World) -> None:
    reply = await fhir.get(f"/fhir/Patient/{world.patients[0]}")
    assert reply.status_code == 200
    patient = validate(reply.json())
    assert patient["id"] == str(world.patients[0])
    codes = {
        i.get("type", {}).get("coding", [{}])[0].get("code"): i["value"]
        for i in patient["identifier"]
    }
    assert codes["MR"] == "MR1"
    assert len(codes["NNCHN"]) == 18
    found = await fhir.get("/fhir/Patient", params={"identifier": "urn:careline:his:mrn|MR1"})
    bundle = validate(found.json())
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(world.patients[0])]
    everyone = validate((await fhir.get("/fhir/Patient", params={"_count": 1})).json())
    assert len(everyone["entry"]) == 1
    assert any(link["relation"] == "next" for link in everyone["link"])
    missing = await fhir.get("/fhir/Patient/99999")
    assert missing.status_code == 404


@pytest.mark.asyncio
async def test_directory_resources(fhir: httpx.AsyncClient, world: World) -> None:
    for kind in ("Practitioner", "PractitionerRole", "Schedule"):
        reply = await fhir.get(f"/fhir/{kind}/{world.doctor_id}")
        assert reply.status_code == 200, reply.text
        assert validate(reply.json())["resourceType"] == kind
    service_reply = await fhir.get(f"/fhir/HealthcareService/{world.department_id}")
    assert validate(service_reply.json())["name"].startswith("心内科")
    doctors = validate((await fhir.get("/fhir/Practitioner")).json())
    assert {e["resource"]["id"] for e in doctors["entry"]} == {
        str(world.doctor_id),
        str(world.second_doctor_id),
    }


@pytest.mark.asyncio
async def test_book_through_an_appointment_and_cancel_it(
    fhir: httpx.AsyncClient, world: World, engine: AsyncEngine
) -> None:
    before = await total_balance(engine)
    slots = validate(
        (await fhir.get("/fhir/Slot", params={"schedule": f"Schedule/{world.doctor_id}"})).json()
    )
    tomorrow = [
        e["resource"]
        for e in slots["entry"]
        if e["resource"]["start"].startswith("2026-11-26T09:30")
    ]
    assert [s["status"] for s in tomorrow] == ["free"]
    free_before = tomorrow[0]["extension"][1]["valueInteger"]
    appointment = {
        "resourceType": "Appointment",
        "status": "booked",
        "identifier": [{"system": "urn:his:appointment", "value": "H-1"}],
        "start": "2026-11-26T09:30:00+08:00",
        "end": "2026-11-26T10:00:00+08:00",
        "participant": [
            {"actor": {"reference": f"Patient/{world.patients[0]}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{world.doctor_id}"}, "status": "accepted"},
        ],
    }
    created = await fhir.post("/fhir/Appointment", json=appointment)
    assert created.status_code == 201, created.text
    booked = validate(created.json())
    assert booked["status"] == "booked"
    assert await total_balance(engine) == before - FEE
    again = await fhir.post("/fhir/Appointment", json=appointment)
    assert again.json()["id"] == booked["id"]  # the same HIS identifier books once
    assert await total_balance(engine) == before - FEE
    slots = (
        await fhir.get("/fhir/Slot", params={"schedule": f"Schedule/{world.doctor_id}"})
    ).json()
    same = [e["resource"] for e in slots["entry"] if e["resource"]["id"] == tomorrow[0]["id"]]
    assert same[0]["extension"][1]["valueInteger"] == free_before - 1
    mine = validate(
        (
            await fhir.get("/fhir/Appointment", params={"patient": f"Patient/{world.patients[0]}"})
        ).json()
    )
    assert [e["resource"]["id"] for e in mine["entry"]] == [booked["id"]]
    cancelled = await fhir.put(
        f"/fhir/Appointment/{booked['id']}", json={**booked, "status": "cancelled"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelationReason"]["coding"][0]["code"] == "pat"
    assert await total_balance(engine) == before


@pytest.mark.asyncio
async def test_an_appointment_for_no_clinic_is_refused(
    fhir: httpx.AsyncClient, world: World
) -> None:
    reply = await fhir.post(
        "/fhir/Appointment",
        json={
            "resourceType": "Appointment",
            "status": "booked",
            "start": "2026-11-26T03:00:00+08:00",
            "participant": [
                {"actor": {"reference": f"Patient/{world.patients[0]}"}, "status": "accepted"},
                {"actor": {"reference": f"Practitioner/{world.doctor_id}"}, "status": "accepted"},
            ],
        },
    )
    assert reply.status_code == 404
    assert reply.json()["issue"][0]["code"] == "not-found"


@pytest.mark.asyncio
async def test_admins_create_tokens_and_read_the_log(staff_client: StaffClientFactory) -> None:
    agent = await staff_client(Role.AGENT)
    assert (
        await agent.post("/api/v1/integrations/client-tokens", json={"name": "x"})
    ).status_code == 403
    assert (await agent.get("/api/v1/integrations/exchange-log")).status_code == 403
    admin = await staff_client(Role.ADMIN)
    created = await admin.post("/api/v1/integrations/client-tokens", json={"name": "his"})
    assert created.status_code == 201
    token = created.json()["token"]
    reply = await admin.get("/fhir/HealthcareService", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200
    revoked = await admin.delete(f"/api/v1/integrations/client-tokens/{created.json()['id']}")
    assert revoked.status_code == 204
    reply = await admin.get("/fhir/HealthcareService", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 401
    assert (await admin.get("/api/v1/integrations/exchange-log")).json() == []


@pytest.mark.asyncio
async def test_messages_made_are_communications(
    fhir: httpx.AsyncClient, engine: AsyncEngine, clock: FakeClock
) -> None:
    async with UnitOfWork(engine) as uow:
        await channels.queue_sms(
            uow, to="13800138000", text="Your clinic is tomorrow.", clock=clock
        )
    reply = await fhir.get("/fhir/Communication")
    assert reply.status_code == 200
    entries = [validate(e["resource"]) for e in reply.json()["entry"]]
    assert [(c["status"], c["payload"][0]["contentString"]) for c in entries] == [
        ("in-progress", "Your clinic is tomorrow.")
    ]


@pytest.mark.asyncio
async def test_the_exchange_log_page_is_for_admins(staff_client: StaffClientFactory) -> None:
    supervisor = await staff_client(Role.SUPERVISOR)
    refused = await supervisor.get("/staff/integrations/exchange-log")
    assert refused.status_code == 403
    admin = await staff_client(Role.ADMIN)
    page = await admin.get("/staff/integrations/exchange-log?lang=en")
    assert page.status_code == 200
    assert "No messages yet." in page.text
