"""The public HL7 FHIR R4 Appointment and Slot examples imported into a hospital that has
what they name: Dr Adam Careful (the R4 Practitioner example, identifier
``http://www.acme.org/practitioners|23``) with an evening clinic on their days, and the
Patient example registered with a resident ID and a member card."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.directory import admin
from careline.directory.model import Department, Doctor, DoctorTitle, SessionPeriod, WeeklySession
from careline.integrations import service
from careline.integrations.booking_sync import HisBookingRules
from careline.integrations.fhir.client import FhirClient
from careline.integrations.fhir.parse import patient_from_fhir
from careline.integrations.fhir.slot_import import ALREADY_SO
from careline.integrations.fhir.sync import FhirSync
from careline.integrations.model import HisIdentifier, IdentifierSystem, Outcome
from careline.integrations.patient_sync import upsert_patient
from careline.kit.clock import FakeClock
from careline.membership import service as membership
from careline.membership.model import EntryKind
from careline.scheduling import service as scheduling
from careline.scheduling.model import BookingPolicy, BookingStatus, Channel

EXAMPLES = Path(__file__).parent / "fhir_examples"
FEE = 20_00
RESIDENT_ID = "110101197412250014"  # a valid number for a man born 1974-12-25
# 2013-12-09 18:00 in Shanghai: the example's day (10 December) is inside the booking
# window and its pools are released to every channel.
BEFORE = datetime(2013, 12, 9, 10, 0, tzinfo=UTC)


def _example(name: str) -> dict[str, Any]:
    resource: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return resource


def _his(request: httpx.Request) -> httpx.Response:
    """The HIS's FHIR server: the R4 example practitioner and the schedule it owns."""
    if request.url.path == "/fhir/Practitioner/example":
        identifier = [{"system": "http://www.acme.org/practitioners", "value": "23"}]
        body = {"resourceType": "Practitioner", "id": "example", "identifier": identifier}
        return httpx.Response(200, json=body)
    if request.url.path == "/fhir/Schedule/example":
        actor = [{"reference": "Practitioner/example", "display": "Dr Adam Careful"}]
        return httpx.Response(
            200, json={"resourceType": "Schedule", "id": "example", "actor": actor}
        )
    return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})


async def _doctor_with_evening_clinics(engine: AsyncEngine) -> int:
    """Doctor 23 holds clinics on Tuesday and Wednesday, 17:00-19:00 hospital time."""
    sessions = [
        WeeklySession(
            weekday=weekday,
            period=SessionPeriod.EVENING,
            capacity=8,
            registration_fee=FEE,
            start_time=time(17, 0),
            end_time=time(19, 0),
        )
        for weekday in (1, 2)
    ]
    async with UnitOfWork(engine) as uow:
        department = await admin.create_department(
            uow, department=Department(name_zh="全科", name_en="General Practice")
        )
        doctor = await admin.create_doctor(
            uow,
            doctor=Doctor(
                department_id=department.id,
                name="Adam Careful",
                title=DoctorTitle.ATTENDING,
                doctor_number="23",
            ),
            sessions=sessions,
        )
    return doctor.id


async def _member_patient(engine: AsyncEngine, clock: FakeClock) -> tuple[int, int]:
    """The R4 Patient example, registered with a resident ID and a topped-up card."""
    fields, identifiers = patient_from_fhir(_example("patient-example.json"))
    identifiers += [
        HisIdentifier(IdentifierSystem.FHIR_ID, "example"),
        HisIdentifier(IdentifierSystem.ID_CARD, RESIDENT_ID),
    ]
    async with UnitOfWork(engine) as uow:
        patient_id = await upsert_patient(
            uow, fields=fields, identifiers=identifiers, source="example", clock=clock
        )
        hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        card = await membership.issue_card(
            uow, patient_id=patient_id, pin="135790", clock=clock, hasher=hasher
        )
        await membership.post_entry(
            uow,
            card_id=card.id,
            kind=EntryKind.TOP_UP,
            amount=100_00,
            key=f"seed-{card.id}",
            reason="Opening balance",
            clock=clock,
        )
    return patient_id, card.id


