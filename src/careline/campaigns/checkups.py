"""Stored check-up due dates: what staff set or import, and the CSV format (pure).

A hospital often knows when a patient's next check-up is due (a diabetic's HbA1c every three
months, a post-operative review): the ``checkup_due`` audience then uses that date instead
of "N days since the last visit". CSV lines are ``patient_id,kind,due_date`` (ISO date,
``YYYY/MM/DD`` also read); a first line starting with ``patient_id`` is a header.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from careline.campaigns.model import InvalidCampaign

MAX_KIND = 60
MAX_LINES = 50_000


class CheckupSource(StrEnum):
    STAFF = "staff"  # set on the check-ups page
    CSV = "csv"  # imported from a file


@dataclass(frozen=True, slots=True)
class Checkup:
    """One check-up a patient is due for (one row per patient and kind)."""

    patient_id: int
    kind: str
    due_on: date
    source: CheckupSource = CheckupSource.STAFF

    def validate(self) -> None:
        """Refuse an empty or overlong kind and a patient id that cannot exist."""
        if self.patient_id < 1:
            raise InvalidCampaign("The patient id must be a positive number.", field="patient_id")
        if not self.kind.strip() or len(self.kind) > MAX_KIND:
            raise InvalidCampaign("The check-up kind must have 1 to 60 characters.", field="kind")


@dataclass(frozen=True, slots=True)
class LineError:
    """Why one CSV line was refused (``message`` is an English sentence, translated on show)."""

    line: int
    message: str


def parse_due_date(text: str) -> date:
    """Read ``YYYY-MM-DD`` or ``YYYY/MM/DD``."""
    try:
        return date.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        raise InvalidCampaign(
            "The due date must be a date like 2026-12-31.", field="due_on"
        ) from None


def parse_checkups_csv(text: str) -> tuple[list[tuple[int, Checkup]], list[LineError]]:
    """Read every line; return (line, check-up) pairs and the numbered errors (1 = first)."""
    found: list[tuple[int, Checkup]] = []
    errors: list[LineError] = []
    seen: dict[tuple[int, str], int] = {}
    # A byte-order mark (spreadsheets write one) would otherwise stick to the first id.
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    for number, cells in enumerate(rows, start=1):
        if number > MAX_LINES:
            errors.append(LineError(number, "The file has too many lines."))
            break
        if not cells or all(not cell.strip() for cell in cells):
            continue
        if number == 1 and cells[0].strip().lower() == "patient_id":
            continue
        try:
            item = _line(cells)
        except InvalidCampaign as exc:
            errors.append(LineError(number, exc.message))
            continue
        key = (item.patient_id, item.kind)
        if key in seen:
            errors.append(LineError(number, "This check-up is already on an earlier line."))
            continue
        seen[key] = number
        found.append((number, item))
    return found, errors


def _line(cells: list[str]) -> Checkup:
    if len(cells) != 3:
        raise InvalidCampaign("A line needs three values: patient id, kind and due date.")
    raw_id, kind, due = (cell.strip() for cell in cells)
    if not raw_id.isdigit():
        raise InvalidCampaign("The patient id must be a positive number.", field="patient_id")
    item = Checkup(int(raw_id), kind, parse_due_date(due), CheckupSource.CSV)
    item.validate()
    return item
