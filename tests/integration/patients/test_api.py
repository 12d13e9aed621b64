import re
from datetime import date

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.patients.synthetic import resident_id
from careline.staff.audit import access_history
from careline.staff.model import Role
from tests.conftest import StaffClientFactory

ID_1980 = resident_id("110105", date(1980, 3, 25), 13)
BODY = {"name": "张伟", "phones": [{"number": "138 0013 8000"}], "id_number": ID_1980}


@pytest.mark.asyncio
async def test_create_read_update_and_search(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    agent = await staff_client(Role.AGENT)
    created = await agent.post("/api/v1/patients", json=BODY)
    assert created.status_code == 201, created.text
    patient = created.json()
    assert patient["phones"][0]["number"] == "+8613800138000"
    assert patient["birth_date"] == "1980-03-25"
    assert patient["gender"] == "male"

    found = (await agent.get("/api/v1/patients", params={"q": "zw"})).json()
    assert found["total"] == 1
    assert found["items"][0]["phones_masked"] == ["+86 138****8000"]
    assert found["items"][0]["id_number_masked"] == ID_1980[:3] + "*" * 11 + ID_1980[-4:]
    assert ID_1980 not in str(found)

    record = await agent.get(f"/api/v1/patients/{patient['id']}")
    assert record.json()["id_number"] == ID_1980
    async with UnitOfWork(engine) as uow:
        history = await access_history(uow.connection, subject="patient", subject_id=patient["id"])
    assert history[0]["action"] == "read"
    assert history[0]["context"] == f"GET /api/v1/patients/{patient['id']}"

    update = {**BODY, "tags": ["VIP"], "version": patient["version"]}
    changed = await agent.put(f"/api/v1/patients/{patient['id']}", json=update)
    assert changed.status_code == 200
    assert changed.json()["tags"] == ["VIP"]
    stale = await agent.put(f"/api/v1/patients/{patient['id']}", json=update)
    assert stale.status_code == 409
    assert stale.json()["error_id"] == "stale_patient_record"


@pytest.mark.asyncio
async def test_validation_errors_name_each_field(staff_client: StaffClientFactory) -> None:
    agent = await staff_client(Role.AGENT)
    reply = await agent.post(
        "/api/v1/patients",
        json={
            "name": "张伟",
            "phones": [{"number": "12345"}],
            "id_number": ID_1980[:-1] + "0",
            "birth_date": "1981-01-01",
        },
        headers={"Accept-Language": "en"},
    )
    assert reply.status_code == 422
    body = reply.json()
    assert body["error_id"] == "invalid_patient"
    assert {e["field"] for e in body["errors"]} == {"phones.0", "id_number"}


@pytest.mark.asyncio
async def test_oversized_fields_are_rejected(staff_client: StaffClientFactory) -> None:
    agent = await staff_client(Role.AGENT)
    for field, size in (("name", 65), ("address", 257), ("notes", 4001)):
        reply = await agent.post("/api/v1/patients", json={**BODY, field: "x" * size})
        assert reply.status_code == 422, field
    reply = await agent.post("/api/v1/patients", json={**BODY, "shoe_size": 42})
    assert reply.status_code == 422


@pytest.mark.asyncio
async def test_duplicates_are_held_back_then_merged_by_a_supervisor(
    staff_client: StaffClientFactory,
) -> None:
    agent = await staff_client(Role.AGENT)
    supervisor = await staff_client(Role.SUPERVISOR)
    first = (await agent.post("/api/v1/patients", json=BODY)).json()
    second_body = {"name": "张伟", "phones": [{"number": "+86 138 0013 8000", "label": "home"}]}
    held = await agent.post("/api/v1/patients", json=second_body)
    assert held.status_code == 409
    assert held.json() | {"message": ""} == {
        "error_id": "possible_duplicate",
        "message": "",
        "field": None,
        "candidate_ids": [first["id"]],
    }
    again = await agent.post("/api/v1/patients", json={**second_body, "confirmed_new": True})
    second = again.json()
    dups = (await agent.get(f"/api/v1/patients/{second['id']}/duplicates")).json()
    assert dups == [{"patient": dups[0]["patient"], "reasons": ["same_name_and_phone"]}]
    assert dups[0]["patient"]["id"] == first["id"]

    refused = await agent.post(
        f"/api/v1/patients/{first['id']}/merge", json={"duplicate_id": second["id"]}
    )
    assert refused.status_code == 403
    merged = await supervisor.post(
        f"/api/v1/patients/{first['id']}/merge", json={"duplicate_id": second["id"], "reason": "x"}
    )
    assert merged.status_code == 200
    listed = (await agent.get("/api/v1/patients", params={"q": "13800138000"})).json()
    assert [p["id"] for p in listed["items"]] == [first["id"]]
    gone = await agent.put(f"/api/v1/patients/{second['id']}", json=second_body)
    assert gone.json()["merged_into_id"] == first["id"]


@pytest.mark.asyncio
async def test_hard_conflict_on_id_number(staff_client: StaffClientFactory) -> None:
    agent = await staff_client(Role.AGENT)
    first = (await agent.post("/api/v1/patients", json=BODY)).json()
    reply = await agent.post(
        "/api/v1/patients", json={**BODY, "name": "李四", "confirmed_new": True}
    )
    assert reply.status_code == 409
    assert reply.json()["existing_id"] == first["id"]


@pytest.mark.asyncio
async def test_patients_api_needs_a_signed_in_staff_member(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/patients")).status_code == 401


@pytest.mark.asyncio
async def test_a_record_read_by_an_agent_shows_in_the_supervisors_audit_log(
    staff_client: StaffClientFactory,
) -> None:
    agent = await staff_client(Role.AGENT)
    supervisor = await staff_client(Role.SUPERVISOR)
    patient = (await agent.post("/api/v1/patients", json=BODY)).json()
    assert (await agent.get(f"/api/v1/patients/{patient['id']}")).status_code == 200
    page = await supervisor.get("/admin/audit")
    assert page.status_code == 200
    rows = re.findall(r"<tr><td>(.*?)</tr>", page.text, re.S)
    reads = [r for r in rows if "<td>read</td>" in r and f"patient #{patient['id']}<" in r]
    assert len(reads) == 1, "the read is not in the audit log"
    assert "agent" in reads[0]
    assert (await agent.get("/admin/audit")).status_code == 403
