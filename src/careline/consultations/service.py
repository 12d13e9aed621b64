"""Use cases of direct consultations: the doctor's terms and hours, availability, records.

The private numbers leave this module only through ``numbers_to_dial`` (for the dialler);
everything shown on a page or an API answer goes through ``masked_numbers``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import structlog

from careline.consultations.model import (
    Availability,
    Consultation,
    ConsultationNotFound,
    ConsultSettings,
    InvalidWindow,
    Outcome,
    Window,
    WindowException,
    charge_for,
    check_numbers,
    is_open,
    masked,
    next_open,
)
from careline.consultations.repository import ConsultationRepository
from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.kit.clock import Clock
from careline.membership import service as membership
from careline.membership.model import EntryKind, MembershipError

log = structlog.get_logger(__name__)
# A record still "ringing" or "connected" this long after it started was left by a crash.
STALE_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ConsultOffer:
    """Whether the doctor can be put through now, and when next if not."""

    availability: Availability
    settings: ConsultSettings
    next_open_at: str = ""  # ISO local time of the next window, when outside hours


def _repo(uow: UnitOfWork) -> ConsultationRepository:
    return ConsultationRepository(uow.connection)


async def get_settings(uow: UnitOfWork, *, doctor_id: int) -> ConsultSettings:
    """The doctor's terms; consultations are off until the doctor turns them on."""
    return await _repo(uow).settings(doctor_id) or ConsultSettings(doctor_id)


async def update_settings(uow: UnitOfWork, *, settings: ConsultSettings, clock: Clock) -> None:
    """Save whether the doctor takes calls, the longest call and the fee."""
    await directory.get_doctor(uow, doctor_id=settings.doctor_id, include_inactive=True)
    await _repo(uow).save_settings(settings, clock.now())
    await uow.commit()


async def set_windows(uow: UnitOfWork, *, doctor_id: int, windows: list[Window]) -> None:
    """Replace the doctor's weekly template of consultation windows."""
    await _repo(uow).replace_windows(doctor_id, windows)
    await uow.commit()


async def get_windows(uow: UnitOfWork, *, doctor_id: int) -> list[Window]:
    """The doctor's weekly windows, by weekday and start."""
    return await _repo(uow).windows(doctor_id)


async def add_exception(uow: UnitOfWork, *, doctor_id: int, exception: WindowException) -> None:
    """Close a day (or part of one) or open an extra window on one date."""
    await _repo(uow).add_exception(doctor_id, exception)
    await uow.commit()


async def remove_exceptions(uow: UnitOfWork, *, doctor_id: int, day: str) -> None:
    """Remove the exceptions of one date (given as 2026-12-01)."""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise InvalidWindow("Give the date as 2026-12-01.", field="day") from None
    await _repo(uow).remove_exceptions(doctor_id, when)
    await uow.commit()


async def list_exceptions(
    uow: UnitOfWork, *, doctor_id: int, clock: Clock
) -> list[WindowException]:
    """Exceptions from today on."""
    return await _repo(uow).exceptions(doctor_id, clock.today())


async def set_private_numbers(uow: UnitOfWork, *, doctor_id: int, numbers: list[str]) -> None:
    """Replace the doctor's private numbers, dialled in this order."""
    await _repo(uow).replace_numbers(doctor_id, check_numbers(numbers))
    await uow.commit()
    log.info("consult_numbers_set", doctor_id=doctor_id, count=len(numbers))


async def masked_numbers(uow: UnitOfWork, *, doctor_id: int) -> list[str]:
    """The private numbers as staff pages show them: all but the last two digits hidden."""
    return [masked(number) for number in await _repo(uow).numbers(doctor_id)]


async def numbers_to_dial(uow: UnitOfWork, *, doctor_id: int) -> list[str]:
    """The private numbers in order, for the dialler only (never to a page, log or answer)."""
    return await _repo(uow).numbers(doctor_id)


async def offering_doctors(uow: UnitOfWork) -> list[int]:
    """Ids of the doctors who take phone consultations at all (in hours or not)."""
    return await _repo(uow).offering_doctor_ids()


async def check_availability(
    uow: UnitOfWork, *, doctor_id: int, clock: Clock, ring_seconds: float = 30.0
) -> ConsultOffer:
    """Tell whether the doctor takes a consultation now: in a window and not on a call."""
    repo = _repo(uow)
    settings = await get_settings(uow, doctor_id=doctor_id)
    if not settings.enabled or not await repo.numbers(doctor_id):
        return ConsultOffer(Availability.NOT_OFFERED, settings)
    local = clock.now().astimezone(clock.zone)
    windows = await repo.windows(doctor_id)
    exceptions = await repo.exceptions(doctor_id, local.date())
    if not is_open(local, windows, exceptions):
        upcoming = next_open(local, windows, exceptions)
        return ConsultOffer(
            Availability.OUTSIDE_HOURS, settings, upcoming.isoformat() if upcoming else ""
        )
    longest = timedelta(seconds=settings.max_call_seconds + ring_seconds * 5) + STALE_MARGIN
    if await repo.in_progress_since(doctor_id, clock.now() - longest):
        return ConsultOffer(Availability.BUSY, settings)
    return ConsultOffer(Availability.AVAILABLE, settings)


