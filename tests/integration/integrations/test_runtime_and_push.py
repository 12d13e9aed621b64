"""The runtime starts the configured HL7 listener; bookings are pushed to a FHIR HIS."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.integrations import service
from careline.integrations.fhir.client import FhirClient
from careline.integrations.fhir.push import FhirPusher
from careline.integrations.model import (
    HisIdentifier,
    IdentifierSystem,
    PushStatus,
    RetryPolicy,
)
from careline.integrations.runtime import IntegrationsRuntime
from careline.scheduling import service as scheduling
from careline.scheduling.model import BookingPolicy
from tests.integration.integrations.hl7world import adt, send
from tests.integration.integrations.test_hl7_sender import _book
from tests.integration.scheduling.world import build_world, make_clock


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.asyncio
async def test_the_runtime_listens_when_a_port_is_set(engine: AsyncEngine, tmp_path: Path) -> None:
    port = _free_port()
    settings = Settings(data_dir=tmp_path, his_mllp_port=port, his_facility="HOSP")
    runtime = IntegrationsRuntime(
        settings, lambda: UnitOfWork(engine), make_clock(), BookingPolicy()
    )
    await runtime.start()
    try:
        ack = await send(port, adt("A04", "R1", "RT1^^^HOSP^MR", name="孙^八", birth="19900101"))
    finally:
        await runtime.stop()
    assert ack.value("MSA", 1) == "AA"
    assert ack.value("MSH", 4) == "HOSP"
    async with UnitOfWork(engine) as uow:
        found = await service.find_patient(
            uow, identifiers=[HisIdentifier(IdentifierSystem.MRN, "RT1")]
        )
    assert found is not None


@pytest.mark.asyncio
async def test_bookings_are_pushed_as_fhir_appointments(engine: AsyncEngine) -> None:
    clock = make_clock()
    world = await build_world(engine, patients=1, clock=clock)
    async with UnitOfWork(engine) as uow:
        await service.link_identifiers(
            uow,
            patient_id=world.patients[0],
            identifiers=[HisIdentifier(IdentifierSystem.FHIR_ID, "his-patient-9")],
            source="test",
            clock=clock,
        )
    booking_id = await _book(engine, world.cards[0], world.doctor_id, clock)
    received: list[tuple[str, str, dict[str, Any]]] = []
    failures = [503]

    def his(request: httpx.Request) -> httpx.Response:
        if failures:
            return httpx.Response(failures.pop())
        body = json.loads(request.content)
        received.append((request.method, request.url.path, body))
        return httpx.Response(201, json={**body, "id": "his-appt-1"})

    client = FhirClient("http://his.test/fhir", transport=httpx.MockTransport(his))
    pusher = FhirPusher(
        lambda: UnitOfWork(engine), client, clock, RetryPolicy(first_delay_seconds=5)
    )
    assert await pusher.run_once() == 0  # 503: retried later
    clock.advance(6)
    assert await pusher.run_once() == 1
    async with UnitOfWork(engine) as uow:
        assert await service.his_id_of(uow, booking_id=booking_id) == "his-appt-1"
        await scheduling.cancel_booking(uow, booking_id=booking_id, clock=clock)
    clock.advance(1)
    assert await pusher.run_once() == 1
    await client.aclose()
    (method, path, created), (method2, path2, cancelled) = received
    assert (method, path, created["status"]) == ("POST", "/fhir/Appointment", "booked")
    actors = [p["actor"] for p in created["participant"]]
    assert actors[0] == {"reference": "Patient/his-patient-9"}
    assert (method2, path2, cancelled["status"]) == (
        "PUT",
        "/fhir/Appointment/his-appt-1",
        "cancelled",
    )
    async with UnitOfWork(engine) as uow:
        pushes = await service.list_pushes(uow)
    assert [p.status for p in pushes] == [PushStatus.SENT, PushStatus.SENT]
