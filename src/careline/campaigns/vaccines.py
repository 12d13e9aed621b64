"""Children's vaccination due dates from a schedule of doses by age (pure).

The default is China's national immunization programme timetable for children
(国家免疫规划疫苗儿童免疫程序, 2021 edition): each dose is due at an age in months. A
hospital may replace it with its own list (same shape) through the campaign's audience rule.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class VaccineDose:
    """One dose of a vaccine, due when the child is ``age_months`` old."""

    vaccine: str
    dose: int
    age_months: int
    name_zh: str = ""


NATIONAL_SCHEDULE: tuple[VaccineDose, ...] = (
    VaccineDose("HepB", 1, 0, "乙肝疫苗"),
    VaccineDose("BCG", 1, 0, "卡介苗"),
    VaccineDose("HepB", 2, 1, "乙肝疫苗"),
    VaccineDose("IPV", 1, 2, "脊灰灭活疫苗"),
    VaccineDose("IPV", 2, 3, "脊灰灭活疫苗"),
    VaccineDose("DTaP", 1, 3, "百白破疫苗"),
    VaccineDose("bOPV", 3, 4, "脊灰减毒活疫苗"),
    VaccineDose("DTaP", 2, 4, "百白破疫苗"),
    VaccineDose("DTaP", 3, 5, "百白破疫苗"),
    VaccineDose("HepB", 3, 6, "乙肝疫苗"),
    VaccineDose("MPSV-A", 1, 6, "A群流脑多糖疫苗"),
    VaccineDose("MMR", 1, 8, "麻腮风疫苗"),
    VaccineDose("JE-L", 1, 8, "乙脑减毒活疫苗"),
    VaccineDose("MPSV-A", 2, 9, "A群流脑多糖疫苗"),
    VaccineDose("DTaP", 4, 18, "百白破疫苗"),
    VaccineDose("MMR", 2, 18, "麻腮风疫苗"),
    VaccineDose("HepA-L", 1, 18, "甲肝减毒活疫苗"),
    VaccineDose("JE-L", 2, 24, "乙脑减毒活疫苗"),
    VaccineDose("MPSV-AC", 1, 36, "A群C群流脑多糖疫苗"),
    VaccineDose("bOPV", 4, 48, "脊灰减毒活疫苗"),
    VaccineDose("DT", 1, 72, "白破疫苗"),
    VaccineDose("MPSV-AC", 2, 72, "A群C群流脑多糖疫苗"),
)


def add_months(day: date, months: int) -> date:
    """Add calendar months; the 31st becomes the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(birth_date: date, dose: VaccineDose) -> date:
    """The day a dose falls due for a child born on ``birth_date``."""
    return add_months(birth_date, dose.age_months)


def doses_due_on(
    birth_date: date, day: date, schedule: Sequence[VaccineDose] = NATIONAL_SCHEDULE
) -> list[VaccineDose]:
    """Return the doses that fall due on ``day`` (a reminder sent some days ahead asks this)."""
    return [dose for dose in schedule if due_date(birth_date, dose) == day]


def parse_schedule(lines: str) -> tuple[VaccineDose, ...]:
    """Read a schedule written one dose a line: ``vaccine,dose,age_months[,name_zh]``."""
    doses: list[VaccineDose] = []
    for raw in lines.splitlines():
        parts = [part.strip() for part in raw.split(",")]
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if len(parts) < 3 or not parts[1].isdigit() or not parts[2].isdigit():
            raise ValueError("Each schedule line is vaccine,dose,age in months.")
        name_zh = parts[3] if len(parts) > 3 else ""
        doses.append(VaccineDose(parts[0], int(parts[1]), int(parts[2]), name_zh))
    return tuple(doses)
