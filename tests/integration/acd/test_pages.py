"""The desk, wallboard, set-up pages and the REST API of the acd context, through HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.acd import desk, service
from careline.acd.model import CallRecord, Outcome
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.patients import service as patients
from careline.patients.validation import PatientInput
from careline.staff.audit import access_history
from careline.staff.model import Role
from tests.conftest import StaffClientFactory, make_staff


@pytest.mark.asyncio
async def test_supervisor_sets_up_a_queue_and_an_agents_skills(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    supervisor = await staff_client(Role.SUPERVISOR)
    agent = await make_staff(engine, "desk.agent", Role.AGENT)
    reply = await supervisor.put(
        "/api/v1/acd/queues/members",
        json={"skills": {"member": 2, "zh": 3}, "max_wait_seconds": 300, "overflow": "hang_up"},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["skills"] == {"member": 2, "zh": 3}
    bad = await supervisor.put("/api/v1/acd/queues/Bad Name!", json={})
    assert bad.status_code == 422
    assert bad.json()["error_id"] == "invalid_queue"
    profile = await supervisor.put(
        f"/api/v1/acd/agents/{agent.id}", json={"skills": {"member": 4}, "queues": ["members"]}
    )
    assert profile.json() == {"staff_id": agent.id, "skills": {"member": 4}, "queues": ["members"]}
    listed = (await supervisor.get("/api/v1/acd/queues")).json()
    assert [(q["name"], q["overflow"], q["max_wait_seconds"]) for q in listed] == [
        ("members", "hang_up", 300)
    ]
    page = await supervisor.get("/acd/setup?lang=en")
    assert "members" in page.text
    assert "member:4" in page.text


@pytest.mark.asyncio
async def test_agents_cannot_see_the_wallboard_and_supervisors_can(
    staff_client: StaffClientFactory,
) -> None:
    agent = await staff_client(Role.AGENT)
    supervisor = await staff_client(Role.SUPERVISOR)
    assert (await agent.get("/wallboard")).status_code == 403
    assert (await agent.get("/desk?lang=en")).status_code == 200
    board = await supervisor.get("/wallboard?lang=en")
    assert board.status_code == 200
    assert "No queue has calls today." in board.text
    chinese = await supervisor.get("/wallboard?lang=zh-CN")
    assert "监控大屏" in chinese.text


@pytest.mark.asyncio
async def test_wallboard_counts_todays_calls_and_exports_them_without_numbers(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    supervisor = await staff_client(Role.SUPERVISOR)
    agent = await make_staff(engine, "agent.calls", Role.AGENT)
    now = Clock().now()
    async with UnitOfWork(engine) as uow:
        for n, (outcome, answer_after) in enumerate(
            [(Outcome.ANSWERED, 10), (Outcome.ANSWERED, 30), (Outcome.ABANDONED, None)]
        ):
            offered = now - timedelta(seconds=200)
            answered = offered + timedelta(seconds=answer_after) if answer_after else None
            record = CallRecord(
                call_id=f"c{n}",
                queue="general",
                offered_at=offered,
                caller="13800000000",
                answered_at=answered,
                ended_at=offered + timedelta(seconds=100),
                agent_id=agent.id if answered else None,
                outcome=outcome,
            )
            await service.open_call_record(uow, record=record)
    data = (await supervisor.get("/api/v1/acd/wallboard")).json()
    (general,) = data["queues"]
    assert (general["answered"], general["abandoned"]) == (2, 1)
    assert general["asa_seconds"] == pytest.approx(20.0)
    assert general["aht_seconds"] == pytest.approx(80.0)  # (90 + 70) / 2
    assert general["service_level"] == pytest.approx(1 / 3)  # 1 of 3 within 20 s
    csv_reply = await supervisor.get("/wallboard/calls.csv")
    assert csv_reply.headers["content-type"].startswith("text/csv")
    lines = csv_reply.text.strip().splitlines()
    assert len(lines) == 4
    assert "13800000000" not in csv_reply.text


@pytest.mark.asyncio
async def test_screen_pop_finds_the_patient_by_phone_and_audits_the_read(
    engine: AsyncEngine,
) -> None:
    agent = await make_staff(engine, "agent.pop", Role.AGENT)
    async with UnitOfWork(engine) as uow:
        patient = await patients.register_patient(
            uow, data=PatientInput(name="李华", phones=[("13800000000", "mobile")]), staff_id=None
        )
    async with UnitOfWork(engine) as uow:
        pop = await desk.build_screen_pop(
            uow,
            staff_id=agent.id,
            call_id="call-1",
            queue="general",
            caller="13800000000",
            patient_id=None,
            ivr_path=("start", "main"),
            language="zh-CN",
        )
    assert [p.id for p in pop.patients] == [patient.id]
    async with UnitOfWork(engine) as uow:
        entries = await access_history(uow.connection, subject="patient", subject_id=patient.id)
    assert any(e["staff_id"] == agent.id and "screen pop" in e["context"] for e in entries)


@pytest.mark.asyncio
async def test_wrap_up_only_by_the_agent_who_took_the_call(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    agent = await staff_client(Role.AGENT)
    me = (await agent.get("/api/v1/staff/me")).json()["id"]
    other = await make_staff(engine, "other.agent", Role.AGENT)
    async with UnitOfWork(engine) as uow:
        for call_id, owner in (("mine", me), ("theirs", other.id)):
            await service.open_call_record(
                uow,
                record=CallRecord(
                    call_id=call_id,
                    queue="general",
                    offered_at=Clock().now(),
                    agent_id=owner,
                    outcome=Outcome.ANSWERED,
                ),
            )
    form = {"code": "booking", "notes": "booked cardiology"}
    ok = await agent.post("/desk/calls/mine/wrap-up", data=form)
    assert ok.status_code == 200, ok.text
    refused = await agent.post("/desk/calls/theirs/wrap-up", data=form)
    assert refused.status_code == 403
    wrong = await agent.post("/desk/calls/mine/wrap-up", data={"code": "nonsense"})
    assert wrong.status_code == 422
    async with UnitOfWork(engine) as uow:
        (mine, theirs) = await service.records_since(uow, since=Clock().now() - timedelta(hours=1))
    assert (mine.wrap_up_code, mine.notes) == ("booking", "booked cardiology")
    assert theirs.wrap_up_code == ""
