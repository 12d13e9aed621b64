"""Keep Careline's directory and patients in step with a HIS's FHIR server.

Patients are read by ``_lastUpdated`` from where the last run stopped (a cursor), so
each run fetches only what changed. Each resource is applied in its own transaction and
logged; a refused one (conflicting identifiers, invalid data) does not stop the run.
Departments are matched by name and doctors by doctor number; weekly clinic templates are
not part of FHIR and stay as Careline has them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from careline.db.uow import UnitOfWork
from careline.directory import admin
from careline.directory import service as directory
from careline.directory.model import Department, DirectoryNotFound, Doctor, DoctorTitle
from careline.integrations import service
from careline.integrations.booking_sync import HisBookingRules, NoClinicAtThisTime, booking_request
from careline.integrations.fhir.client import FhirClient, FhirClientError
from careline.integrations.fhir.parse import (
    AppointmentFields,
    appointment_from_fhir,
    doctor_number_of,
    patient_from_fhir,
)
from careline.integrations.fhir.resources import InvalidResource, Resource
from careline.integrations.fhir.slot_import import SlotMatch, import_slot
from careline.integrations.model import (
    Direction,
    ExchangeEntry,
    HisIdentifier,
    IdentifierSystem,
    Outcome,
    Protocol,
    UnknownHisPatient,
)
from careline.integrations.patient_sync import upsert_patient
from careline.kit.clock import Clock
from careline.kit.errors import CarelineError
from careline.scheduling import service as scheduling
from careline.scheduling.model import BookingStatus

log = structlog.get_logger(__name__)

PATIENT_CURSOR = "fhir:patients"
APPOINTMENT_CURSOR = "fhir:appointments"
TITLES = {t.value: t for t in DoctorTitle}


@dataclass
class SyncReport:
    departments: int = 0
    doctors: int = 0
    patients: int = 0
    appointments: int = 0
    conflicts: int = 0
    refused: int = 0


def _ref_id(reference: Any) -> str:
    return str((reference or {}).get("reference", "")).rpartition("/")[2]


def _last_updated(resource: Resource, newest: datetime | None) -> datetime | None:
    updated = resource.get("meta", {}).get("lastUpdated")
    if not updated:
        return newest
    moment = datetime.fromisoformat(str(updated).replace("Z", "+00:00"))
    return moment if newest is None or moment > newest else newest


def _name(resource: Resource) -> str:
    names = resource.get("name", [])
    if isinstance(names, str):
        return names
    first = names[0] if names else {}
    text = first.get("text") or first.get("family", "") + "".join(first.get("given", []))
    return str(text).strip()


class FhirSync:
    """Import and refresh the directory and patients from a HIS's FHIR server."""

    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], client: FhirClient, clock: Clock
    ) -> None:
        self._uow = uow_factory
        self._client = client
        self._clock = clock

    async def _log(self, resource: Resource, outcome: Outcome, error: str = "") -> None:
        async with self._uow() as uow:
            await service.record_exchange(
                uow,
                entry=ExchangeEntry(
                    direction=Direction.IN,
                    protocol=Protocol.FHIR,
                    kind=str(resource.get("resourceType", "")),
                    control_id=str(resource.get("id", "")),
                    outcome=outcome,
                    error=error,
                    payload=json.dumps(resource, ensure_ascii=False),
                ),
                clock=self._clock,
            )

    async def sync_directory(self) -> SyncReport:
        """Create or update departments (HealthcareService) and doctors (Practitioner)."""
        report = SyncReport()
        departments = await self._departments(report)
        roles = {
            _ref_id(role.get("practitioner")): _ref_id((role.get("healthcareService") or [{}])[0])
            async for role in self._client.search("PractitionerRole")
        }
        async with self._uow() as uow:
            known = {
                d.doctor_number: d for d in await directory.list_doctors(uow, include_inactive=True)
            }
        async for practitioner in self._client.search("Practitioner"):
            department_id = departments.get(roles.get(str(practitioner.get("id")), ""))
            number = doctor_number_of(practitioner)
            if department_id is None or number is None:
                report.refused += 1
                await self._log(practitioner, Outcome.ERROR, "No department or doctor number.")
                continue
            await self._doctor(practitioner, number, department_id, known.get(number), report)
        return report

    async def _departments(self, report: SyncReport) -> dict[str, int]:
        async with self._uow() as uow:
            by_name = {d.name_zh: d.id for d in await directory.list_departments(uow)}
        mapping = {}
        async for resource in self._client.search("HealthcareService"):
            name = str(resource.get("name", "")).strip()
            if not name:
                report.refused += 1
                continue
            if name not in by_name:
                phones = [t["value"] for t in resource.get("telecom", []) if t.get("value")]
                async with self._uow() as uow:
                    created = await admin.create_department(
                        uow,
                        department=Department(
                            name_zh=name,
                            name_en=str(resource.get("comment", "")),
                            phone=phones[0] if phones else "",
                            location=str(resource.get("extraDetails", "")),
                        ),
                    )
                by_name[name] = created.id
                report.departments += 1
            mapping[str(resource.get("id"))] = by_name[name]
            await self._log(resource, Outcome.ACCEPTED)
        return mapping

    async def _doctor(
        self,
        resource: Resource,
        number: str,
        department_id: int,
        known: Doctor | None,
        report: SyncReport,
    ) -> None:
        qualifications = resource.get("qualification", [])
        title_text = qualifications[0].get("code", {}).get("text", "") if qualifications else ""
        fields = {
            "department_id": department_id,
            "name": _name(resource),
            "title": TITLES.get(title_text, DoctorTitle.ATTENDING),
            "doctor_number": number,
            "active": bool(resource.get("active", True)),
        }
        try:
            async with self._uow() as uow:
                if known is None:
                    await admin.create_doctor(uow, doctor=Doctor(**fields))  # type: ignore[arg-type]
                elif any(getattr(known, k) != v for k, v in fields.items()):
                    changed = Doctor(**{**_doctor_fields(known), **fields})
                    await admin.update_doctor(uow, doctor=changed)
        except CarelineError as exc:
            report.refused += 1
            await self._log(resource, Outcome.ERROR, exc.message)
            return
        report.doctors += 1
        await self._log(resource, Outcome.ACCEPTED)

    async def sync_patients(self) -> SyncReport:
        """Apply every Patient changed since the last run."""
        report = SyncReport()
        newest = None
        async for resource in self._client.search("Patient", await self._since(PATIENT_CURSOR)):
            await self._patient(resource, report)
            newest = _last_updated(resource, newest)
        await self._advance(PATIENT_CURSOR, newest)
        log.info("fhir.patients_synced", patients=report.patients, refused=report.refused)
        return report

    async def _since(self, name: str) -> dict[str, str]:
        async with self._uow() as uow:
            since = await service.cursor(uow, name=name)
        params = {"_count": "100"}
        if since is not None:
            params["_lastUpdated"] = f"ge{since.isoformat()}"
        return params

    async def _advance(self, name: str, newest: datetime | None) -> None:
        if newest is not None:
            async with self._uow() as uow:
                # One second back: a change in the same second as the last one is not lost.
                await service.set_cursor(uow, name=name, at=newest - timedelta(seconds=1))

    async def sync_appointments(self, rules: HisBookingRules) -> SyncReport:
        """Apply every Appointment the HIS changed since the last run; log disagreements."""
        report = SyncReport()
        newest = None
        async for resource in self._client.search(
            "Appointment", await self._since(APPOINTMENT_CURSOR)
        ):
            await self._appointment(resource, rules, report)
            newest = _last_updated(resource, newest)
        await self._advance(APPOINTMENT_CURSOR, newest)
        log.info(
            "fhir.appointments_synced",
            appointments=report.appointments,
            conflicts=report.conflicts,
            refused=report.refused,
        )
        return report

    async def _appointment(
        self, resource: Resource, rules: HisBookingRules, report: SyncReport
    ) -> None:
        his_id = str(resource.get("id", ""))
        async with self._uow() as uow:
            known = await service.booking_by_his_id(uow, his_id=his_id) if his_id else None
        if known is None:
            if resource.get("status") not in BOOKABLE:
                await self._log(resource, Outcome.ACCEPTED)  # nothing of it lives in Careline
            elif await self.import_appointment(resource, rules) is None:
                report.refused += 1
            else:
                report.appointments += 1
            return
        try:
            conflict = await self._reconcile(resource, known, rules)
        except (CarelineError, FhirClientError, InvalidResource) as exc:
            conflict = exc.message if isinstance(exc, CarelineError) else str(exc)[:200]
        if conflict:
            report.conflicts += 1
            await self._log(resource, Outcome.CONFLICT, conflict)
            return
        report.appointments += 1
        await self._log(resource, Outcome.ACCEPTED)

    async def _reconcile(self, resource: Resource, booking_id: int, rules: HisBookingRules) -> str:
        """Bring a linked booking in line: cancel it, or return why it cannot be matched."""
        fields = appointment_from_fhir(resource)
        async with self._uow() as uow:
            booking = await scheduling.get_booking(uow, booking_id=booking_id)
            session = await scheduling.get_session(uow, session_id=booking.session_id)
            if fields.status in CANCELLED:
                if booking.status is BookingStatus.BOOKED:
                    await scheduling.cancel_booking(
                        uow, booking_id=booking_id, clock=rules.clock, policy=rules.cancel_policy
                    )
                return ""
        if fields.status not in BOOKABLE:
            return ""  # fulfilled / noshow: Careline's clinic records the visit itself
        if booking.status is not BookingStatus.BOOKED:
            return "Careline's booking is closed while the HIS still has the appointment."
        start = fields.start
        if start is not None and not booking.period_starts_at <= start < booking.period_ends_at:
            return "The HIS has the appointment at another time than Careline's booking."
        if fields.practitioner_id:
            practitioner = await self._client.read("Practitioner", fields.practitioner_id)
            async with self._uow() as uow:
                doctor = await directory.get_doctor(
                    uow, doctor_id=session.doctor_id, include_inactive=True
                )
            if doctor_number_of(practitioner) != doctor.doctor_number:
                return "The HIS has the appointment with another doctor than Careline's booking."
        return ""

    async def _patient(self, resource: Resource, report: SyncReport) -> None:
        try:
            fields, identifiers = patient_from_fhir(resource)
            identifiers.append(HisIdentifier(IdentifierSystem.FHIR_ID, str(resource.get("id"))))
            async with self._uow() as uow:
                await upsert_patient(
                    uow,
                    fields=fields,
                    identifiers=identifiers,
                    source=f"fhir Patient/{resource.get('id')}",
                    clock=self._clock,
                )
        except (CarelineError, InvalidResource) as exc:
            report.refused += 1
            message = exc.message if isinstance(exc, CarelineError) else "Invalid FHIR Patient."
            await self._log(resource, Outcome.ERROR, message)
            return
        report.patients += 1
        await self._log(resource, Outcome.ACCEPTED)

    async def import_appointment(self, resource: Resource, rules: HisBookingRules) -> int | None:
        """Book the place a HIS Appointment took; return the booking, or None when refused."""
        try:
            fields = appointment_from_fhir(resource)
            if fields.status not in BOOKABLE or fields.start is None:
                return None
            booking_id = await self._book(resource, fields, rules)
        except (CarelineError, FhirClientError, InvalidResource) as exc:
            message = exc.message if isinstance(exc, CarelineError) else str(exc)[:200]
            await self._log(resource, Outcome.ERROR, message)
            return None
        await self._log(resource, Outcome.ACCEPTED)
        return booking_id

    async def import_slot(self, resource: Resource, rules: HisBookingRules) -> SlotMatch | None:
        """Apply a HIS Slot to the places of its Careline period and log it."""
        return await import_slot(self._uow, self._client, resource, rules=rules, clock=self._clock)

    async def _book(
        self, resource: Resource, fields: AppointmentFields, rules: HisBookingRules
    ) -> int:
        his_id = str(resource.get("id", ""))
        async with self._uow() as uow:
            known = await service.booking_by_his_id(uow, his_id=his_id) if his_id else None
            if known is not None:
                return known
            patient_id = await service.find_patient(
                uow,
                identifiers=[HisIdentifier(IdentifierSystem.FHIR_ID, fields.patient_id or "")],
            )
        if patient_id is None:
            raise UnknownHisPatient()
        practitioner = await self._client.read("Practitioner", fields.practitioner_id or "-")
        number = doctor_number_of(practitioner) or ""
        assert fields.start is not None
        async with self._uow() as uow:
            try:
                doctor = await directory.doctor_by_number(uow, doctor_number=number)
            except DirectoryNotFound as exc:
                raise NoClinicAtThisTime() from exc
            request = await booking_request(
                uow,
                patient_id=patient_id,
                doctor_id=doctor.id,
                start=fields.start,
                key=f"his:{his_id}",
                rules=rules,
            )
            booking = await scheduling.book_appointment(
                uow, request=request, clock=rules.clock, policy=rules.policy
            )
            if his_id:
                await service.link_booking(uow, booking_id=booking.id, his_id=his_id)
        return booking.id


BOOKABLE = ("booked", "pending", "arrived", "checked-in")
CANCELLED = ("cancelled", "entered-in-error")


def _doctor_fields(doctor: Doctor) -> dict[str, Any]:
    return {name: getattr(doctor, name) for name in Doctor.__dataclass_fields__}
