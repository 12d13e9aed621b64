"""HTTP face of the membership context: the staff REST API and the cashier page.

Top-ups may be taken by agents, supervisors and admins (Careline has no cashier role;
the desk that takes the money is staffed by agents); adjustments, which can take money
off a card, need a supervisor or an admin. Every entry records the staff member.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.membership import service
from careline.membership.model import EntryKind, MemberCard
from careline.membership.pages import pages as pages
from careline.membership.schemas import (
    AdjustmentCreate,
    CardCreate,
    CardRead,
    EntryRead,
    PinCheck,
    PinReset,
    StatementRead,
    StatusUpdate,
    TopUpCreate,
    card_read,
    entry_read,
    statement_read,
)
from careline.staff.audit import record_access
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, Uow, require_staff

api = APIRouter(prefix="/api/v1/member-cards", tags=["membership"])
CASHIERS = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
ADJUSTERS = (Role.SUPERVISOR, Role.ADMIN)
Cashier = Annotated[StaffMember, Depends(require_staff(*CASHIERS))]
Adjuster = Annotated[StaffMember, Depends(require_staff(*ADJUSTERS))]


async def _card(uow: Uow, staff: StaffMember, number: str, why: str) -> MemberCard:
    card = await service.find_card(uow, card_number=number)
    await record_access(
        uow.connection,
        staff_id=staff.id,
        action="read",
        subject="patient",
        subject_id=card.patient_id,
        context=why,
    )
    return card


@api.post("", status_code=201)
async def issue_card(body: CardCreate, uow: Uow, _staff: Cashier, clock: AppClock) -> CardRead:
    """Issue a new card to a registered patient."""
    card = await service.issue_card(uow, patient_id=body.patient_id, pin=body.pin, clock=clock)
    return card_read(card, 0)


@api.get("/{card_number}")
async def read_card(card_number: str, uow: Uow, staff: Cashier) -> CardRead:
    """Return a card with its balance."""
    card = await _card(uow, staff, card_number, "api: read member card")
    balance = await service.card_balance(uow, card_id=card.id)
    await uow.commit()
    return card_read(card, balance)


@api.post("/{card_number}/pin-check")
async def check_pin(
    card_number: str, body: PinCheck, uow: Uow, _staff: Cashier, clock: AppClock
) -> CardRead:
    """Check a PIN typed by a caller (IVR); five wrong tries lock the card."""
    card = await service.verify_pin(uow, card_number=card_number, pin=body.pin, clock=clock)
    return card_read(card, await service.card_balance(uow, card_id=card.id))


@api.get("/{card_number}/statement")
async def read_statement(
    card_number: str,
    uow: Uow,
    staff: Cashier,
    clock: AppClock,
    first_day: Annotated[date | None, Query(alias="from")] = None,
    last_day: Annotated[date | None, Query(alias="to")] = None,
) -> StatementRead:
    """Return the entries between two days (default: the last 30 days)."""
    card = await _card(uow, staff, card_number, "api: member card statement")
    last = last_day or clock.today()
    first = first_day or last - timedelta(days=30)
    statement = await service.card_statement(
        uow, card_id=card.id, first_day=first, last_day=last, zone=clock.zone
    )
    await uow.commit()
    return statement_read(statement)


@api.post("/{card_number}/top-ups", status_code=201)
async def top_up(
    card_number: str, body: TopUpCreate, uow: Uow, staff: Cashier, clock: AppClock
) -> EntryRead:
    """Add money to a card; the same idempotency key twice adds it once."""
    return await _post(uow, card_number, EntryKind.TOP_UP, body, staff, clock)


@api.post("/{card_number}/adjustments", status_code=201)
async def adjust(
    card_number: str, body: AdjustmentCreate, uow: Uow, staff: Adjuster, clock: AppClock
) -> EntryRead:
    """Correct a balance up or down with a stated reason (supervisors and admins)."""
    return await _post(uow, card_number, EntryKind.ADJUSTMENT, body, staff, clock)


async def _post(
    uow: UnitOfWork,
    card_number: str,
    kind: EntryKind,
    body: TopUpCreate | AdjustmentCreate,
    staff: StaffMember,
    clock: Clock,
) -> EntryRead:
    """Post a staff member's ledger entry to a card."""
    card = await service.find_card(uow, card_number=card_number)
    entry = await service.post_entry(
        uow,
        card_id=card.id,
        kind=kind,
        amount=body.amount,
        key=body.idempotency_key,
        reason=body.reason,
        clock=clock,
        staff_id=staff.id,
    )
    return entry_read(entry)


@api.post("/{card_number}/pin-reset", status_code=204)
async def reset_pin(
    card_number: str, body: PinReset, uow: Uow, _staff: Cashier, clock: AppClock
) -> None:
    """Set a new PIN and lift a lock."""
    card = await service.find_card(uow, card_number=card_number)
    await service.reset_pin(uow, card_id=card.id, new_pin=body.pin, clock=clock)


@api.post("/{card_number}/status")
async def set_status(
    card_number: str, body: StatusUpdate, uow: Uow, _staff: Cashier, clock: AppClock
) -> CardRead:
    """Report a card lost, freeze, reactivate or close it."""
    card = await service.find_card(uow, card_number=card_number)
    card = await service.set_card_status(uow, card_id=card.id, status=body.status, clock=clock)
    return card_read(card, await service.card_balance(uow, card_id=card.id))
