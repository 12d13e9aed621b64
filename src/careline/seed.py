"""Operator tasks behind the CLI: load the demo hospital, import patients from CSV."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from careline.bootstrap import bootstrap
from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.demo import DemoSummary, StaffHook, is_empty, load_demo
from careline.demo.members import DEMO_BALANCE, DEMO_PIN, DemoMember, give_cards
from careline.kit.clock import Clock
from careline.patients.importing import ImportReport, import_patients
from careline.staff import service as staff_service
from careline.staff.model import Role


@dataclass
class DemoAccount:
    username: str
    password: str
    roles: frozenset[Role]


@dataclass
class DemoReport:
    summary: DemoSummary | None
    accounts: list[DemoAccount] = field(default_factory=list)
    members: list[DemoMember] = field(default_factory=list)

    def __str__(self) -> str:
        if self.summary is None:
            return "The database already has a hospital; demo data was not loaded."
        s = self.summary
        lines = [
            f"Demo hospital {s.hospital}: {s.departments} departments, {s.doctors} doctors,"
            f" {s.weekly_sessions} weekly clinic sessions, {s.drugs} drugs, {s.articles} articles,"
            f" {s.instructions} visit instructions, {s.documents} fax documents,"
            f" {s.patients} patients in {s.seconds:.1f} s.",
            "Staff accounts (passwords are shown only now; change them after signing in):",
        ]
        lines += [
            f"  {a.username:<18} {a.password:<20} {', '.join(sorted(a.roles))}"
            for a in self.accounts
        ]
        if self.members:
            lines.append(
                f"Member cards (PIN {DEMO_PIN}, {DEMO_BALANCE // 100} yuan each),"
                " for the patient portal at /portal and the phone line:"
            )
            lines += [f"  {m.card_number}" for m in self.members]
        return "\n".join(lines)


def _demo_staff(settings: Settings, clock: Clock, accounts: list[DemoAccount]) -> StaffHook:
    """Create one account per role, linking the doctor and the department head."""

    async def hook(uow: UnitOfWork, summary: DemoSummary) -> int:
        departments = list(summary.department_ids.values())
        plan: list[tuple[str, str, frozenset[Role], dict[str, int | None]]] = [
            ("admin", "系统管理员", frozenset({Role.ADMIN}), {}),
            ("supervisor", "值班班长", frozenset({Role.SUPERVISOR}), {}),
            ("agent1", "坐席一", frozenset({Role.AGENT}), {}),
            ("agent2", "坐席二", frozenset({Role.AGENT}), {}),
            ("complaints", "投诉办公室", frozenset({Role.COMPLAINT_HANDLER}), {}),
            (
                "head",
                "科室主任",
                frozenset({Role.DEPARTMENT_HEAD}),
                {"department_id": departments[0] if departments else None},
            ),
            (
                "doctor",
                "门诊医生",
                frozenset({Role.DOCTOR}),
                {"doctor_id": summary.doctor_ids[0] if summary.doctor_ids else None},
            ),
        ]
        for username, name, roles, links in plan:
            password = staff_service.generate_password()
            await staff_service.create_staff(
                uow,
                username=username,
                display_name=name,
                roles=roles,
                password=password,
                clock=clock,
                language=settings.language,
                **links,
            )
            accounts.append(DemoAccount(username, password, roles))
        return len(plan)

    return hook


async def seed_demo(
    settings: Settings, *, patients: int, seed: int, if_empty: bool = False
) -> DemoReport:
    """Load the demo hospital with staff accounts for every role."""
    careline = bootstrap(settings)
    accounts: list[DemoAccount] = []
    try:
        async with careline.uow() as uow:
            if if_empty and not await is_empty(uow):
                return DemoReport(summary=None)
            summary = await load_demo(
                uow,
                patients=patients,
                seed=seed,
                clock=careline.clock,
                staff_hook=_demo_staff(settings, careline.clock, accounts),
            )
            members = await give_cards(uow, clock=careline.clock, count=min(patients, 20))
        return DemoReport(summary=summary, accounts=accounts, members=members)
    finally:
        await careline.close()


@dataclass
class ImportOutcome:
    report: ImportReport

    @property
    def problems(self) -> list[str]:
        return [problem.describe() for problem in self.report.failed]

    @property
    def summary(self) -> str:
        return self.report.summary()

    @property
    def failed(self) -> int:
        return self.report.failed_rows


async def import_patients_csv(
    settings: Settings, path: Path, *, progress: Callable[[ImportReport], None] | None = None
) -> ImportOutcome:
    """Import patients from a CSV file, keeping every good row."""
    careline = bootstrap(settings)
    try:
        async with careline.uow() as uow:
            with path.open("rb") as handle:
                report = await import_patients(
                    uow,
                    lines=handle,
                    staff_id=None,
                    source_name=path.name,
                    progress=progress,
                    clock=careline.clock,
                )
        return ImportOutcome(report)
    finally:
        await careline.close()
