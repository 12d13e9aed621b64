"""All SQL of the campaigns context (SQLite and PostgreSQL).

Claiming: a worker selects due attempts of running campaigns (``FOR UPDATE SKIP LOCKED``
on PostgreSQL) and moves them to ``claimed`` with a lease in one conditional ``UPDATE ...
RETURNING``; on SQLite the single writer makes that update the arbiter. A worker that dies
mid-call leaves its rows claimed; they become due again when the lease passes. Finishing
checks that the row is still held by the same worker, so a worker whose lease was taken
over cannot record twice, and the unique (target, number) pair keeps a retry single.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.campaigns.checkups import Checkup, CheckupSource
from careline.campaigns.model import (
    Appointment,
    CampaignKind,
    CampaignStatus,
    Channel,
    MessageTemplate,
    PatientFacts,
    TargetStatus,
)
from careline.campaigns.records import (
    Campaign,
    ClaimedAttempt,
    Comment,
    Progress,
    Target,
    rule_from_data,
)
from careline.campaigns.retry import AttemptState
from careline.campaigns.survey import questionnaire_from_data
from careline.campaigns.tables import (
    campaign_answers as _ANS,
)
from careline.campaigns.tables import (
    campaign_attempts as _ATT,
)
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


def _target(row: sa.Row[Any]) -> Target:
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
    """Campaigns, their targets and attempts, answers and the do-not-call list."""

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

    async def add_first_attempts(self, campaign_id: int, due_at: datetime) -> None:
        """Give every pending target of a campaign its first attempt, due at ``due_at``."""
        select = sa.select(
            _T.c.id,
            _T.c.campaign_id,
            sa.literal(1),
            sa.literal(AttemptState.DUE.value),
            sa.literal(due_at, _ATT.c.due_at.type),
        ).where(_T.c.campaign_id == campaign_id, _T.c.status == TargetStatus.PENDING.value)
        await self.conn.execute(
            _ATT.insert().from_select(
                ["target_id", "campaign_id", "number", "state", "due_at"], select
            )
        )

    async def claim_due(
        self,
        *,
        now: datetime,
        lease_until: datetime,
        worker: str,
        limit: int,
        channels: Iterable[Channel],
        campaign_ids: Iterable[int] | None = None,
    ) -> list[ClaimedAttempt]:
        """Hold up to ``limit`` due attempts of running campaigns until ``lease_until``."""
        claimable = sa.or_(
            _ATT.c.state == AttemptState.DUE.value,
            sa.and_(_ATT.c.state == AttemptState.CLAIMED.value, _ATT.c.lease_until <= now),
        )
        query = (
            sa.select(_ATT.c.id)
            .join(_C, _C.c.id == _ATT.c.campaign_id)
            .join(_T, _T.c.id == _ATT.c.target_id)
            .where(
                claimable,
                _ATT.c.due_at <= now,
                _C.c.status == CampaignStatus.RUNNING.value,
                _T.c.channel.in_([c.value for c in channels]),
            )
            .order_by(_ATT.c.due_at, _ATT.c.id)
            .limit(limit)
        )
        if campaign_ids is not None:
            query = query.where(_ATT.c.campaign_id.in_(list(campaign_ids)))
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(of=_ATT, skip_locked=True)
        ids = list((await self.conn.execute(query)).scalars())
        if not ids:
            return []
        taken = await self.conn.execute(
            _ATT.update()
            .where(_ATT.c.id.in_(ids), claimable)
            .values(
                state=AttemptState.CLAIMED.value,
                lease_until=lease_until,
                claimed_by=worker,
                started_at=now,
            )
            .returning(_ATT.c.id, _ATT.c.number, _ATT.c.target_id)
        )
        held = {row.target_id: (row.id, row.number) for row in taken}
        if not held:
            return []
        rows = await self.conn.execute(sa.select(_T).where(_T.c.id.in_(list(held))))
        claimed = [
            ClaimedAttempt(held[row.id][0], held[row.id][1], _target(row), lease_until)
            for row in rows
        ]
        return sorted(claimed, key=lambda item: item.attempt_id)

    async def finish_attempt(
        self,
        attempt_id: int,
        *,
        worker: str,
        outcome: str,
        sip_code: int | None,
        ended_at: datetime,
    ) -> bool:
        """Close an attempt this worker still holds; False when the lease was lost."""
        result = await self.conn.execute(
            _ATT.update()
            .where(
                _ATT.c.id == attempt_id,
                _ATT.c.state == AttemptState.CLAIMED.value,
                _ATT.c.claimed_by == worker,
            )
            .values(
                state=AttemptState.DONE.value, outcome=outcome, sip_code=sip_code, ended_at=ended_at
            )
            .returning(_ATT.c.id)
        )
        return result.first() is not None

    async def release_attempt(self, attempt_id: int, *, worker: str, due_at: datetime) -> None:
        """Hand a claimed attempt back, due at ``due_at`` (it was not made)."""
        await self.conn.execute(
            _ATT.update()
            .where(_ATT.c.id == attempt_id, _ATT.c.claimed_by == worker)
            .values(
                state=AttemptState.DUE.value,
                due_at=due_at,
                lease_until=None,
                claimed_by=None,
                started_at=None,
            )
        )

    async def note_message(
        self, attempt_id: int, *, message_kind: str, message_id: int | None = None
    ) -> None:
        """Record an SMS/email attempt's message kind and, once queued, the message id."""
        await self.conn.execute(
            _ATT.update()
            .where(_ATT.c.id == attempt_id)
            .values(message_id=message_id, message_kind=message_kind)
        )

    async def mark_attempt(self, attempt_id: int, *, outcome: str) -> None:
        """Change the recorded outcome of a closed attempt."""
        await self.conn.execute(
            _ATT.update().where(_ATT.c.id == attempt_id).values(outcome=outcome)
        )

    async def add_attempt(
        self, *, target_id: int, campaign_id: int, number: int, due_at: datetime
    ) -> None:
        """Insert the next attempt of a target."""
        await self.conn.execute(
            _ATT.insert().values(
                target_id=target_id,
                campaign_id=campaign_id,
                number=number,
                state=AttemptState.DUE.value,
                due_at=due_at,
            )
        )

    async def update_target(self, target_id: int, **values: Any) -> None:
        """Change columns of one target."""
        await self.conn.execute(_T.update().where(_T.c.id == target_id).values(**values))

    async def close_open_attempts(self, campaign_id: int, now: datetime) -> None:
        """End the due attempts of a finished campaign so no worker claims them."""
        await self.conn.execute(
            _ATT.update()
            .where(_ATT.c.campaign_id == campaign_id, _ATT.c.state == AttemptState.DUE.value)
            .values(state=AttemptState.DONE.value, outcome="cancelled", ended_at=now)
        )

    async def target_by_token(self, token: str) -> Target | None:
        """Find a target by the token in its survey link."""
        row = (await self.conn.execute(sa.select(_T).where(_T.c.token == token))).first()
        return None if row is None else _target(row)

    async def targets(self, campaign_id: int) -> list[Target]:
        """Every target of a campaign, in id order."""
        query = sa.select(_T).where(_T.c.campaign_id == campaign_id).order_by(_T.c.id)
        return [_target(row) for row in await self.conn.execute(query)]

    async def attempts(self, campaign_id: int) -> list[dict[str, Any]]:
        """Every attempt of a campaign (for tests, export and troubleshooting)."""
        query = sa.select(_ATT).where(_ATT.c.campaign_id == campaign_id).order_by(_ATT.c.id)
        return [dict(row._mapping) for row in await self.conn.execute(query)]

    async def save_answer(
        self,
        *,
        target_id: int,
        campaign_id: int,
        question_key: str,
        answer: str,
        recording: str | None,
        now: datetime,
    ) -> bool:
        """Store one answer; False when the question was already answered."""
        exists = await self.conn.execute(
            sa.select(_ANS.c.id).where(
                _ANS.c.target_id == target_id, _ANS.c.question_key == question_key
            )
        )
        if exists.first() is not None:
            return False
        await self.conn.execute(
            _ANS.insert().values(
                target_id=target_id,
                campaign_id=campaign_id,
                question_key=question_key,
                answer=answer,
                recording=recording,
                at=now,
            )
        )
        return True

    async def answers_of(self, target_id: int) -> dict[str, str]:
        """The answers one patient gave, by question key."""
        query = sa.select(_ANS.c.question_key, _ANS.c.answer).where(_ANS.c.target_id == target_id)
        return {row.question_key: row.answer for row in await self.conn.execute(query)}

    async def progress(self, campaign_id: int, comment_key: str) -> Progress:
        """Targets by status, attempts by outcome and answer counts of a campaign."""
        status_rows = await self.conn.execute(
            sa.select(_T.c.status, sa.func.count())
            .where(_T.c.campaign_id == campaign_id)
            .group_by(_T.c.status)
        )
        by_status = {row[0]: int(row[1]) for row in status_rows}
        outcome_rows = await self.conn.execute(
            sa.select(_ATT.c.outcome, sa.func.count())
            .where(_ATT.c.campaign_id == campaign_id, _ATT.c.outcome.is_not(None))
            .group_by(_ATT.c.outcome)
        )
        answer_rows = await self.conn.execute(
            sa.select(_ANS.c.question_key, _ANS.c.answer, sa.func.count())
            .where(_ANS.c.campaign_id == campaign_id, _ANS.c.question_key != comment_key)
            .group_by(_ANS.c.question_key, _ANS.c.answer)
        )
        answers: dict[str, dict[str, int]] = {}
        for key, answer, count in answer_rows:
            answers.setdefault(key, {})[answer] = int(count)
        return Progress(
            targets=sum(by_status.values()),
            by_status=by_status,
            attempts_by_outcome={row[0]: int(row[1]) for row in outcome_rows},
            answers=answers,
        )

    async def comments(self, campaign_id: int, comment_key: str) -> list[Comment]:
        """Survey comments of a campaign, newest first."""
        query = (
            sa.select(_ANS)
            .where(_ANS.c.campaign_id == campaign_id, _ANS.c.question_key == comment_key)
            .order_by(_ANS.c.at.desc())
        )
        return [
            Comment(row.target_id, row.answer, row.recording, row.at)
            for row in await self.conn.execute(query)
        ]

    async def all_answers(self, campaign_id: int) -> dict[int, dict[str, str]]:
        """Answers of every target of a campaign (for the CSV export)."""
        query = sa.select(_ANS.c.target_id, _ANS.c.question_key, _ANS.c.answer).where(
            _ANS.c.campaign_id == campaign_id
        )
        found: dict[int, dict[str, str]] = {}
        for row in await self.conn.execute(query):
            found.setdefault(row.target_id, {})[row.question_key] = row.answer
        return found


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


