"""All SQL of consultations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.consultations.model import (
    Consultation,
    ConsultSettings,
    FeeMode,
    Outcome,
    Window,
    WindowException,
)
from careline.consultations.tables import (
    consult_exceptions,
    consult_numbers,
    consult_settings,
    consult_windows,
    consultations,
)

c = consultations.c


def _consultation(row: Any) -> Consultation:
    return Consultation(
        doctor_id=row.doctor_id,
        started_at=row.started_at,
        outcome=Outcome(row.outcome),
        patient_id=row.patient_id,
        member_card_id=row.member_card_id,
        connected_at=row.connected_at,
        seconds=row.seconds,
        charge_fen=row.charge_fen,
        recording_path=row.recording_path,
        call_id=row.call_id,
        id=row.id,
    )


class ConsultationRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def offering_doctor_ids(self) -> list[int]:
        """Doctors with consultations switched on and at least one number to ring."""
        s, n = consult_settings.c, consult_numbers.c
        has_number = sa.exists().where(n.doctor_id == s.doctor_id)
        query = sa.select(s.doctor_id).where(s.enabled.is_(True), has_number).order_by(s.doctor_id)
        return list((await self.conn.execute(query)).scalars())

    async def settings(self, doctor_id: int) -> ConsultSettings | None:
        s = consult_settings.c
        row = (
            await self.conn.execute(sa.select(consult_settings).where(s.doctor_id == doctor_id))
        ).first()
        if row is None:
            return None
        return ConsultSettings(
            doctor_id=row.doctor_id,
            enabled=row.enabled,
            max_call_seconds=row.max_call_seconds,
            fee_mode=FeeMode(row.fee_mode),
            fee_fen=row.fee_fen,
        )

    async def save_settings(self, settings: ConsultSettings, at: datetime) -> None:
        values = {
            "enabled": settings.enabled,
            "max_call_seconds": settings.max_call_seconds,
            "fee_mode": settings.fee_mode.value,
            "fee_fen": settings.fee_fen,
            "updated_at": at,
        }
        s = consult_settings.c
        updated = await self.conn.execute(
            consult_settings.update().where(s.doctor_id == settings.doctor_id).values(**values)
        )
        if updated.rowcount == 0:
            await self.conn.execute(
                consult_settings.insert().values(doctor_id=settings.doctor_id, **values)
            )

    async def windows(self, doctor_id: int) -> list[Window]:
        w = consult_windows.c
        rows = await self.conn.execute(
            sa.select(consult_windows)
            .where(w.doctor_id == doctor_id)
            .order_by(w.weekday, w.start_time)
        )
        return [Window(row.weekday, row.start_time, row.end_time) for row in rows]

    async def replace_windows(self, doctor_id: int, windows: list[Window]) -> None:
        w = consult_windows.c
        await self.conn.execute(consult_windows.delete().where(w.doctor_id == doctor_id))
        if windows:
            await self.conn.execute(
                consult_windows.insert(),
                [
                    {
                        "doctor_id": doctor_id,
                        "weekday": x.weekday,
                        "start_time": x.start,
                        "end_time": x.end,
                    }
                    for x in windows
                ],
            )

    async def exceptions(self, doctor_id: int, since: date) -> list[WindowException]:
        e = consult_exceptions.c
        rows = await self.conn.execute(
            sa.select(consult_exceptions)
            .where(e.doctor_id == doctor_id, e.day >= since)
            .order_by(e.day, e.start_time)
        )
        return [WindowException(r.day, r.available, r.start_time, r.end_time) for r in rows]

    async def add_exception(self, doctor_id: int, exception: WindowException) -> None:
        await self.conn.execute(
            consult_exceptions.insert().values(
                doctor_id=doctor_id,
                day=exception.day,
                available=exception.available,
                start_time=exception.start,
                end_time=exception.end,
            )
        )

    async def remove_exceptions(self, doctor_id: int, day: date) -> None:
        e = consult_exceptions.c
        await self.conn.execute(
            consult_exceptions.delete().where(e.doctor_id == doctor_id, e.day == day)
        )

    async def numbers(self, doctor_id: int) -> list[str]:
        n = consult_numbers.c
        rows = await self.conn.execute(
            sa.select(n.number).where(n.doctor_id == doctor_id).order_by(n.position)
        )
        return [row.number for row in rows]

    async def replace_numbers(self, doctor_id: int, numbers: list[str]) -> None:
        n = consult_numbers.c
        await self.conn.execute(consult_numbers.delete().where(n.doctor_id == doctor_id))
        if numbers:
            await self.conn.execute(
                consult_numbers.insert(),
                [
                    {"doctor_id": doctor_id, "position": i, "number": number}
                    for i, number in enumerate(numbers)
                ],
            )

    async def add(self, record: Consultation) -> int:
        result = await self.conn.execute(
            consultations.insert().values(
                doctor_id=record.doctor_id,
                patient_id=record.patient_id,
                member_card_id=record.member_card_id,
                call_id=record.call_id,
                started_at=record.started_at,
                seconds=0,
                charge_fen=0,
                outcome=record.outcome.value,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    async def get(self, consultation_id: int) -> Consultation | None:
        row = (
            await self.conn.execute(sa.select(consultations).where(c.id == consultation_id))
        ).first()
        return None if row is None else _consultation(row)

    async def update(self, consultation_id: int, **values: Any) -> None:
        await self.conn.execute(
            consultations.update().where(c.id == consultation_id).values(**values)
        )

    async def in_progress_since(self, doctor_id: int, since: datetime) -> bool:
        found = await self.conn.scalar(
            sa.select(c.id)
            .where(
                c.doctor_id == doctor_id,
                c.outcome.in_([Outcome.RINGING.value, Outcome.CONNECTED.value]),
                c.started_at >= since,
            )
            .limit(1)
        )
        return found is not None

    async def for_doctor(self, doctor_id: int, limit: int = 100) -> list[Consultation]:
        rows = await self.conn.execute(
            sa.select(consultations)
            .where(c.doctor_id == doctor_id)
            .order_by(c.started_at.desc())
            .limit(limit)
        )
        return [_consultation(row) for row in rows]

    async def latest(self, limit: int = 100) -> list[Consultation]:
        rows = await self.conn.execute(
            sa.select(consultations).order_by(c.started_at.desc(), c.id.desc()).limit(limit)
        )
        return [_consultation(row) for row in rows]

    async def started_before(self, cutoff: datetime, limit: int = 500) -> list[Consultation]:
        rows = await self.conn.execute(
            sa.select(consultations).where(c.started_at < cutoff).order_by(c.id).limit(limit)
        )
        return [_consultation(row) for row in rows]

    async def delete(self, ids: list[int]) -> None:
        if ids:
            await self.conn.execute(consultations.delete().where(c.id.in_(ids)))
