"""Use cases of the integrations context: identifiers, the exchange log, pushes, tokens."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import structlog

from careline.db.uow import UnitOfWork
from careline.integrations.model import (
    ExchangeEntry,
    HisIdentifier,
    IdentifierConflict,
    IdentifierConflictError,
    InvalidClientToken,
    Push,
    PushStatus,
    PushTarget,
    RetryPolicy,
    clip,
    token_digest,
)
from careline.integrations.repository import IntegrationRepository
from careline.kit.clock import Clock

log = structlog.get_logger(__name__)

BOOKING_CURSOR = "bookings"
# A booking committed a little before a later one may carry an earlier change time; walking
# back this far each time catches it (pushes are unique per booking and event).
CURSOR_OVERLAP = timedelta(minutes=5)


def _repo(uow: UnitOfWork) -> IntegrationRepository:
    return IntegrationRepository(uow.connection)


async def find_patient(uow: UnitOfWork, *, identifiers: Iterable[HisIdentifier]) -> int | None:
    """Return the one patient these HIS identifiers point at; None when none is known.

    Identifiers pointing at two different patients raise IdentifierConflictError: which one
    is meant is for staff to decide.
    """
    repo = _repo(uow)
    found: set[int] = set()
    for identifier in identifiers:
        holder = await repo.patient_by_identifier(identifier.system, identifier.value)
        if holder is not None:
            found.add(holder)
    if len(found) > 1:
        raise IdentifierConflictError()
    return found.pop() if found else None


async def link_identifiers(
    uow: UnitOfWork,
    *,
    patient_id: int,
    identifiers: Iterable[HisIdentifier],
    source: str,
    clock: Clock,
) -> list[HisIdentifier]:
    """Record HIS identifiers for a patient; those held by another patient become conflicts.

    Returns the conflicting identifiers (recorded, committed, never merged).
    """
    repo = _repo(uow)
    now = clock.now()
    conflicts = []
    for identifier in identifiers:
        holder = await repo.patient_by_identifier(identifier.system, identifier.value)
        if holder == patient_id:
            continue
        if holder is None:
            await repo.add_identifier(patient_id, identifier, now=now)
            continue
        await repo.add_conflict(
            identifier, held_by=holder, claimed_for=patient_id, source=source, now=now
        )
        conflicts.append(identifier)
    await uow.commit()
    if conflicts:
        log.warning("his.identifier_conflict", patient_id=patient_id, count=len(conflicts))
    return conflicts


async def report_conflict(
    uow: UnitOfWork,
    *,
    identifier: HisIdentifier,
    held_by: int | None,
    claimed_for: int | None,
    source: str,
    clock: Clock,
) -> None:
    """Record that an identifier was claimed for the wrong patient, for staff to resolve."""
    await _repo(uow).add_conflict(
        identifier, held_by=held_by, claimed_for=claimed_for, source=source, now=clock.now()
    )
    await uow.commit()


async def identifiers_of(uow: UnitOfWork, *, patient_id: int) -> list[HisIdentifier]:
    """Return the HIS identifiers recorded for a patient."""
    return await _repo(uow).identifiers_of(patient_id)


async def move_identifiers(
    uow: UnitOfWork, *, from_id: int, to_id: int, source: str, clock: Clock
) -> None:
    """After a merge, give the retired record's identifiers to the survivor."""
    repo = _repo(uow)
    for identifier in await repo.move_identifiers(from_id, to_id):
        await repo.add_conflict(
            identifier, held_by=from_id, claimed_for=to_id, source=source, now=clock.now()
        )
    await uow.commit()


async def open_conflicts(uow: UnitOfWork, *, limit: int = 100) -> list[IdentifierConflict]:
    """Return unresolved identifier conflicts, newest first."""
    return await _repo(uow).open_conflicts(limit=limit)


async def record_exchange(uow: UnitOfWork, *, entry: ExchangeEntry, clock: Clock) -> int:
    """Write one message in or out to the exchange log."""
    entry_id = await _repo(uow).log(entry, now=clock.now())
    await uow.commit()
    log.info(
        "his.exchange",
        direction=entry.direction.value,
        kind=entry.kind,
        control_id=entry.control_id,
        outcome=entry.outcome.value,
    )
    return entry_id


async def exchange_log(
    uow: UnitOfWork, *, limit: int = 50, offset: int = 0, control_id: str | None = None
) -> list[ExchangeEntry]:
    """Return exchange log entries, newest first."""
    return await _repo(uow).log_entries(limit=limit, offset=offset, control_id=control_id)


async def already_processed(uow: UnitOfWork, *, sender: str, control_id: str) -> str | None:
    """Return the acknowledgement given to this message before, or None if it is new."""
    found = await _repo(uow).processed(sender, control_id)
    return found[1] if found else None


async def mark_processed(
    uow: UnitOfWork, *, sender: str, control_id: str, ack_code: str, ack: str, clock: Clock
) -> None:
    """Remember an applied message and its acknowledgement."""
    await _repo(uow).add_processed(sender, control_id, ack_code=ack_code, ack=ack, now=clock.now())
    await uow.commit()


