"""The REST API for agents and the IVR, and the staff top-up page."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.membership import service as membership
from careline.staff.model import Role
from tests.conftest import StaffClientFactory
from tests.integration.scheduling.world import FEE, build_world

pytestmark = pytest.mark.asyncio


async def _number(engine: AsyncEngine, card_id: int) -> str:
    async with UnitOfWork(engine) as uow:
        return (await membership.get_card(uow, card_id=card_id)).card_number


async def test_agent_searches_books_and_cancels(
    engine: AsyncEngine, staff_client: StaffClientFactory
) -> None:
    # Ten places a period, so the agents' pool (a tenth) holds one even on days whose
    # pools are not yet open to every channel: the test passes at any hour of the day.
    world = await build_world(engine, patients=1, capacity=80)
    number = await _number(engine, world.cards[0])
    agent: httpx.AsyncClient = await staff_client(Role.AGENT)
    found = await agent.get(
        "/api/v1/scheduling/free-periods", params={"doctor_id": world.doctor_id}
    )
    assert found.status_code == 200
    # The real clock is used here: take the last open session so it is surely ahead.
    session = [s for s in found.json() if not s["cancelled"] and s["free"] > 0][-1]
    period = next(p for p in session["periods"] if p["free"] > 0)
    body = {
        "card_number": number,
        "doctor_id": world.doctor_id,
        "day": session["day"],
        "period": session["period"],
        "period_index": period["index"],
        "idempotency_key": "ivr-call-1",
    }
    booked = await agent.post("/api/v1/scheduling/bookings", json=body)
    assert booked.status_code == 201, booked.text
    again = await agent.post("/api/v1/scheduling/bookings", json=body)
    assert again.json()["id"] == booked.json()["id"]
    card = await agent.get(f"/api/v1/member-cards/{number}")
    assert card.json()["balance"] == 200_00 - FEE
    cancelled = await agent.post(f"/api/v1/scheduling/bookings/{booked.json()['id']}/cancel")
    if cancelled.status_code == 409:
        # Past today's deadline for tomorrow's clinic: the refusal states the deadline.
        assert cancelled.json()["error_id"] == "cancel_deadline_passed"
    else:
        assert cancelled.json()["status"] == "cancelled"
        card = await agent.get(f"/api/v1/member-cards/{number}")
        assert card.json()["balance"] == 200_00
    statement = await agent.get(f"/api/v1/member-cards/{number}/statement")
    assert [e["kind"] for e in statement.json()["entries"]][:2] == ["top_up", "charge"]


async def test_top_up_records_the_staff_member(
    engine: AsyncEngine, staff_client: StaffClientFactory
) -> None:
    world = await build_world(engine, patients=1, balance=0)
    number = await _number(engine, world.cards[0])
    agent = await staff_client(Role.AGENT)
    reply = await agent.post(
        f"/api/v1/member-cards/{number}/top-ups",
        json={"amount": 100_00, "idempotency_key": "desk-1", "reason": "Cash"},
    )
    assert reply.status_code == 201
    me = await agent.get("/api/v1/staff/me")
    assert reply.json()["staff_id"] == me.json()["id"]
    again = await agent.post(
        f"/api/v1/member-cards/{number}/top-ups",
        json={"amount": 100_00, "idempotency_key": "desk-1", "reason": "Cash"},
    )
    assert again.json()["id"] == reply.json()["id"]
    assert (await agent.get(f"/api/v1/member-cards/{number}")).json()["balance"] == 100_00


async def test_agents_may_not_adjust(engine: AsyncEngine, staff_client: StaffClientFactory) -> None:
    world = await build_world(engine, patients=1)
    number = await _number(engine, world.cards[0])
    agent = await staff_client(Role.AGENT)
    body = {"amount": -5_00, "idempotency_key": "adj-1", "reason": "Wrong top-up"}
    refused = await agent.post(f"/api/v1/member-cards/{number}/adjustments", json=body)
    assert refused.status_code == 403
    supervisor = await staff_client(Role.SUPERVISOR)
    done = await supervisor.post(f"/api/v1/member-cards/{number}/adjustments", json=body)
    assert done.status_code == 201
    assert (await supervisor.get(f"/api/v1/member-cards/{number}")).json()["balance"] == 195_00


async def test_doctors_cannot_book(engine: AsyncEngine, staff_client: StaffClientFactory) -> None:
    doctor = await staff_client(Role.DOCTOR)
    reply = await doctor.get("/api/v1/scheduling/free-periods", params={"doctor_id": 1})
    assert reply.status_code == 403


async def test_desk_page_takes_a_top_up_with_the_staff_recorded(
    engine: AsyncEngine, staff_client: StaffClientFactory
) -> None:
    world = await build_world(engine, patients=1, balance=0)
    number = await _number(engine, world.cards[0])
    agent = await staff_client(Role.AGENT)
    page = await agent.get("/staff/member-cards", params={"number": number, "lang": "en"})
    assert page.status_code == 200
    assert 'id="balance">0.00<' in page.text
    form = {"kind": "top_up", "amount": "88.50", "reason": "Cash", "key": "desk-page-1"}
    posted = await agent.post(f"/staff/member-cards/{number}/entries", data=form)
    assert posted.status_code == 303
    page = await agent.get("/staff/member-cards", params={"number": number, "lang": "en"})
    assert 'id="balance">88.50<' in page.text
    refused = await agent.post(
        f"/staff/member-cards/{number}/entries",
        data={"kind": "adjustment", "amount": "10", "reason": "x", "key": "adj-page-1"},
    )
    assert "Only supervisors may adjust a balance." in refused.text
    async with UnitOfWork(engine) as uow:
        statement = await membership.card_statement(
            uow,
            card_id=world.cards[0],
            first_day=date(2020, 1, 1),
            last_day=date(2030, 1, 1),
            zone=ZoneInfo("Asia/Shanghai"),
        )
    me = (await agent.get("/api/v1/staff/me")).json()
    assert [(e.amount, e.staff_id) for e in statement.entries] == [(88_50, me["id"])]
