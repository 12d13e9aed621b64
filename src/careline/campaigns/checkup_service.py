"""Use cases for stored check-up due dates: set one, import a CSV, list, remove."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from careline.campaigns.checkup_repository import CheckupRepository
from careline.campaigns.checkups import Checkup, LineError, parse_checkups_csv
from careline.campaigns.model import CampaignNotFound, InvalidCampaign
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CheckupImport:
    """What an import stored (nothing when any line was wrong) and the numbered errors."""

    stored: int
    errors: tuple[LineError, ...]


async def set_checkup(
    uow: UnitOfWork, *, checkup: Checkup, staff_id: int | None, clock: Clock
) -> Checkup:
    """Store (or move) one patient's check-up due date."""
    checkup.validate()
    repo = CheckupRepository(uow.connection)
    if not await repo.existing_patients([checkup.patient_id]):
        raise InvalidCampaign("There is no patient with this id.", field="patient_id")
    await repo.put(checkup, staff_id=staff_id, now=clock.now())
    await uow.commit()
    return checkup


async def import_checkups(
    uow: UnitOfWork, *, text: str, staff_id: int | None, clock: Clock
) -> CheckupImport:
    """Store every line of a CSV, or nothing when a line is wrong (errors by line number)."""
    lines, errors = parse_checkups_csv(text)
    repo = CheckupRepository(uow.connection)
    known = await repo.existing_patients(item.patient_id for _, item in lines)
    errors += [
        LineError(number, "There is no patient with this id.")
        for number, item in lines
        if item.patient_id not in known
    ]
    if errors:
        return CheckupImport(0, tuple(sorted(errors, key=lambda error: error.line)))
    if not lines:
        return CheckupImport(0, (LineError(1, "The file has no check-up lines."),))
    now = clock.now()
    for _, item in lines:
        await repo.put(item, staff_id=staff_id, now=now)
    await uow.commit()
    log.info("campaign_checkups_imported", count=len(lines))
    return CheckupImport(len(lines), ())


async def list_checkups(uow: UnitOfWork, *, limit: int = 200) -> list[Checkup]:
    """Stored check-ups, the earliest due first."""
    return await CheckupRepository(uow.connection).upcoming(limit=limit)


async def remove_checkup(uow: UnitOfWork, *, patient_id: int, kind: str) -> None:
    """Delete one patient's check-up of ``kind``."""
    if not await CheckupRepository(uow.connection).remove(patient_id, kind):
        raise CampaignNotFound("There is no such check-up.")
    await uow.commit()