async def collect_booking_changes(
    uow: UnitOfWork, *, targets: Iterable[PushTarget], clock: Clock, limit: int = 500
) -> int:
    """Queue a push per target for every booking made or cancelled since the last walk."""
    repo = _repo(uow)
    since = await repo.cursor(BOOKING_CURSOR)
    start = since - CURSOR_OVERLAP if since else datetime(2000, 1, 1, tzinfo=UTC)
    changes = await repo.booking_changes(start, limit=limit)
    queued = 0
    for booking_id, event, _at in changes:
        for target in targets:
            queued += await repo.enqueue_push(booking_id, event, target, now=clock.now())
    latest = max([at for _b, _e, at in changes] + ([since] if since else []), default=None)
    if latest is not None:
        await repo.set_cursor(BOOKING_CURSOR, latest)
    await uow.commit()
    return queued


async def cursor(uow: UnitOfWork, *, name: str) -> datetime | None:
    """Return where a named walk (a sync by ``_lastUpdated``) got to."""
    return await _repo(uow).cursor(name)


async def set_cursor(uow: UnitOfWork, *, name: str, at: datetime) -> None:
    """Remember where a named walk got to."""
    await _repo(uow).set_cursor(name, at)
    await uow.commit()


async def claim_pushes(
    uow: UnitOfWork, *, target: PushTarget, clock: Clock, lease_seconds: float = 120.0
) -> list[Push]:
    """Take the due pushes for one target."""
    now = clock.now()
    pushes = await _repo(uow).claim_pushes(
        target=target, now=now, lease_until=now + timedelta(seconds=lease_seconds), limit=20
    )
    await uow.commit()
    return pushes


async def push_done(uow: UnitOfWork, *, push: Push, clock: Clock) -> None:
    """Record a push the HIS accepted."""
    await _repo(uow).update_push(
        push.id,
        status=PushStatus.SENT.value,
        attempts=push.attempts + 1,
        sent_at=clock.now(),
        next_attempt_at=None,
        last_error="",
    )
    await uow.commit()


async def push_failed(
    uow: UnitOfWork, *, push: Push, error: str, clock: Clock, retry: RetryPolicy
) -> datetime | None:
    """Record a failed push and schedule the next try; return when, or None if given up."""
    attempts = push.attempts + 1
    due = retry.next_attempt(attempts, clock.now())
    await _repo(uow).update_push(
        push.id,
        attempts=attempts,
        next_attempt_at=due,
        status=(PushStatus.PENDING if due else PushStatus.GIVEN_UP).value,
        last_error=clip(error, 500),
    )
    await uow.commit()
    return due


async def list_pushes(
    uow: UnitOfWork, *, status: PushStatus | None = None, limit: int = 100
) -> list[Push]:
    """Return queued, sent or abandoned pushes."""
    return await _repo(uow).pushes(status=status, limit=limit)


async def link_booking(uow: UnitOfWork, *, booking_id: int, his_id: str) -> None:
    """Remember the HIS's appointment number for a booking."""
    await _repo(uow).link_booking(booking_id, his_id)
    await uow.commit()


async def relink_booking(uow: UnitOfWork, *, his_id: str, booking_id: int) -> None:
    """Point the HIS's appointment number at a new booking (a rescheduled one)."""
    await _repo(uow).relink_booking(his_id, booking_id)
    await uow.commit()


async def booking_by_his_id(uow: UnitOfWork, *, his_id: str) -> int | None:
    """Return the booking the HIS knows under this appointment number."""
    return await _repo(uow).booking_by_his_id(his_id)


async def his_id_of(uow: UnitOfWork, *, booking_id: int) -> str | None:
    """Return the HIS's appointment number for a booking, if it has one."""
    return await _repo(uow).his_id_of(booking_id)


async def create_client_token(uow: UnitOfWork, *, name: str, clock: Clock) -> tuple[int, str]:
    """Create a bearer token for a system client; only its SHA-256 is stored."""
    token = secrets.token_urlsafe(32)
    token_id = await _repo(uow).add_token(name, token_digest(token), now=clock.now())
    await uow.commit()
    log.info("his.client_token_created", token_id=token_id)
    return token_id, token


async def authenticate_client(uow: UnitOfWork, *, token: str) -> str:
    """Return the name of the system client holding this token."""
    found = await _repo(uow).client_by_digest(token_digest(token)) if token else None
    if found is None:
        raise InvalidClientToken()
    return found[1]


async def revoke_client_token(uow: UnitOfWork, *, token_id: int, clock: Clock) -> bool:
    """Revoke a system client's token."""
    done = await _repo(uow).revoke_token(token_id, now=clock.now())
    await uow.commit()
    return done


async def patient_ids(
    uow: UnitOfWork,
    *,
    since: datetime | None = None,
    name_prefix: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[int]:
    """Return active patients' ids changed since a time or named with a prefix."""
    return await _repo(uow).patient_ids(
        since=since, name_prefix=name_prefix, limit=limit, offset=offset
    )


async def booking_ids(
    uow: UnitOfWork,
    *,
    patient_id: int | None = None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[int]:
    """Return booking ids for Appointment searches, newest first."""
    return await _repo(uow).booking_ids(
        patient_id=patient_id, since=since, limit=limit, offset=offset
    )
