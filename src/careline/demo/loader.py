"""Fill an empty database with the demo hospital (``careline demo``).

Everything goes through the directory's admin use cases, so the demo data obeys the same
rules as data typed by an administrator. The same seed gives the same hospital.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import time as clock_time

import structlog
from pypinyin import lazy_pinyin

from careline.db.uow import UnitOfWork
from careline.demo.drugs import DRUGS, USAGE_NOTES
from careline.demo.hospital import (
    ARTICLES,
    DEPARTMENTS,
    DOCUMENTS,
    EMERGENCY,
    GIVEN_CHARACTERS,
    HOSPITAL,
    INSTRUCTIONS,
    SURNAMES,
)
from careline.demo.people import synthetic_patients
from careline.directory import admin
from careline.directory import service as directory
from careline.directory.model import (
    ClinicType,
    Department,
    DirectoryError,
    Doctor,
    DoctorTitle,
    Drug,
    SessionPeriod,
    WeeklySession,
)
from careline.kit.clock import Clock
from careline.kit.money import parse_yuan
from careline.patients import service as patients_service

log = structlog.get_logger(__name__)

DEFAULT_SEED = 20261125
FIRST_DRUG_CODE = 860001

# title -> (sessions a week, clinic type, fee in fen, capacity)
CLINIC_BY_TITLE = {
    DoctorTitle.CHIEF: (2, ClinicType.EXPERT, 50_00, 20),
    DoctorTitle.ASSOCIATE_CHIEF: (3, ClinicType.EXPERT, 30_00, 25),
    DoctorTitle.ATTENDING: (4, ClinicType.GENERAL, 15_00, 30),
    DoctorTitle.RESIDENT: (5, ClinicType.GENERAL, 10_00, 40),
}
TITLES_PER_DEPARTMENT = (
    DoctorTitle.CHIEF,
    DoctorTitle.ASSOCIATE_CHIEF,
    DoctorTitle.ATTENDING,
    DoctorTitle.RESIDENT,
)
EVENING_DEPARTMENTS = ("内科", "儿科", "口腔科")


class DemoRefused(DirectoryError):
    status_code = 409
    error_id = "demo_database_not_empty"


@dataclass
class DemoSummary:
    """What ``load_demo`` created, with the ids a staff hook needs to link accounts."""

    hospital: str = ""
    departments: int = 0
    doctors: int = 0
    weekly_sessions: int = 0
    drugs: int = 0
    articles: int = 0
    instructions: int = 0
    documents: int = 0
    patients: int = 0
    staff: int = 0
    seconds: float = 0.0
    department_ids: dict[str, int] = field(default_factory=dict)
    doctor_ids: list[int] = field(default_factory=list)


StaffHook = Callable[[UnitOfWork, DemoSummary], Awaitable[int]]


async def is_empty(uow: UnitOfWork) -> bool:
    """Tell whether the database has no hospital profile yet."""
    return await directory.get_hospital(uow) is None


async def load_demo(
    uow: UnitOfWork,
    *,
    patients: int = 1000,
    seed: int = DEFAULT_SEED,
    clock: Clock | None = None,
    staff_hook: StaffHook | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Create the demo hospital, its clinics and pharmacy, and ``patients`` synthetic patients.

    ``staff_hook`` runs after the directory exists (it may link doctor accounts to
    ``summary.doctor_ids``) and returns how many staff accounts it made.
    """
    if patients < 0:
        raise ValueError("patients must be >= 0")
    if not await is_empty(uow):
        raise DemoRefused("The database already has a hospital; demo data needs an empty one.")
    clock = clock or Clock()
    started = time.perf_counter()
    rng = random.Random(seed)
    summary = DemoSummary()
    summary.hospital = (await admin.save_hospital(uow, hospital=HOSPITAL, now=clock.now())).name_zh
    await _load_departments(uow, summary)
    await _load_doctors(uow, rng, summary)
    await _load_pharmacy(uow, summary)
    await _load_texts(uow, summary)
    if staff_hook is not None:
        summary.staff = await staff_hook(uow, summary)
        await uow.commit()
    summary.patients = await patients_service.load_patients(
        uow, patients=synthetic_patients(patients, seed=seed), progress=progress, clock=clock
    )
    summary.seconds = time.perf_counter() - started
    log.info("demo_loaded", patients=summary.patients, seconds=round(summary.seconds, 1))
    return summary


async def _load_departments(uow: UnitOfWork, summary: DemoSummary) -> None:
    for order, (name_zh, name_en, parent, location, _zh, _en) in enumerate(DEPARTMENTS, 1):
        hours = "24 小时 / 24 hours" if name_zh == EMERGENCY else "周一至周六 08:00-17:30"
        department = Department(
            name_zh=name_zh,
            name_en=name_en,
            description_zh=f"{name_zh}诊治范围：{'、'.join(_zh)}。",
            description_en=f"{name_en} sees patients for: {', '.join(_en).lower()}.",
            location=location,
            phone=f"+86 10 5555 {1000 + order}",
            opening_hours=hours,
            parent_id=summary.department_ids.get(parent),
            sort_order=order * 10,
        )
        stored = await admin.create_department(uow, department=department)
        summary.department_ids[name_zh] = stored.id
        summary.departments += 1


