"""Import patients from a CSV file: keep every good row, report every bad one by line.

Idempotent: a row whose resident ID number is already on record, or whose name and a phone
match an active patient, counts as ``existing`` and changes nothing, so re-running a file (or
running it after a crash) creates no duplicates. Each row's inserts belong to the same
transaction, committed every ``batch_size`` rows, so no row is ever half written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import structlog

from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.errors import InvalidInput
from careline.patients.csv_format import CsvFileError, read_records, to_input
from careline.patients.duplicates import same_name
from careline.patients.model import InvalidPatient, PatientDetails
from careline.patients.repository import PatientRepository
from careline.patients.service import today_in_hospital
from careline.patients.validation import validate_patient
from careline.staff.audit import record_access

log = structlog.get_logger(__name__)
_CLOCK = Clock()


class ImportFileRefused(InvalidInput):
    error_id = "patient_import_file_refused"


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    field: str | None
    message: str

    def describe(self) -> str:
        """Render for the command line: 'line 4 (phones.0): This phone number ...'."""
        where = f" ({self.field})" if self.field else ""
        return f"line {self.line}{where}: {self.message}"


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    created: int = 0
    existing: int = 0
    failed: list[RowProblem] = field(default_factory=list)
    # Lines registered although a patient with the same name and birth date exists.
    possible_duplicates: list[int] = field(default_factory=list)

    @property
    def failed_rows(self) -> int:
        return len({problem.line for problem in self.failed})

    def summary(self) -> str:
        """One line for the command line and the logs (counts only, no patient data)."""
        return (
            f"{self.rows} rows: {self.created} created, {self.existing} already on record,"
            f" {self.failed_rows} failed, {len(self.possible_duplicates)} possible duplicates"
        )


async def import_patients(
    uow: UnitOfWork,
    *,
    lines: Iterable[bytes],
    staff_id: int | None,
    source_name: str = "",
    batch_size: int = 500,
    progress: Callable[[ImportReport], None] | None = None,
    clock: Clock = _CLOCK,
) -> ImportReport:
    """Import a CSV given as byte lines (an open binary file will do); return the report."""
    report = ImportReport()
    repo = PatientRepository(uow.connection)
    try:
        for record in read_records(lines):
            if record.problem is None and not record.fields:
                continue
            report.rows += 1
            if record.problem is not None:
                report.failed.append(RowProblem(record.line, None, record.problem))
            else:
                await _import_row(repo, record.line, record.fields, report, clock)
            if report.rows % batch_size == 0:
                await uow.commit()
                if progress is not None:
                    progress(report)
    except CsvFileError as exc:
        raise ImportFileRefused(str(exc)) from exc
    await record_access(
        uow.connection,
        staff_id=staff_id,
        action="import",
        subject="patient",
        subject_id="*",
        context=f"import {source_name[:100]}: {report.created} created, "
        f"{report.existing} existing, {report.failed_rows} failed",
    )
    await uow.commit()
    if progress is not None:
        progress(report)
    log.info(
        "patients_imported",
        created=report.created,
        existing=report.existing,
        failed=report.failed_rows,
    )
    return report


async def _import_row(
    repo: PatientRepository,
    line: int,
    fields: dict[str, str],
    report: ImportReport,
    clock: Clock,
) -> None:
    data, errors = to_input(fields)
    details = None
    if data is not None:
        try:
            details = validate_patient(data, today=today_in_hospital(clock), now=clock.now())
        except InvalidPatient as exc:
            errors = exc.errors
    if details is None:
        report.failed.extend(RowProblem(line, name, msg) for name, msg in errors.items())
        return
    match await _already_on_record(repo, details):
        case True:
            report.existing += 1
            return
        case None:
            message = "Another patient already has this resident ID number."
            report.failed.append(RowProblem(line, "id_number", message))
            return
    if await repo.find_same_name(details.name, birth_date=details.birth_date):
        report.possible_duplicates.append(line)
    await repo.add(details, now=clock.now())
    report.created += 1


async def _already_on_record(repo: PatientRepository, details: PatientDetails) -> bool | None:
    """True: this person is on record; False: new; None: their ID number is someone else's."""
    if details.id_number is not None:
        holder = await repo.get_by_id_number(details.id_number)
        if holder is None:
            return False
        return True if same_name(holder.name, details.name) else None
    numbers = [p.number for p in details.phones]
    if not numbers:
        return False
    matches = await repo.find_same_name(details.name, phones=numbers)
    return any(same_name(details.name, other.name) for other in matches)
