"""SQL of stored check-up due dates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.campaigns.checkups import Checkup, CheckupSource
from careline.campaigns.tables import (
    campaign_checkups as _CHK,
)
from careline.patients.tables import patients


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