@pytest.mark.asyncio
async def test_the_r4_appointment_example_books_its_place(engine: AsyncEngine) -> None:
    clock = FakeClock(BEFORE)
    doctor_id = await _doctor_with_evening_clinics(engine)
    patient_id, card_id = await _member_patient(engine, clock)
    appointment = _example("appointment-example.json")
    rules = HisBookingRules(clock, BookingPolicy())
    async with FhirClient("http://his.test/fhir", transport=httpx.MockTransport(_his)) as client:
        sync = FhirSync(lambda: UnitOfWork(engine), client, clock)
        booking_id = await sync.import_appointment(appointment, rules)
        again = await sync.import_appointment(appointment, rules)
    assert booking_id is not None
    assert again == booking_id  # the same HIS appointment books once
    async with UnitOfWork(engine) as uow:
        booking = await scheduling.get_booking(uow, booking_id=booking_id)
        session = await scheduling.get_session(uow, session_id=booking.session_id)
        linked = await service.booking_by_his_id(uow, his_id="example")
        entries = await service.exchange_log(uow, limit=5)
    assert (booking.patient_id, booking.card_id, session.doctor_id) == (
        patient_id,
        card_id,
        doctor_id,
    )
    # 09:00Z is 17:00 in Shanghai: the first half hour of Tuesday's evening clinic.
    assert (booking.period_starts_at, booking.period_ends_at) == (
        datetime(2013, 12, 10, 9, 0, tzinfo=UTC),
        datetime(2013, 12, 10, 9, 30, tzinfo=UTC),
    )
    assert (booking.channel, booking.status, booking.fee) == (
        Channel.WINDOW,
        BookingStatus.BOOKED,
        FEE,
    )
    assert linked == booking_id
    assert [(e.kind, e.outcome) for e in entries] == [("Appointment", Outcome.ACCEPTED)] * 2


@pytest.mark.asyncio
async def test_the_r4_slot_example_is_applied_to_its_period(engine: AsyncEngine) -> None:
    clock = FakeClock(BEFORE)
    doctor_id = await _doctor_with_evening_clinics(engine)
    rules = HisBookingRules(clock, BookingPolicy())
    async with FhirClient("http://his.test/fhir", transport=httpx.MockTransport(_his)) as client:
        sync = FhirSync(lambda: UnitOfWork(engine), client, clock)
        match = await sync.import_slot(_example("slot-example.json"), rules)
    assert match is not None
    # 09:15Z is 17:15 on Wednesday 25 December in Shanghai: period 0 of the evening clinic.
    assert (match.his_status, match.doctor_id, str(match.day), match.period) == (
        "free",
        doctor_id,
        "2013-12-25",
        SessionPeriod.EVENING,
    )
    # The example is "free" without Careline's capacity extension: the period keeps the
    # 2 places it has (8 over four half hours); only a period without places would get one.
    assert (match.period_index, match.starts_at, match.capacity, match.changed) == (
        0,
        datetime(2013, 12, 25, 9, 0, tzinfo=UTC),
        2,
        False,
    )
    async with UnitOfWork(engine) as uow:
        (entry,) = await service.exchange_log(uow, limit=5)
        session = await scheduling.find_session(
            uow, doctor_id=doctor_id, day=match.day, period=SessionPeriod.EVENING
        )
    assert (entry.kind, entry.control_id, entry.outcome) == ("Slot", "example", Outcome.ACCEPTED)
    assert entry.error == ALREADY_SO
    assert session is not None
    assert (session.capacity, session.period_capacities) == (8, None)


@pytest.mark.asyncio
async def test_a_slot_of_an_unknown_doctor_is_logged_as_an_error(engine: AsyncEngine) -> None:
    clock = FakeClock(BEFORE)
    rules = HisBookingRules(clock, BookingPolicy())
    async with FhirClient("http://his.test/fhir", transport=httpx.MockTransport(_his)) as client:
        sync = FhirSync(lambda: UnitOfWork(engine), client, clock)
        assert await sync.import_slot(_example("slot-example.json"), rules) is None
        schedule_gone = {**_example("slot-example.json"), "schedule": {"reference": "Schedule/x"}}
        assert await sync.import_slot(schedule_gone, rules) is None
    async with UnitOfWork(engine) as uow:
        gone, unknown = await service.exchange_log(uow, limit=5)
    assert (unknown.kind, unknown.outcome) == ("Slot", Outcome.ERROR)
    assert unknown.error == "The doctor has no clinic at this time."
    assert (gone.kind, gone.outcome) == ("Slot", Outcome.ERROR)
    assert "404" in gone.error
