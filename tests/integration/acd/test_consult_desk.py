"""The desk's "put through to a doctor": the list, the action, the audit, no private number."""

from __future__ import annotations

from datetime import time
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.acd import pages as desk_pages
from careline.acd.events import CallOffered
from careline.consultations import service as consultations
from careline.consultations.model import ConsultSettings, FeeMode, Window
from careline.db.uow import UnitOfWork
from careline.directory import admin
from careline.directory.model import Doctor, DoctorTitle
from careline.kit.clock import Clock
from careline.staff.audit import access_history
from careline.staff.model import Role
from tests.conftest import StaffClientFactory
from tests.integration.acd.test_desk_actions import center_behind, on_call, staff_id_of
from tests.unit.ivr.fakes import seed_hospital

IN_HOURS_NUMBER = "13712345678"
LATER_NUMBER = "13987654321"


async def offer_consultations(
    engine: AsyncEngine, doctor_id: int, number: str, windows: list[Window]
) -> None:
    """Turn the doctor's free phone consultations on with one private number."""
    async with UnitOfWork(engine) as uow:
        settings = ConsultSettings(doctor_id, True, 600, FeeMode.FREE, 0)
        await consultations.update_settings(uow, settings=settings, clock=Clock())
        await consultations.set_windows(uow, doctor_id=doctor_id, windows=windows)
        await consultations.set_private_numbers(uow, doctor_id=doctor_id, numbers=[number])


def all_week() -> list[Window]:
    return [Window(day, time(0, 0), time(23, 59)) for day in range(7)]


def another_day() -> list[Window]:
    today = Clock().today().weekday()
    return [Window((today + 3) % 7, time(9, 0), time(10, 0))]


async def consulting_doctors(engine: AsyncEngine) -> dict[str, int]:
    """Li Ming takes calls all week; Zhao Lei only another day; Wang Qiang takes none."""
    ids = await seed_hospital(engine)
    found = {"in_hours": ids["doctor"]}
    for key, name, name_en, number in (
        ("later", "赵磊", "Zhao Lei", "1002"),
        ("never", "王强", "Wang Qiang", "1003"),
    ):
        async with UnitOfWork(engine) as uow:
            doctor = await admin.create_doctor(
                uow,
                doctor=Doctor(
                    department_id=ids["department"],
                    name=name,
                    name_en=name_en,
                    title=DoctorTitle.ATTENDING,
                    doctor_number=number,
                ),
                sessions=[],
            )
        found[key] = doctor.id
    await offer_consultations(engine, found["in_hours"], IN_HOURS_NUMBER, all_week())
    await offer_consultations(engine, found["later"], LATER_NUMBER, another_day())
    return found


def without_private_numbers(text: str) -> bool:
    return all(n not in text and n[-8:] not in text for n in (IN_HOURS_NUMBER, LATER_NUMBER))


@pytest.mark.asyncio
async def test_desk_lists_consulting_doctors_with_availability_and_never_a_number(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    desk = await staff_client(Role.AGENT)
    doctors = await consulting_doctors(engine)
    reply = await desk.get("/desk/consult-doctors?lang=en")
    assert reply.status_code == 200, reply.text
    listed = {d["doctor_id"]: d for d in reply.json()}
    assert set(listed) == {doctors["in_hours"], doctors["later"]}  # never Wang Qiang
    assert listed[doctors["in_hours"]]["availability"] == "available"
    assert listed[doctors["in_hours"]]["name"] == "Li Ming"
    later = listed[doctors["later"]]
    assert later["availability"] == "outside_hours"
    assert later["next_open_at"]
    assert "Outside consultation hours" in later["label"]
    assert without_private_numbers(reply.text)
    me = await staff_id_of(engine, Role.AGENT)
    offer = CallOffered("call-9", "general", me, "13800000000", None, (), "en", Clock().now())
    app = cast(Any, cast(httpx.ASGITransport, desk._transport)).app
    agent = SimpleNamespace(id=me)
    html = await desk_pages._pop(cast(Any, SimpleNamespace(app=app)), offer, cast(Any, agent), "en")
    assert "/desk/calls/call-9/consult" in html
    assert f'value="{doctors["in_hours"]}"' in html
    assert f'value="{doctors["never"]}"' not in html
    assert without_private_numbers(html)


@pytest.mark.asyncio
async def test_desk_puts_the_call_through_to_a_doctor_and_audits_it(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    desk = await staff_client(Role.AGENT)
    doctors = await consulting_doctors(engine)
    me = await staff_id_of(engine, Role.AGENT)
    center = center_behind(desk)
    live = on_call(center, me, "call-11")
    url = "/desk/calls/call-11/consult"
    refused = await desk.post(url, data={"doctor_id": str(doctors["never"])})
    assert refused.status_code == 409
    assert (
        await desk.post("/desk/calls/other/consult", data={"doctor_id": "1"})
    ).status_code == 409
    reply = await desk.post(url, data={"doctor_id": str(doctors["later"])})
    assert reply.status_code == 200, reply.text
    assert live.consults == [doctors["later"]]  # outside hours: the caller hears when next
    assert without_private_numbers(reply.text)
    async with UnitOfWork(engine) as uow:
        entries = await access_history(uow.connection, subject="call", subject_id="call-11")
    assert [(e["staff_id"], e["action"]) for e in entries] == [(me, "transfer")]
    assert f"doctor {doctors['later']}" in entries[0]["context"]
