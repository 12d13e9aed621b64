"""All SQL of the acd context."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.acd.model import (
    AgentProfile,
    Callback,
    CallbackStatus,
    CallRecord,
    OpeningHours,
    Outcome,
    OverflowAction,
    QueueSpec,
    VoicemailSummary,
    phone_forms,
)
from careline.acd.tables import acd_agent_profiles as profiles
from careline.acd.tables import acd_call_records as records
from careline.acd.tables import acd_callbacks as callbacks
from careline.acd.tables import acd_queues as queues
from careline.directory.tables import doctors
from careline.patients.tables import patient_phones
from careline.voicemail.tables import voicemail_messages as messages


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _queue(row: Any) -> QueueSpec:
    return QueueSpec(
        name=row.name,
        skills=dict(row.skills),
        widen_after_seconds=float(row.widen_after_seconds),
        max_wait_seconds=float(row.max_wait_seconds),
        overflow=OverflowAction(row.overflow),
        hours=OpeningHours(
            time.fromisoformat(row.opens),
            time.fromisoformat(row.closes).replace(second=59),
            frozenset(int(day) for day in row.weekdays),
        ),
        id=row.id,
    )


def _record(row: Any) -> CallRecord:
    return CallRecord(
        call_id=row.call_id,
        queue=row.queue,
        offered_at=row.offered_at,
        caller=row.caller,
        patient_id=row.patient_id,
        language=row.language,
        ivr_path=tuple(row.ivr_path),
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        agent_id=row.agent_id,
        outcome=Outcome(row.outcome),
        wrap_up_code=row.wrap_up_code,
        wrap_up_seconds=row.wrap_up_seconds,
        notes=row.notes,
        recording_path=row.recording_path,
        consult_doctor_id=row.consult_doctor_id,
        id=row.id,
    )


def _callback(row: Any) -> Callback:
    return Callback(
        call_id=row.call_id,
        queue=row.queue,
        number=row.number,
        requested_at=row.requested_at,
        status=CallbackStatus(row.status),
        agent_id=row.agent_id,
        done_at=row.done_at,
        id=row.id,
    )


class AcdRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    # ---- queues ----------------------------------------------------------------------

    async def queues(self) -> list[QueueSpec]:
        rows = await self.conn.execute(sa.select(queues).order_by(queues.c.name))
        return [_queue(row) for row in rows]

    async def queue(self, name: str) -> QueueSpec | None:
        row = (await self.conn.execute(sa.select(queues).where(queues.c.name == name))).first()
        return None if row is None else _queue(row)

    async def save_queue(self, spec: QueueSpec) -> None:
        values = {
            "skills": dict(spec.skills),
            "opens": _hhmm(spec.hours.opens),
            "closes": _hhmm(spec.hours.closes),
            "weekdays": "".join(str(day) for day in sorted(spec.hours.weekdays)),
            "widen_after_seconds": int(spec.widen_after_seconds),
            "max_wait_seconds": int(spec.max_wait_seconds),
            "overflow": spec.overflow.value,
        }
        done = await self.conn.execute(
            queues.update().where(queues.c.name == spec.name).values(**values)
        )
        if done.rowcount == 0:
            await self.conn.execute(queues.insert().values(name=spec.name, **values))

    # ---- agent profiles --------------------------------------------------------------

    async def profile(self, staff_id: int) -> AgentProfile | None:
        row = (
            await self.conn.execute(sa.select(profiles).where(profiles.c.staff_id == staff_id))
        ).first()
        if row is None:
            return None
        return AgentProfile(row.staff_id, dict(row.skills), tuple(row.queues))

    async def profiles(self) -> list[AgentProfile]:
        rows = await self.conn.execute(sa.select(profiles).order_by(profiles.c.staff_id))
        return [AgentProfile(row.staff_id, dict(row.skills), tuple(row.queues)) for row in rows]

    async def save_profile(self, profile: AgentProfile, now: datetime) -> None:
        values = {"skills": dict(profile.skills), "queues": list(profile.queues), "updated_at": now}
        done = await self.conn.execute(
            profiles.update().where(profiles.c.staff_id == profile.staff_id).values(**values)
        )
        if done.rowcount == 0:
            await self.conn.execute(profiles.insert().values(staff_id=profile.staff_id, **values))

    # ---- call records ----------------------------------------------------------------

    async def add_record(self, record: CallRecord) -> None:
        await self.conn.execute(
            records.insert().values(
                call_id=record.call_id,
                queue=record.queue,
                caller=record.caller[:64],
                patient_id=record.patient_id,
                language=record.language,
                ivr_path=list(record.ivr_path),
                offered_at=record.offered_at,
                answered_at=record.answered_at,
                ended_at=record.ended_at,
                agent_id=record.agent_id,
                outcome=record.outcome.value,
                wrap_up_code=record.wrap_up_code,
                wrap_up_seconds=record.wrap_up_seconds,
                notes=record.notes,
                recording_path=record.recording_path,
            )
        )

    async def update_record(self, call_id: str, **values: Any) -> None:
        await self.conn.execute(
            records.update().where(records.c.call_id == call_id).values(**values)
        )

    async def record(self, call_id: str) -> CallRecord | None:
        row = (
            await self.conn.execute(sa.select(records).where(records.c.call_id == call_id))
        ).first()
        return None if row is None else _record(row)

    async def record_by_id(self, record_id: int) -> CallRecord | None:
        row = (await self.conn.execute(sa.select(records).where(records.c.id == record_id))).first()
        return None if row is None else _record(row)

    async def records_since(self, since: datetime, *, limit: int = 10000) -> list[CallRecord]:
        rows = await self.conn.execute(
            sa.select(records)
            .where(records.c.offered_at >= since)
            .order_by(records.c.offered_at, records.c.id)
            .limit(limit)
        )
        return [_record(row) for row in rows]

    async def records_of_caller(
        self, caller: str, patient_ids: list[int], *, limit: int = 10
    ) -> list[CallRecord]:
        condition = records.c.caller == caller
        if patient_ids:
            condition = sa.or_(condition, records.c.patient_id.in_(patient_ids))
        rows = await self.conn.execute(
            sa.select(records).where(condition).order_by(records.c.offered_at.desc()).limit(limit)
        )
        return [_record(row) for row in rows]

    async def voicemails_of_patient(
        self, patient_id: int, *, limit: int = 10
    ) -> list[VoicemailSummary]:
        """Read-only: messages left for doctors from any of the patient's numbers.

        The voicemail context owns these tables; the screen pop only reads them, matching
        the caller number a message was left from against the patient's phones.
        """
        phones = await self.conn.execute(
            sa.select(patient_phones.c.e164).where(patient_phones.c.patient_id == patient_id)
        )
        forms = [form for (e164,) in phones for form in phone_forms(e164)]
        if not forms:
            return []
        rows = await self.conn.execute(
            sa.select(
                messages.c.number,
                messages.c.created_at,
                messages.c.status,
                messages.c.replied_at,
                doctors.c.name.label("doctor_name"),
            )
            .join(doctors, doctors.c.id == messages.c.doctor_id)
            .where(messages.c.caller_phone.in_(forms))
            .order_by(messages.c.created_at.desc(), messages.c.id.desc())
            .limit(limit)
        )
        return [
            VoicemailSummary(
                number=row.number,
                doctor_name=row.doctor_name,
                left_at=row.created_at,
                status=row.status,
                replied=row.replied_at is not None,
            )
            for row in rows
        ]

    async def recordings_before(self, cutoff: datetime, *, limit: int = 500) -> list[CallRecord]:
        rows = await self.conn.execute(
            sa.select(records)
            .where(records.c.recording_path.is_not(None), records.c.offered_at < cutoff)
            .order_by(records.c.offered_at)
            .limit(limit)
        )
        return [_record(row) for row in rows]

    # ---- callbacks -------------------------------------------------------------------

    async def add_callback(self, callback: Callback) -> int:
        result = await self.conn.execute(
            callbacks.insert().values(
                call_id=callback.call_id,
                queue=callback.queue,
                number=callback.number[:32],
                requested_at=callback.requested_at,
                status=callback.status.value,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def callbacks(self, statuses: tuple[CallbackStatus, ...]) -> list[Callback]:
        rows = await self.conn.execute(
            sa.select(callbacks)
            .where(callbacks.c.status.in_([s.value for s in statuses]))
            .order_by(callbacks.c.requested_at, callbacks.c.id)
        )
        return [_callback(row) for row in rows]

    async def callback(self, callback_id: int) -> Callback | None:
        row = (
            await self.conn.execute(sa.select(callbacks).where(callbacks.c.id == callback_id))
        ).first()
        return None if row is None else _callback(row)

    async def claim_callback(self, callback_id: int, staff_id: int) -> bool:
        """Offer a pending callback to one agent; False when someone else has it."""
        result = await self.conn.execute(
            callbacks.update()
            .where(callbacks.c.id == callback_id, callbacks.c.status == "pending")
            .values(status=CallbackStatus.OFFERED.value, agent_id=staff_id)
        )
        return result.rowcount == 1

    async def set_callback(self, callback_id: int, **values: Any) -> None:
        await self.conn.execute(
            callbacks.update().where(callbacks.c.id == callback_id).values(**values)
        )
