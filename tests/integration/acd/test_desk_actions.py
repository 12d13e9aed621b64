"""The wallboard's listen-in and the desk's newer actions, through HTTP on a live centre."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.acd.center import AcdCenter
from careline.acd.model import AgentState, AgentStatus
from careline.acd.pages import center_of
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.patients import service as patients
from careline.patients.validation import PatientInput
from careline.scheduling import service as scheduling
from careline.scheduling.model import BookingStatus, Channel
from careline.staff import service as staff_service
from careline.staff.audit import access_history
from careline.staff.extensions import set_extension
from careline.staff.model import Role
from tests.conftest import StaffClientFactory, make_staff
from tests.integration.scheduling.world import build_world


class LiveCallDouble:
    """A connected call as the phone side would hand it to the centre."""

    def __init__(self) -> None:
        self.listeners: list[str] = []
        self.transfers: list[tuple[str, int | None]] = []
        self.consults: list[int] = []

    def hang_up(self) -> None:
        pass

    def hold(self, on: bool) -> bool:
        return on

    def transfer(self, queue: str, agent_id: int | None = None) -> bool:
        self.transfers.append((queue, agent_id))
        return True

    def listen(self, extension: str) -> bool:
        self.listeners.append(extension)
        return True

    def consult(self, doctor_id: int) -> bool:
        self.consults.append(doctor_id)
        return True


def center_behind(client: httpx.AsyncClient) -> AcdCenter:
    transport = cast(httpx.ASGITransport, client._transport)
    return center_of(cast(Any, transport).app)


def on_call(center: AcdCenter, staff_id: int, call_id: str) -> LiveCallDouble:
    center.agents[staff_id] = AgentState(
        staff_id, status=AgentStatus.ON_CALL, call_id=call_id, queues=frozenset({"general"})
    )
    live = LiveCallDouble()
    center.track_call(call_id, live)
    return live


async def staff_id_of(engine: AsyncEngine, role: Role) -> int:
    async with UnitOfWork(engine) as uow:
        return next(s.id for s in await staff_service.list_staff(uow) if role in s.roles)


@pytest.mark.asyncio
async def test_supervisor_listens_in_on_their_own_extension_and_it_is_audited(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    supervisor = await staff_client(Role.SUPERVISOR)
    agent_client = await staff_client(Role.AGENT)
    agent = await make_staff(engine, "listened.agent", Role.AGENT)
    center = center_behind(supervisor)
    live = on_call(center, agent.id, "call-42")
    board = await supervisor.get("/wallboard/panel?lang=en")
    assert f"/wallboard/agents/{agent.id}/listen" in board.text
    url = f"/wallboard/agents/{agent.id}/listen"
    without = await supervisor.post(url)
    assert without.status_code == 409
    assert "extension" in without.json()["message"]
    boss = await staff_id_of(engine, Role.SUPERVISOR)
    async with UnitOfWork(engine) as uow:
        await set_extension(
            uow, staff_id=boss, extension="1009", password="boss-sip-pass-1", clock=Clock()
        )
    assert (await agent_client.post(url)).status_code == 403
    reply = await supervisor.post(url)
    assert reply.status_code == 200, reply.text
    assert live.listeners == ["1009"]
    async with UnitOfWork(engine) as uow:
        entries = await access_history(uow.connection, subject="call", subject_id="call-42")
    assert [(e["staff_id"], e["action"]) for e in entries] == [(boss, "listen")]
    center.agents[agent.id] = AgentState(agent.id, status=AgentStatus.AVAILABLE)
    assert (await supervisor.post(url)).status_code == 409
    assert live.listeners == ["1009"]


@pytest.mark.asyncio
async def test_desk_transfers_to_a_named_signed_in_agent_only(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    desk = await staff_client(Role.AGENT)
    me = await staff_id_of(engine, Role.AGENT)
    colleague = await make_staff(engine, "named.agent", Role.AGENT)
    center = center_behind(desk)
    live = on_call(center, me, "call-7")
    url = "/desk/calls/call-7/transfer"
    absent = await desk.post(url, data={"queue": "general", "agent": str(colleague.id)})
    assert absent.status_code == 409
    assert (await desk.post(url, data={"queue": "general", "agent": str(me)})).status_code == 409
    center.agents[colleague.id] = AgentState(colleague.id, status=AgentStatus.PAUSED)
    reply = await desk.post(url, data={"queue": "general", "agent": str(colleague.id)})
    assert reply.status_code == 200, reply.text
    assert live.transfers == [("general", colleague.id)]
    await desk.post(url, data={"queue": "pharmacy"})
    assert live.transfers[-1] == ("pharmacy", None)


@pytest.mark.asyncio
async def test_desk_books_and_cancels_for_the_caller_on_the_agent_channel(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    desk = await staff_client(Role.AGENT)
    me = await staff_id_of(engine, Role.AGENT)
    world = await build_world(engine, patients=2, capacity=120)
    patient, other = world.patients
    day = (Clock().today() + timedelta(days=2)).isoformat()
    form = {
        "patient_id": str(patient),
        "doctor_id": str(world.doctor_id),
        "day": day,
        "period": "morning",
        "period_index": "0",
        "key": "call-1:form-1",
    }
    first = await desk.post("/desk/bookings?lang=en", data=form)
    assert first.status_code == 200, first.text
    again = await desk.post("/desk/bookings?lang=en", data=form)  # the form sent twice
    assert again.json()["booking_id"] == first.json()["booking_id"]
    booking_id = first.json()["booking_id"]
    async with UnitOfWork(engine) as uow:
        (booking,) = await scheduling.bookings_of_patient(uow, patient_id=patient)
        audit = await access_history(uow.connection, subject="patient", subject_id=patient)
    assert (booking.id, booking.channel, booking.staff_id) == (booking_id, Channel.AGENT, me)
    assert any(e["action"] == "write" and e["context"] == "POST /desk/bookings" for e in audit)
    cancel = f"/desk/bookings/{booking_id}/cancel?lang=en"
    wrong = await desk.post(cancel, data={"patient_id": str(other)})
    assert wrong.status_code == 409
    assert wrong.json()["message"] == "This booking belongs to another patient."
    done = await desk.post(cancel, data={"patient_id": str(patient)})
    assert done.status_code == 200, done.text
    async with UnitOfWork(engine) as uow:
        (cancelled,) = await scheduling.bookings_of_patient(uow, patient_id=patient)
    assert cancelled.status == BookingStatus.CANCELLED
    bad = await desk.post("/desk/bookings?lang=en", data={**form, "day": "soon"})
    assert bad.status_code == 422


@pytest.mark.asyncio
async def test_desk_booking_needs_a_member_card(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    desk = await staff_client(Role.AGENT)
    world = await build_world(engine, patients=0)
    async with UnitOfWork(engine) as uow:
        patient = await patients.register_patient(
            uow, data=PatientInput(name="赵敏", phones=[("13700000000", "mobile")]), staff_id=None
        )
    form = {
        "patient_id": str(patient.id),
        "doctor_id": str(world.doctor_id),
        "day": (Clock().today() + timedelta(days=2)).isoformat(),
        "period": "morning",
        "key": "call-2:form-1",
    }
    reply = await desk.post("/desk/bookings?lang=en", data=form)
    assert reply.status_code == 409
    assert reply.json()["message"] == "The patient has no active member card to book with."