class CheckupRepository:
    """Stored check-up due dates, one row per patient and kind."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def existing_patients(self, ids: Iterable[int]) -> set[int]:
        """Which of ``ids`` are patients (merged ones included: the caller decides)."""
        wanted = sorted(set(ids))
        found: set[int] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = sa.select(patients.c.id).where(patients.c.id.in_(chunk))
            found.update(row.id for row in await self.conn.execute(query))
        return found

    async def put(self, item: Checkup, *, staff_id: int | None, now: datetime) -> None:
        """Insert the check-up or move the due date of the same patient and kind."""
        values = {
            "due_on": item.due_on,
            "source": item.source.value,
            "updated_by": staff_id,
            "updated_at": now,
        }
        changed = await self.conn.execute(
            _CHK.update()
            .where(_CHK.c.patient_id == item.patient_id, _CHK.c.kind == item.kind)
            .values(**values)
        )
        if changed.rowcount == 0:
            await self.conn.execute(
                _CHK.insert().values(patient_id=item.patient_id, kind=item.kind, **values)
            )

    async def remove(self, patient_id: int, kind: str) -> bool:
        """Delete one check-up; False when there was none."""
        result = await self.conn.execute(
            _CHK.delete().where(_CHK.c.patient_id == patient_id, _CHK.c.kind == kind)
        )
        return bool(result.rowcount)

    async def upcoming(self, *, limit: int = 200) -> list[Checkup]:
        """The check-ups due first, earliest first."""
        query = (
            sa.select(_CHK.c.patient_id, _CHK.c.kind, _CHK.c.due_on, _CHK.c.source)
            .order_by(_CHK.c.due_on, _CHK.c.patient_id, _CHK.c.kind)
            .limit(limit)
        )
        return [
            Checkup(row.patient_id, row.kind, row.due_on, CheckupSource(row.source))
            for row in await self.conn.execute(query)
        ]
