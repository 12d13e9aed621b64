"""SQL of campaigns, their audience, targets and do-not-call list, and the saved library.

Attempts and their claiming live in ``attempt_repository``, answers in
``result_repository`` and check-up due dates in ``checkup_repository``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.campaigns.model import (
    Appointment,
    CampaignKind,
    CampaignStatus,
    Channel,
    MessageTemplate,
    PatientFacts,
    TargetStatus,
)
from careline.campaigns.records import Campaign, Target, rule_from_data
from careline.campaigns.survey import questionnaire_from_data
from careline.campaigns.tables import (
    campaign_checkups as _CHK,
)
from careline.campaigns.tables import (
    campaign_do_not_call as _DNC,
)
from careline.campaigns.tables import (
    campaign_questionnaires as _QN,
)
from careline.campaigns.tables import (
    campaign_targets as _T,
)
from careline.campaigns.tables import (
    campaign_templates as _TPL,
)
from careline.campaigns.tables import (
    campaigns as _C,
)
from careline.directory.tables import doctors
from careline.patients.tables import patient_consents, patient_phones, patients
from careline.scheduling.tables import booking_sessions, bookings

_VISITED = "attended"
_BOOKED = "booked"


def _campaign(row: sa.Row[Any]) -> Campaign:
    questionnaire = row.questionnaire
    return Campaign(
        id=row.id,
        name=row.name,
        kind=CampaignKind(row.kind),
        status=CampaignStatus(row.status),
        rule=rule_from_data(row.audience),
        channels=tuple(Channel(c) for c in row.channels.split(",") if c),
        template=MessageTemplate(row.body_zh, row.body_en, row.subject_zh, row.subject_en),
        questionnaire=questionnaire_from_data(questionnaire) if questionnaire else None,
        urgent=row.urgent,
        audience_day=row.audience_day,
        starts_at=row.starts_at,
        audience_size=row.audience_size,
        created_at=row.created_at,
    )


def target_from_row(row: sa.Row[Any]) -> Target:
    """Build a target from its stored row."""
    return Target(
        id=row.id,
        campaign_id=row.campaign_id,
        patient_id=row.patient_id,
        channel=Channel(row.channel),
        address=row.address,
        language=row.language,
        fields=dict(row.fields),
        status=TargetStatus(row.status),
        attempts=row.attempts,
        token=row.token,
        last_outcome=row.last_outcome,
    )


class CampaignRepository:
    """Campaigns, their audience, targets and the do-not-call list."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add_campaign(self, values: Mapping[str, Any]) -> int:
        """Insert a campaign and return its id."""
        result = await self.conn.execute(_C.insert().values(**values).returning(_C.c.id))
        return int(result.scalar_one())

    async def get_campaign(self, campaign_id: int, *, lock: bool = False) -> Campaign | None:
        """Return one campaign (locked for update on PostgreSQL when asked)."""
        query = sa.select(_C).where(_C.c.id == campaign_id)
        if lock and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return None if row is None else _campaign(row)

    async def list_campaigns(self, limit: int = 200) -> list[Campaign]:
        """Return campaigns, newest first."""
        query = sa.select(_C).order_by(_C.c.id.desc()).limit(limit)
        return [_campaign(row) for row in await self.conn.execute(query)]

    async def update_campaign(self, campaign_id: int, **values: Any) -> None:
        """Change columns of one campaign."""
        await self.conn.execute(_C.update().where(_C.c.id == campaign_id).values(**values))

    async def patient_facts(self, *, today: date) -> list[PatientFacts]:
        """Load what the audience rules need for every active patient, in four queries."""
        phones = await self._first_phones()
        consents = await self._consents()
        visits = await self._last_visits()
        checkups = await self._checkup_dues()
        tomorrow = await self._appointments(today + timedelta(days=1))
        query = sa.select(
            patients.c.id,
            patients.c.name,
            patients.c.gender,
            patients.c.birth_date,
            patients.c.lunar_birthday,
            patients.c.language,
            patients.c.preferred_channel,
            patients.c.email,
        ).where(patients.c.merged_into_id.is_(None))
        facts: list[PatientFacts] = []
        for row in await self.conn.execute(query.order_by(patients.c.id)):
            facts.append(
                PatientFacts(
                    patient_id=row.id,
                    name=row.name,
                    gender=row.gender,
                    birth_date=row.birth_date,
                    lunar_birthday=row.lunar_birthday,
                    language=row.language,
                    preferred_channel=Channel(row.preferred_channel),
                    phone=phones.get(row.id),
                    email=row.email,
                    consents=consents.get(row.id, {}),
                    last_visit=visits.get(row.id),
                    appointment=tomorrow.get(row.id),
                    checkup_due=checkups.get(row.id),
                )
            )
        return facts

    async def _first_phones(self) -> dict[int, str]:
        query = sa.select(patient_phones.c.patient_id, patient_phones.c.e164).order_by(
            patient_phones.c.patient_id, patient_phones.c.position.desc()
        )
        # Ordered so the lowest position is written last and wins.
        return {row.patient_id: row.e164 for row in await self.conn.execute(query)}

    async def _consents(self) -> dict[int, dict[str, bool]]:
        found: dict[int, dict[str, bool]] = {}
        query = sa.select(
            patient_consents.c.patient_id, patient_consents.c.topic, patient_consents.c.granted
        )
        for row in await self.conn.execute(query):
            found.setdefault(row.patient_id, {})[row.topic] = row.granted
        return found

    async def _last_visits(self) -> dict[int, date]:
        query = (
            sa.select(bookings.c.patient_id, sa.func.max(bookings.c.day).label("day"))
            .where(bookings.c.status == _VISITED)
            .group_by(bookings.c.patient_id)
        )
        return {row.patient_id: row.day for row in await self.conn.execute(query)}

    async def _checkup_dues(self) -> dict[int, date]:
        query = sa.select(_CHK.c.patient_id, sa.func.min(_CHK.c.due_on).label("due_on")).group_by(
            _CHK.c.patient_id
        )
        return {row.patient_id: row.due_on for row in await self.conn.execute(query)}

    async def _appointments(self, day: date) -> dict[int, Appointment]:
        query = (
            sa.select(bookings.c.patient_id, bookings.c.period_starts_at, doctors.c.name)
            .join(booking_sessions, booking_sessions.c.id == bookings.c.session_id)
            .join(doctors, doctors.c.id == booking_sessions.c.doctor_id)
            .where(bookings.c.day == day, bookings.c.status == _BOOKED)
            .order_by(bookings.c.period_starts_at.desc())
        )
        return {
            row.patient_id: Appointment(day, row.name, row.period_starts_at)
            for row in await self.conn.execute(query)
        }

    async def do_not_call(self, kind: CampaignKind) -> set[int]:
        """Patients who asked not to be contacted by campaigns of ``kind``."""
        query = sa.select(_DNC.c.patient_id).where(_DNC.c.kind == kind.value)
        return set((await self.conn.execute(query)).scalars())

    async def add_do_not_call(
        self, *, patient_id: int, kind: CampaignKind, source: str, now: datetime
    ) -> None:
        """Put a patient on the do-not-call list for ``kind`` (no-op when already there)."""
        exists = await self.conn.execute(
            sa.select(_DNC.c.patient_id).where(
                _DNC.c.patient_id == patient_id, _DNC.c.kind == kind.value
            )
        )
        if exists.first() is None:
            await self.conn.execute(
                _DNC.insert().values(patient_id=patient_id, kind=kind.value, source=source, at=now)
            )

    async def add_targets(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert targets in one batch."""
        if rows:
            await self.conn.execute(_T.insert(), list(rows))

    async def update_target(self, target_id: int, **values: Any) -> None:
        """Change columns of one target."""
        await self.conn.execute(_T.update().where(_T.c.id == target_id).values(**values))

    async def target_by_token(self, token: str) -> Target | None:
        """Find a target by the token in its survey link."""
        row = (await self.conn.execute(sa.select(_T).where(_T.c.token == token))).first()
        return None if row is None else target_from_row(row)

    async def targets(self, campaign_id: int) -> list[Target]:
        """Every target of a campaign, in id order."""
        query = sa.select(_T).where(_T.c.campaign_id == campaign_id).order_by(_T.c.id)
        return [target_from_row(row) for row in await self.conn.execute(query)]


class LibraryRepository:
    """Saved message templates and questionnaires."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add_template(self, values: Mapping[str, Any]) -> int | None:
        """Insert a template; None when the name is taken."""
        exists = await self.conn.execute(sa.select(_TPL.c.id).where(_TPL.c.name == values["name"]))
        if exists.first() is not None:
            return None
        result = await self.conn.execute(_TPL.insert().values(**values).returning(_TPL.c.id))
        return int(result.scalar_one())

    async def templates(self) -> list[tuple[int, str, MessageTemplate]]:
        """Every saved template, by name."""
        rows = await self.conn.execute(sa.select(_TPL).order_by(_TPL.c.name))
        return [
            (r.id, r.name, MessageTemplate(r.body_zh, r.body_en, r.subject_zh, r.subject_en))
            for r in rows
        ]

    async def add_questionnaire(
        self, name: str, data: Mapping[str, Any], now: datetime
    ) -> int | None:
        """Insert a questionnaire; None when the name is taken."""
        exists = await self.conn.execute(sa.select(_QN.c.id).where(_QN.c.name == name))
        if exists.first() is not None:
            return None
        result = await self.conn.execute(
            _QN.insert().values(name=name, questions=dict(data), created_at=now).returning(_QN.c.id)
        )
        return int(result.scalar_one())

    async def questionnaires(self) -> list[tuple[int, str, Mapping[str, Any]]]:
        """Every saved questionnaire (stored JSON), by name."""
        rows = await self.conn.execute(sa.select(_QN).order_by(_QN.c.name))
        return [(r.id, r.name, r.questions) for r in rows]
