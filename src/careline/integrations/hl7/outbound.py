"""The MLLP sender: SIU S12/S15 to the HIS when Careline books or cancels.

Bookings are found by walking their change times (``service.collect_booking_changes``),
so the booking code needs no hook. Each push keeps one control id (``CL<push id>``) across
retries, so the HIS can recognise a resent message. AE and network failures are retried
with doubling delays; AR (the HIS refuses the message itself) is given up at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

import structlog

from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.integrations import service
from careline.integrations.hl7.messages import (
    Hl7Problem,
    ack_code_of,
    escape,
    format_ts,
    msh,
)
from careline.integrations.hl7.mllp import exchange
from careline.integrations.model import (
    Direction,
    ExchangeEntry,
    HisIdentifier,
    IdentifierSystem,
    Outcome,
    Protocol,
    Push,
    PushEvent,
    PushTarget,
    RetryPolicy,
)
from careline.kit.clock import Clock
from careline.patients import service as patients
from careline.patients.model import Patient
from careline.scheduling import service as scheduling

log = structlog.get_logger(__name__)

ID_TYPE_CODES = {
    IdentifierSystem.MRN: "^^^HIS^MR",
    IdentifierSystem.ID_CARD: "^^^CHN^NNCHN",
    IdentifierSystem.INSURANCE: "^^^^SN",
}
SEX_CODES = {"male": "M", "female": "F"}


@dataclass(frozen=True, slots=True)
class SenderConfig:
    host: str
    port: int
    application: str = "CARELINE"
    facility: str = ""
    receiving_application: str = "HIS"
    receiving_facility: str = ""
    timeout: float = 10.0
    encoding: str = "utf-8"
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def segment(name: str, fields: dict[int, str]) -> str:
    """Return a segment with the given (already escaped) fields at their positions."""
    values = [""] * max(fields)
    for position, value in fields.items():
        values[position - 1] = value
    return "|".join([name, *values])


def pid_segment(patient: Patient, identifiers: list[HisIdentifier]) -> str:
    """Return PID with Careline's number, the HIS identifiers, name, birth date and sex."""
    ids = [f"{patient.id}^^^CARELINE^PI"]
    ids += [
        escape(i.value) + ID_TYPE_CODES[i.system] for i in identifiers if i.system in ID_TYPE_CODES
    ]
    born = f"{patient.birth_date:%Y%m%d}" if patient.birth_date else ""
    sex = SEX_CODES.get(patient.gender.value, "U")
    # The whole name goes in the family name: Careline does not split Chinese names.
    return f"PID|1||{'~'.join(ids)}||{escape(patient.name)}||{born}|{sex}"


async def build_siu(
    uow: UnitOfWork, *, push: Push, config: SenderConfig, now: datetime, zone: tzinfo
) -> tuple[str, str]:
    """Return (control id, SIU text) for one push."""
    booking = await scheduling.get_booking(uow, booking_id=push.booking_id)
    session = await scheduling.get_session(uow, session_id=booking.session_id)
    doctor = await directory.get_doctor(uow, doctor_id=session.doctor_id, include_inactive=True)
    department = await directory.get_department(uow, department_id=booking.department_id)
    patient = (await patients.list_patients(uow, patient_ids=[booking.patient_id]))[0]
    identifiers = await service.identifiers_of(uow, patient_id=patient.id)
    his_id = await service.his_id_of(uow, booking_id=booking.id) or ""
    booked = push.event is PushEvent.BOOKED
    control_id = f"CL{push.id}"
    start, end = format_ts(booking.period_starts_at, zone), format_ts(booking.period_ends_at, zone)
    minutes = int((booking.period_ends_at - booking.period_starts_at).total_seconds() // 60)
    place = escape(department.name_zh)
    segments = [
        msh(
            application=config.application,
            facility=config.facility,
            receiver=(config.receiving_application, config.receiving_facility),
            kind="SIU^S12^SIU_S12" if booked else "SIU^S15^SIU_S12",
            control_id=control_id,
            now=now,
            zone=zone,
        ),
        segment(
            "SCH",
            {
                1: f"{booking.id}^CARELINE",
                2: f"{escape(his_id)}^HIS" if his_id else "",
                6: "" if booked else "CANCELLED",
                9: str(minutes),
                10: "min",
                11: f"^^{minutes}^{start}^{end}",
                25: "Booked" if booked else "Cancelled",
            },
        ),
        f"NTE|1||Queue number {booking.queue_number}",
        pid_segment(patient, identifiers),
        "RGS|1|A",
        f"AIS|1|A|{department.id}^{place}|{start}|||{minutes}|min",
        f"AIP|1|A|{escape(doctor.doctor_number)}^{escape(doctor.name)}|ATND|||{start}",
        f"AIL|1|A|^^^{place}",
    ]
    return control_id, "\r".join(segments) + "\r"


class Hl7Sender:
    """Push Careline's bookings and cancellations to the HIS over MLLP."""

    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], clock: Clock, config: SenderConfig
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._config = config

    async def run_once(self) -> int:
        """Queue new booking changes and send the due pushes; return how many were sent."""
        async with self._uow() as uow:
            await service.collect_booking_changes(uow, targets=[PushTarget.HL7], clock=self._clock)
        async with self._uow() as uow:
            pushes = await service.claim_pushes(uow, target=PushTarget.HL7, clock=self._clock)
        sent = 0
        for push in pushes:
            sent += await self._send(push)
        return sent

    async def run(self, interval: float) -> None:
        """Send until cancelled, every ``interval`` seconds."""
        while True:
            try:
                await self.run_once()
            except Exception:  # noqa: BLE001 - the sender must outlive one bad round
                log.exception("hl7.sender_round_failed")
            await asyncio.sleep(interval)

    async def _send(self, push: Push) -> bool:
        async with self._uow() as uow:
            control_id, text = await build_siu(
                uow, push=push, config=self._config, now=self._clock.now(), zone=self._clock.zone
            )
        kind = "SIU^S12" if push.event is PushEvent.BOOKED else "SIU^S15"
        try:
            answer = await exchange(
                self._config.host,
                self._config.port,
                text.encode(self._config.encoding),
                timeout=self._config.timeout,
            )
            code, error = ack_code_of(answer.decode(self._config.encoding, errors="replace"))
        except (OSError, TimeoutError, ConnectionError, Hl7Problem) as exc:
            code, error = "", f"No acknowledgement: {type(exc).__name__}"
        accepted = code in ("AA", "CA")
        async with self._uow() as uow:
            await service.record_exchange(
                uow,
                entry=ExchangeEntry(
                    direction=Direction.OUT,
                    protocol=Protocol.HL7V2,
                    kind=kind,
                    control_id=control_id,
                    outcome=Outcome.SENT if accepted else Outcome.FAILED,
                    error="" if accepted else f"{code} {error}".strip(),
                    payload=text,
                ),
                clock=self._clock,
            )
            if accepted:
                await service.push_done(uow, push=push, clock=self._clock)
                return True
            retry = self._config.retry
            if code in ("AR", "CR"):
                retry = RetryPolicy(max_attempts=0)
            await service.push_failed(
                uow, push=push, error=f"{code} {error}".strip(), clock=self._clock, retry=retry
            )
        return False
