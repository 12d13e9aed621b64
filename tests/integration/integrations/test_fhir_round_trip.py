"""FHIR round trip: Careline's demo data, exported through its FHIR face on a real HTTP
server, imported by the FHIR client into an empty Careline, compares equal; the public
HL7 FHIR R4 examples parse and import."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.config import Settings
from careline.db.engine import make_engine
from careline.db.uow import UnitOfWork
from careline.demo.loader import load_demo
from careline.directory import service as directory
from careline.integrations import service
from careline.integrations.booking_sync import HisBookingRules
from careline.integrations.fhir import face
from careline.integrations.fhir.client import FhirClient
from careline.integrations.fhir.parse import (
    appointment_from_fhir,
    patient_from_fhir,
    slot_from_fhir,
)
from careline.integrations.fhir.resources import validate
from careline.integrations.fhir.sync import FhirSync
from careline.integrations.model import HisIdentifier, IdentifierSystem
from careline.integrations.patient_sync import upsert_patient
from careline.kit.clock import FakeClock
from careline.patients import service as patients
from careline.patients.model import Patient
from careline.scheduling.model import BookingPolicy
from careline.tables import metadata
from careline.web.app import create_app

EXAMPLES = Path(__file__).parent / "fhir_examples"
PATIENTS = 25


@pytest_asyncio.fixture
async def source(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'source.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    async with UnitOfWork(engine) as uow:
        await load_demo(uow, patients=PATIENTS, clock=FakeClock())
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def fhir_url(source: AsyncEngine, tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    """Careline's app on the source database, served by uvicorn on a free loopback port."""
    clock = FakeClock()
    async with UnitOfWork(source) as uow:
        _id, token = await service.create_client_token(uow, name="round-trip", clock=clock)
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db")
    app = create_app(settings, source, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/fhir", token
    server.should_exit = True
    await task


async def _all_patients(engine: AsyncEngine) -> list[Patient]:
    async with UnitOfWork(engine) as uow:
        ids = await service.patient_ids(uow, limit=1000)
        return await patients.list_patients(uow, patient_ids=ids)


def _person(patient: Patient) -> tuple[object, ...]:
    phones = tuple(sorted((p.number, p.label.value) for p in patient.phones))
    return (
        patient.id_number,
        patient.name,
        patient.gender.value,
        patient.birth_date,
        phones,
        patient.email,
        patient.address,
    )


@pytest.mark.asyncio
async def test_every_exported_resource_is_valid_fhir(source: AsyncEngine) -> None:
    async with UnitOfWork(source) as uow:
        exported = await face.search_patients(uow, client="test", page=face.Page.of(200, 0))
        exported += await face.search_services(uow)
        for kind in face.DOCTOR_KINDS:
            exported += await face.search_doctor_resources(uow, kind=kind)
        doctors = await directory.list_doctors(uow)
    assert len([r for r in exported if r["resourceType"] == "Patient"]) == PATIENTS
    for resource in exported:
        assert validate(resource) is resource
    assert len([r for r in exported if r["resourceType"] == "Practitioner"]) >= len(doctors)


@pytest.mark.asyncio
async def test_round_trip_through_the_fhir_client(
    source: AsyncEngine, engine: AsyncEngine, fhir_url: tuple[str, str]
) -> None:
    url, token = fhir_url
    clock = FakeClock()
    async with FhirClient(url, token=token) as client:
        sync = FhirSync(lambda: UnitOfWork(engine), client, clock)
        directory_report = await sync.sync_directory()
        patient_report = await sync.sync_patients()
        again = await sync.sync_patients()  # nothing new since the cursor: nothing duplicated
    assert patient_report.refused == 0
    assert patient_report.patients == PATIENTS
    assert directory_report.refused == 0
    assert again.refused == 0
    assert sorted(map(_person, await _all_patients(engine))) == sorted(
        map(_person, await _all_patients(source))
    )
    assert await _doctors(engine) == await _doctors(source)


async def _doctors(engine: AsyncEngine) -> set[tuple[str, str, str, str, bool]]:
    """Each doctor's number, name, title, department name and whether active."""
    async with UnitOfWork(engine) as uow:
        names = {d.id: d.name_zh for d in await directory.list_departments(uow)}
        doctors = await directory.list_doctors(uow, include_inactive=True)
    return {
        (d.doctor_number, d.name, d.title.value, names[d.department_id], d.active) for d in doctors
    }


def _example(name: str) -> dict[str, object]:
    resource: dict[str, object] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return resource


@pytest.mark.asyncio
async def test_the_public_r4_examples_parse_and_import(
    engine: AsyncEngine, settings: Settings
) -> None:
    for name in ("patient-example.json", "slot-example.json", "appointment-example.json"):
        assert validate(_example(name))["id"] == "example"
    fields, identifiers = patient_from_fhir(_example("patient-example.json"))
    assert fields.name == "Peter James Chalmers"
    assert identifiers == [HisIdentifier(IdentifierSystem.MRN, "12345")]
    clock = FakeClock()
    async with UnitOfWork(engine) as uow:
        patient_id = await upsert_patient(
            uow, fields=fields, identifiers=identifiers, source="example", clock=clock
        )
        (stored,) = await patients.list_patients(uow, patient_ids=[patient_id])
    assert (stored.name, stored.gender.value, str(stored.birth_date)) == (
        "Peter James Chalmers",
        "male",
        "1974-12-25",
    )
    assert stored.address.startswith("534 Erewhon St")
    assert stored.phones == ()  # Australian numbers without a country code are not dialable
    async with UnitOfWork(engine) as uow:
        assert await service.find_patient(uow, identifiers=identifiers) == patient_id


@pytest.mark.asyncio
async def test_the_r4_slot_and_appointment_examples_map_and_import(engine: AsyncEngine) -> None:
    slot = slot_from_fhir(_example("slot-example.json"))
    assert (slot.schedule_id, slot.status) == ("example", "free")
    assert (slot.end - slot.start).total_seconds() == 15 * 60
    appointment = _example("appointment-example.json")
    fields = appointment_from_fhir(appointment)
    assert (fields.status, fields.patient_id, fields.practitioner_id) == (
        "booked",
        "example",
        "example",
    )
    clock = FakeClock()
    patient_fields, identifiers = patient_from_fhir(_example("patient-example.json"))
    async with UnitOfWork(engine) as uow:
        await upsert_patient(
            uow,
            fields=patient_fields,
            identifiers=[*identifiers, HisIdentifier(IdentifierSystem.FHIR_ID, "example")],
            source="example",
            clock=clock,
        )

    def his(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/fhir/Practitioner/example"
        return httpx.Response(
            200,
            json={"resourceType": "Practitioner", "id": "example", "identifier": [{"value": "9"}]},
        )

    transport = httpx.MockTransport(his)
    async with FhirClient("http://his.test/fhir", transport=transport) as client:
        sync = FhirSync(lambda: UnitOfWork(engine), client, clock)
        rules = HisBookingRules(clock, BookingPolicy())
        assert await sync.import_appointment(appointment, rules) is None
    async with UnitOfWork(engine) as uow:
        (entry,) = await service.exchange_log(uow, limit=5)
        assert await service.booking_by_his_id(uow, his_id="example") is None
    # Careline has no doctor 9 and no clinic in 2013: refused and logged, nothing booked.
    assert (entry.kind, entry.outcome.value) == ("Appointment", "error")
    assert entry.error == "The doctor has no clinic at this time."