async def start_consultation(
    uow: UnitOfWork,
    *,
    doctor_id: int,
    call_id: str,
    clock: Clock,
    patient_id: int | None = None,
    member_card_id: int | None = None,
) -> int:
    """Open the record of a consultation attempt (the doctor counts as busy from now)."""
    record = Consultation(
        doctor_id=doctor_id,
        started_at=clock.now(),
        patient_id=patient_id,
        member_card_id=member_card_id,
        call_id=call_id,
    )
    consultation_id = await _repo(uow).add(record)
    await uow.commit()
    return consultation_id


async def mark_connected(uow: UnitOfWork, *, consultation_id: int, clock: Clock) -> None:
    """The doctor pressed 1: the two sides are talking."""
    await _repo(uow).update(
        consultation_id, outcome=Outcome.CONNECTED.value, connected_at=clock.now()
    )
    await uow.commit()


async def finish_consultation(
    uow: UnitOfWork,
    *,
    consultation_id: int,
    outcome: Outcome,
    seconds: int,
    clock: Clock,
    recording_path: str | None = None,
) -> Consultation:
    """Close the record; charge the member card for a completed call when a fee is set."""
    repo = _repo(uow)
    record = await repo.get(consultation_id)
    if record is None:
        raise ConsultationNotFound("No consultation has this id.", field="consultation_id")
    settings = await get_settings(uow, doctor_id=record.doctor_id)
    charge = charge_for(settings, seconds) if outcome is Outcome.COMPLETED else 0
    if charge and record.member_card_id is not None:
        charge = await _charge(uow, record, charge, clock)
    elif charge:
        charge = 0  # no card was given: nothing can be charged
    values = {"outcome": outcome.value, "seconds": seconds, "charge_fen": charge}
    await repo.update(consultation_id, recording_path=recording_path, **values)
    await uow.commit()
    return replace(
        record, outcome=outcome, seconds=seconds, charge_fen=charge, recording_path=recording_path
    )


async def _charge(uow: UnitOfWork, record: Consultation, amount: int, clock: Clock) -> int:
    assert record.member_card_id is not None
    try:
        await membership.post_entry(
            uow,
            card_id=record.member_card_id,
            kind=EntryKind.CHARGE,
            amount=amount,
            key=f"consultation-{record.id}",
            reason="Phone consultation",
            clock=clock,
            commit=False,
        )
    except MembershipError as error:
        # post_entry refuses before it writes (inactive card, balance too low): nothing to undo.
        log.warning("consult_charge_failed", consultation_id=record.id, error=error.error_id)
        return 0
    return amount


async def list_consultations(uow: UnitOfWork, *, doctor_id: int) -> list[Consultation]:
    """The doctor's latest consultations, newest first."""
    return await _repo(uow).for_doctor(doctor_id)


async def latest_consultations(uow: UnitOfWork) -> list[Consultation]:
    """The latest consultations of all doctors, newest first (for supervisors)."""
    return await _repo(uow).latest()


async def get_consultation(
    uow: UnitOfWork, *, consultation_id: int, doctor_id: int | None = None
) -> Consultation:
    """One consultation record; with ``doctor_id`` only if it is that doctor's."""
    record = await _repo(uow).get(consultation_id)
    if record is None or (doctor_id is not None and record.doctor_id != doctor_id):
        raise ConsultationNotFound("No consultation has this id.", field="consultation_id")
    return record


def recording_file(record: Consultation, *, data_dir: Path) -> Path:
    """The consultation's recording on disk; only a file inside the data dir counts."""
    root = data_dir.resolve()
    if record.recording_path:
        path = (root / record.recording_path).resolve()
        if path.is_relative_to(root) and path.is_file():
            return path
    raise ConsultationNotFound("This consultation has no recording.", field="consultation_id")


async def purge_expired(
    uow: UnitOfWork, *, clock: Clock, retention_days: int, data_dir: Path
) -> int:
    """Delete consultation records and recordings past the retention period."""
    repo = _repo(uow)
    expired = await repo.started_before(clock.now() - timedelta(days=retention_days))
    for record in expired:
        if record.recording_path:
            path = (data_dir / record.recording_path).resolve()
            if data_dir.resolve() in path.parents:
                path.unlink(missing_ok=True)
    await repo.delete([r.id for r in expired])
    await uow.commit()
    return len(expired)
