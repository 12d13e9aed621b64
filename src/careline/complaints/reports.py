"""Ticket counts by department, category, kind and day; CSV and SVG bar charts."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from markupsafe import Markup, escape

from careline.complaints.repository import ComplaintRepository
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock

MAX_REPORT_DAYS = 366


@dataclass(frozen=True, slots=True)
class TicketReport:
    """Counts of tickets received from ``first_day`` to ``last_day`` (hospital days)."""

    first_day: date
    last_day: date
    rows: list[tuple[int | None, str, str, str, int]]
    by_day: dict[date, int]

    @property
    def total(self) -> int:
        return sum(row[4] for row in self.rows)

    def by(self, index: int) -> dict[str, int]:
        """Sum counts by one key: 0 department, 1 category, 2 kind, 3 status."""
        counts: Counter[str] = Counter()
        for row in self.rows:
            key = row[index]
            counts["" if key is None else str(key)] += row[4]
        return dict(counts.most_common())


async def ticket_report(
    uow: UnitOfWork, *, first_day: date, last_day: date, clock: Clock
) -> TicketReport:
    """Count the tickets received in a range of hospital days."""
    if last_day < first_day:
        first_day, last_day = last_day, first_day
    last_day = min(last_day, first_day + timedelta(days=MAX_REPORT_DAYS - 1))
    start = datetime.combine(first_day, time(0), tzinfo=clock.zone)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=clock.zone)
    repo = ComplaintRepository(uow.connection)
    rows = await repo.counts(start=start, end=end)
    days: Counter[date] = Counter(
        moment.astimezone(clock.zone).date()
        for moment in await repo.received_times(start=start, end=end)
    )
    return TicketReport(first_day, last_day, rows, dict(sorted(days.items())))


def report_csv(report: TicketReport, department_names: Mapping[int, str]) -> str:
    """Return the report as CSV: one line per department, category, kind and status."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["department", "category", "kind", "status", "tickets"])
    for department, category, kind, status, count in sorted(
        report.rows, key=lambda row: (row[0] or 0, row[1], row[2], row[3])
    ):
        name = department_names.get(department, "") if department else "complaint office"
        writer.writerow([name, category, kind, status, count])
    return out.getvalue()


def svg_bars(counts: Mapping[str, int], *, width: int = 480, bar_height: int = 22) -> Markup:
    """Draw horizontal bars with labels; an accessible server-rendered chart."""
    if not counts:
        return Markup("")
    label_width, gap = 160, 6
    top = max(counts.values()) or 1
    height = len(counts) * (bar_height + gap)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bars" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
    ]
    for index, (label, count) in enumerate(counts.items()):
        y = index * (bar_height + gap)
        bar = max(1, int((width - label_width - 50) * count / top))
        parts.append(
            f'<text x="0" y="{y + bar_height - 6}" font-size="13">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{bar}" height="{bar_height}" '
            f'fill="#3b6ea5"><title>{escape(label)}: {count}</title></rect>'
            f'<text x="{label_width + bar + 4}" y="{y + bar_height - 6}" '
            f'font-size="13">{count}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
