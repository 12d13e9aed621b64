"""Appointments pulled from a HIS's FHIR server by ``_lastUpdated`` (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.integrations import service
from careline.integrations.booking_sync import HisBookingRules
from careline.integrations.fhir.client import FhirClient
from careline.integrations.fhir.sync import APPOINTMENT_CURSOR, FhirSync
from careline.integrations.model import HisIdentifier, IdentifierSystem, Outcome
from careline.integrations.runtime import IntegrationsRuntime
from careline.kit.clock import FakeClock
from careline.scheduling import service as scheduling
from careline.scheduling.model import BookingPolicy, BookingStatus
from tests.integration.scheduling.world import (
    FEE,
    World,
    build_world,
    make_clock,
    total_balance,
)

FIRST = "2026-11-25T17:00:00+08:00"
SECOND = "2026-11-25T18:00:00+08:00"


def _appointment(his_id: str, status: str, patient: str, doctor: str, start: str) -> Any:
    return {
        "resourceType": "Appointment",
        "id": his_id,
        "meta": {"lastUpdated": FIRST},
        "status": status,
        "start": f"2026-11-26T{start}:00+08:00",
        "end": f"2026-11-26T{start[:3]}59:00+08:00",
        "participant": [
            {"actor": {"reference": f"Patient/{patient}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{doctor}"}, "status": "accepted"},
        ],
    }


class FakeHis:
    """A HIS FHIR server that answers ``_lastUpdated=ge…`` searches from a dict."""

    def __init__(self) -> None:
        self.appointments: dict[str, Any] = {}
        self.searches: list[str | None] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        kind, _, resource_id = request.url.path.removeprefix("/fhir/").partition("/")
        if kind == "Practitioner" and resource_id:
            number = resource_id.removeprefix("prac-")
            identifier = [{"system": "urn:careline:doctor-number", "value": number}]
            return httpx.Response(
                200,
                json={"resourceType": "Practitioner", "id": resource_id, "identifier": identifier},
            )
        if kind != "Appointment":  # the directory and patients: nothing
            return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset"})
        since = request.url.params.get("_lastUpdated")
        self.searches.append(since)
        found = [
            a
            for a in self.appointments.values()
            if since is None
            or datetime.fromisoformat(a["meta"]["lastUpdated"]) >= datetime.fromisoformat(since[2:])
        ]
        entries = [{"resource": a} for a in found]
        return httpx.Response(
            200, json={"resourceType": "Bundle", "type": "searchset", "entry": entries}
        )


async def _world(engine: AsyncEngine, clock: FakeClock) -> World:
    world = await build_world(engine, patients=2, clock=clock)
    for patient_id, fhir_id in zip(world.patients, ("hp-1", "hp-2"), strict=True):
        async with UnitOfWork(engine) as uow:
            await service.link_identifiers(
                uow,
                patient_id=patient_id,
                identifiers=[HisIdentifier(IdentifierSystem.FHIR_ID, fhir_id)],
                source="test",
                clock=clock,
            )
    clock.advance(8.5 * 3600)  # 17:30: tomorrow's pools are open to every channel
    return world


Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]


@asynccontextmanager
async def serving(his: FakeHis) -> AsyncIterator[str]:
    """The fake HIS on a free loopback port; yields its FHIR base URL."""

    async def app(scope: Any, _receive: Receive, send: Send) -> None:
        url = f"http://his.test{scope['path']}?{scope['query_string'].decode()}"
        reply = his.handle(httpx.Request(scope["method"], url))
        headers = [(b"content-type", b"application/fhir+json")]
        await send({"type": "http.response.start", "status": reply.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": reply.content})

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/fhir"
    finally:
        server.should_exit = True
        await task


@pytest.mark.asyncio
async def test_the_runtime_pulls_appointments_when_configured(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    clock = make_clock()
    await _world(engine, clock)
    his = FakeHis()
    his.appointments = {"R1": _appointment("R1", "booked", "hp-1", "prac-1", "09:30")}
    async with serving(his) as url:
        settings = Settings(data_dir=tmp_path, his_fhir_url=url, his_fhir_pull_appointments=True)
        runtime = IntegrationsRuntime(settings, lambda: UnitOfWork(engine), clock, BookingPolicy())
        await runtime.start()
        try:
            for _ in range(500):  # the first round runs at once
                async with UnitOfWork(engine) as uow:
                    booked = await service.booking_by_his_id(uow, his_id="R1")
                if booked is not None:
                    break
                await asyncio.sleep(0.02)
        finally:
            await runtime.stop()
    assert booked is not None
    assert his.searches == [None]


@pytest.mark.asyncio
async def test_appointments_follow_the_his_and_conflicts_are_logged(
    any_engine: AsyncEngine,
) -> None:
    engine = any_engine
    clock = make_clock()
    world = await _world(engine, clock)
    his = FakeHis()
    his.appointments = {
        "A1": _appointment("A1", "booked", "hp-1", "prac-1", "09:30"),
        "A2": _appointment("A2", "booked", "hp-2", "prac-1", "10:00"),
        "A3": _appointment("A3", "cancelled", "hp-2", "prac-1", "10:30"),
    }
    before = await total_balance(engine)
    rules = HisBookingRules(clock, BookingPolicy())
    async with FhirClient("http://his.test/fhir", transport=httpx.MockTransport(his.handle)) as c:
        sync = FhirSync(lambda: UnitOfWork(engine), c, clock)
        first = await sync.sync_appointments(rules)
        assert (first.appointments, first.conflicts, first.refused) == (2, 0, 0)
        assert await total_balance(engine) == before - 2 * FEE
        async with UnitOfWork(engine) as uow:
            a1 = await service.booking_by_his_id(uow, his_id="A1")
            a2 = await service.booking_by_his_id(uow, his_id="A2")
            assert await service.booking_by_his_id(uow, his_id="A3") is None
            cursor = await service.cursor(uow, name=APPOINTMENT_CURSOR)
        assert a1 is not None
        assert a2 is not None
        assert cursor == datetime.fromisoformat("2026-11-25T16:59:59+08:00")

        # The HIS cancels A1, gives A2 to another doctor and books an unknown patient.
        his.appointments["A1"] |= {"status": "cancelled", "meta": {"lastUpdated": SECOND}}
        moved = _appointment("A2", "booked", "hp-2", "prac-2", "10:00")
        his.appointments["A2"] = moved | {"meta": {"lastUpdated": SECOND}}
        stranger = _appointment("A4", "booked", "hp-9", "prac-1", "10:30")
        his.appointments["A4"] = stranger | {"meta": {"lastUpdated": SECOND}}
        second = await sync.sync_appointments(rules)
    assert his.searches == [None, "ge2026-11-25T08:59:59+00:00"]
    assert (second.appointments, second.conflicts, second.refused) == (1, 1, 1)
    assert await total_balance(engine) == before - FEE
    async with UnitOfWork(engine) as uow:
        assert (await scheduling.get_booking(uow, booking_id=a1)).status is BookingStatus.CANCELLED
        kept = await scheduling.get_booking(uow, booking_id=a2)
        session = await scheduling.get_session(uow, session_id=kept.session_id)
        log = await service.exchange_log(uow, limit=20)
    assert kept.status is BookingStatus.BOOKED
    assert session.doctor_id == world.doctor_id
    outcomes = [(e.control_id, e.outcome) for e in reversed(log)]
    assert outcomes[-4:] == [  # A3 again: the cursor is one second back
        ("A1", Outcome.ACCEPTED),
        ("A2", Outcome.CONFLICT),
        ("A3", Outcome.ACCEPTED),
        ("A4", Outcome.ERROR),
    ]
    conflict = next(e for e in log if e.outcome is Outcome.CONFLICT)
    assert "another doctor" in conflict.error
