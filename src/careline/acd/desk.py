"""The agent desk's use cases: the screen pop (audited) and the actions during a call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from careline.acd import service
from careline.acd.service import CallerHistory
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.staff.audit import record_access

MAX_MATCHES = 3


@dataclass(frozen=True, slots=True)
class ScreenPop:
    """What the agent sees when a call rings: the caller, matching patients, IVR, history."""

    call_id: str
    queue: str
    caller: str
    patients: list[Any] = field(default_factory=list)
    ivr_path: tuple[str, ...] = ()
    language: str = "zh-CN"
    history: CallerHistory = field(default_factory=CallerHistory)


async def build_screen_pop(
    uow: UnitOfWork,
    *,
    staff_id: int,
    call_id: str,
    queue: str,
    caller: str,
    patient_id: int | None,
    ivr_path: tuple[str, ...],
    language: str,
) -> ScreenPop:
    """Find the caller's patient records (each read audited) and their history."""
    from careline.patients import service as patients

    found: list[Any] = []
    if patient_id is not None:
        found.extend(await patients.list_patients(uow, patient_ids=[patient_id]))
    if caller and any(ch.isdigit() for ch in caller):
        page = await patients.search_patients(uow, query=caller[:32], limit=MAX_MATCHES)
        found.extend(p for p in page.items if all(p.id != q.id for q in found))
    found = found[:MAX_MATCHES]
    for patient in found:
        await record_access(
            uow.connection,
            staff_id=staff_id,
            action="read",
            subject="patient",
            subject_id=patient.id,
            context=f"screen pop /desk/ws call {call_id[:60]}",
        )
    history = await service.caller_history(uow, caller=caller, patient_ids=[p.id for p in found])
    await uow.commit()
    return ScreenPop(call_id, queue, caller, found, ivr_path, language, history)


async def register_caller(
    uow: UnitOfWork, *, staff_id: int, name: str, phone: str, gender: str, clock: Clock
) -> Any:
    """Register a new patient from the desk with the caller's number."""
    from careline.patients import service as patients
    from careline.patients.validation import PatientInput

    data = PatientInput(name=name, gender=gender, phones=[(phone, "mobile")])
    return await patients.register_patient(
        uow,
        data=data,
        staff_id=staff_id,
        confirmed_new=True,
        context="POST /desk/patients",
        clock=clock,
    )


async def open_desk_ticket(
    uow: UnitOfWork,
    *,
    staff_id: int,
    subject: str,
    body: str,
    patient_id: int | None,
    phone: str,
    clock: Clock,
) -> Any:
    """Open a complaint ticket for the caller, first contact by this agent."""
    from careline.complaints import service as complaints
    from careline.complaints.model import TicketDraft, TicketKind, TicketSource

    draft = TicketDraft(
        kind=TicketKind.COMPLAINT,
        source=TicketSource.DESK,
        subject=subject,
        body=body,
        patient_id=patient_id,
        contact_phone=phone or None,
        first_contact_staff_id=staff_id,
    )
    return await complaints.open_ticket(uow, draft=draft, clock=clock)


async def send_desk_sms(uow: UnitOfWork, *, to: str, text: str, clock: Clock) -> Any:
    """Queue an SMS to the caller through the channels context."""
    from careline.channels import service as channels

    return await channels.queue_sms(uow, to=to, text=text, clock=clock)