def _english_name(name: str) -> str:
    syllables = lazy_pinyin(name)
    return f"{syllables[0].capitalize()} {''.join(syllables[1:]).capitalize()}"


def _doctor_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_CHARACTERS)
        if rng.random() < 0.6:
            name += rng.choice(GIVEN_CHARACTERS)
        if name not in names:
            names.append(name)
    return names


def _template(rng: random.Random, title: DoctorTitle, department: str) -> list[WeeklySession]:
    count, clinic_type, fee, capacity = CLINIC_BY_TITLE[title]
    if department == EMERGENCY:
        return [
            WeeklySession(
                weekday=day,
                period=period,
                capacity=60,
                registration_fee=fee,
                clinic_type=ClinicType.GENERAL,
                runs_on_holidays=True,
            )
            for day in range(7)
            for period in (SessionPeriod.MORNING, SessionPeriod.AFTERNOON)
        ]
    periods = [SessionPeriod.MORNING, SessionPeriod.AFTERNOON]
    if department in EVENING_DEPARTMENTS and title is DoctorTitle.ATTENDING:
        periods.append(SessionPeriod.EVENING)
    slots = [(day, period) for day in range(6) for period in periods]
    chosen = sorted(rng.sample(slots, count), key=lambda s: (s[0], periods.index(s[1])))
    return [
        WeeklySession(
            weekday=day,
            period=period,
            capacity=capacity,
            registration_fee=fee,
            clinic_type=clinic_type,
            # Expert morning clinics start at 08:30 here, to show custom session times.
            start_time=clock_time(8, 30) if clinic_type is ClinicType.EXPERT and day == 0 else None,
        )
        for day, period in chosen
    ]


async def _load_doctors(uow: UnitOfWork, rng: random.Random, summary: DemoSummary) -> None:
    titles_per = len(TITLES_PER_DEPARTMENT) - 1
    names = iter(_doctor_names(rng, len(DEPARTMENTS) * len(TITLES_PER_DEPARTMENT)))
    for index, (name_zh, _en, _parent, _where, specialties, specialties_en) in enumerate(
        DEPARTMENTS, 1
    ):
        # Larger departments get a resident as well; all get chief to attending.
        count = titles_per + (1 if len(specialties) >= 4 else 0)
        for position, title in enumerate(TITLES_PER_DEPARTMENT[:count]):
            name = next(names)
            focus = rng.sample(range(len(specialties)), min(2, len(specialties)))
            years = {0: 28, 1: 18, 2: 10, 3: 4}[position] + rng.randint(0, 6)
            doctor = Doctor(
                department_id=summary.department_ids[name_zh],
                name=name,
                name_en=_english_name(name),
                title=title,
                doctor_number=str(index * 100 + position + 1),
                specialty_zh="、".join(specialties[i] for i in focus),
                specialty_en=", ".join(specialties_en[i] for i in focus),
                introduction_zh=(
                    f"{name}，{title.label('zh-CN')}，从事{name_zh}临床工作 {years} 年，"
                    f"擅长{'、'.join(specialties[i] for i in focus)}的诊治。"
                ),
                introduction_en=(
                    f"Dr {_english_name(name)}, {title.label('en').lower()}, has practised"
                    f" for {years} years and focuses on"
                    f" {' and '.join(specialties_en[i] for i in focus).lower()}."
                ),
            )
            sessions = _template(rng, title, name_zh)
            stored = await admin.create_doctor(uow, doctor=doctor, sessions=sessions)
            summary.doctor_ids.append(stored.id)
            summary.doctors += 1
            summary.weekly_sessions += len(sessions)


async def _load_pharmacy(uow: UnitOfWork, summary: DemoSummary) -> None:
    for offset, (name_zh, name_en, spec, unit, price, category) in enumerate(DRUGS):
        drug = Drug(
            code=str(FIRST_DRUG_CODE + offset),
            name_zh=name_zh,
            name_en=name_en,
            specification=spec,
            unit=unit,
            price=parse_yuan(price),
            usage_notes=USAGE_NOTES[category],
            category=category,
        )
        await admin.save_drug(uow, drug=drug)
        summary.drugs += 1


async def _load_texts(uow: UnitOfWork, summary: DemoSummary) -> None:
    for article in ARTICLES:
        await admin.save_article(uow, article=replace(article))
        summary.articles += 1
    for instruction in INSTRUCTIONS:
        await admin.save_instruction(uow, instruction=instruction)
        summary.instructions += 1
    for document in DOCUMENTS:
        await admin.save_document(uow, document=document)
        summary.documents += 1
