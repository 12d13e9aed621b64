"""Push Careline's bookings to a HIS's FHIR server when the HIS owns the schedule.

A booking becomes an Appointment created on the HIS (its id is kept as the booking's HIS
appointment number); a cancellation updates that Appointment to ``cancelled``. The
patient is referred to by the HIS's own Patient id when Careline imported the patient from
it, else by identifier (MRN); the doctor by doctor number.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import structlog

from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.integrations import service
from careline.integrations.fhir import face
from careline.integrations.fhir.client import FhirClient, FhirClientError
from careline.integrations.fhir.resources import DOCTOR_NUMBER, SYSTEMS, Resource
from careline.integrations.model import (
    Direction,
    ExchangeEntry,
    IdentifierSystem,
    Outcome,
    Protocol,
    Push,
    PushEvent,
    PushTarget,
    RetryPolicy,
)
from careline.kit.clock import Clock
from careline.scheduling import service as scheduling

log = structlog.get_logger(__name__)


async def appointment_for_his(uow: UnitOfWork, *, booking_id: int) -> Resource:
    """Return the booking as an Appointment whose references the HIS understands."""
    appointment = await face.read_appointment(uow, resource_id=str(booking_id))
    booking = await scheduling.get_booking(uow, booking_id=booking_id)
    session = await scheduling.get_session(uow, session_id=booking.session_id)
    doctor = await directory.get_doctor(uow, doctor_id=session.doctor_id, include_inactive=True)
    ids = {
        i.system: i.value for i in await service.identifiers_of(uow, patient_id=booking.patient_id)
    }
    if IdentifierSystem.FHIR_ID in ids:
        patient: Resource = {"reference": f"Patient/{ids[IdentifierSystem.FHIR_ID]}"}
    elif IdentifierSystem.MRN in ids:
        system = SYSTEMS[IdentifierSystem.MRN][0]
        patient = {"identifier": {"system": system, "value": ids[IdentifierSystem.MRN]}}
    else:
        patient = {"display": f"Careline patient {booking.patient_id}"}
    practitioner = {"identifier": {"system": DOCTOR_NUMBER, "value": doctor.doctor_number}}
    appointment["participant"] = [
        {"actor": patient, "status": "accepted"},
        {"actor": practitioner, "status": "accepted"},
    ]
    appointment.pop("id", None)
    appointment.pop("slot", None)  # Careline's slots are not the HIS's
    return appointment


class FhirPusher:
    """Send booking changes to the HIS's FHIR server, retrying failures."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        client: FhirClient,
        clock: Clock,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._uow = uow_factory
        self._client = client
        self._clock = clock
        self._retry = retry or RetryPolicy()

    async def run_once(self) -> int:
        """Queue new booking changes and push the due ones; return how many succeeded."""
        async with self._uow() as uow:
            await service.collect_booking_changes(uow, targets=[PushTarget.FHIR], clock=self._clock)
        async with self._uow() as uow:
            pushes = await service.claim_pushes(uow, target=PushTarget.FHIR, clock=self._clock)
        done = 0
        for push in pushes:
            done += await self._push(push)
        return done

    async def _push(self, push: Push) -> bool:
        async with self._uow() as uow:
            resource = await appointment_for_his(uow, booking_id=push.booking_id)
            his_id = await service.his_id_of(uow, booking_id=push.booking_id)
        error = ""
        try:
            if his_id is not None:
                stored = await self._client.update({**resource, "id": his_id})
            else:
                stored = await self._client.create(resource)
        except (FhirClientError, OSError) as exc:
            error = str(exc) or type(exc).__name__
            stored = {}
        async with self._uow() as uow:
            await service.record_exchange(
                uow,
                entry=ExchangeEntry(
                    direction=Direction.OUT,
                    protocol=Protocol.FHIR,
                    kind=f"Appointment {push.event.value}",
                    control_id=f"CL{push.id}",
                    outcome=Outcome.FAILED if error else Outcome.SENT,
                    error=error,
                    payload=json.dumps(resource, ensure_ascii=False),
                ),
                clock=self._clock,
            )
            if error:
                await service.push_failed(
                    uow, push=push, error=error, clock=self._clock, retry=self._retry
                )
                return False
            if his_id is None and stored.get("id") and push.event is PushEvent.BOOKED:
                await service.link_booking(
                    uow, booking_id=push.booking_id, his_id=str(stored["id"])
                )
            await service.push_done(uow, push=push, clock=self._clock)
        return True
