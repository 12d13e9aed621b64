"""All SQL of the IVR: call records and remembered languages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.ivr.model import CallRecord, Outcome
from careline.ivr.tables import ivr_call_records as records
from careline.ivr.tables import ivr_caller_languages as languages


def _record(row: Any) -> CallRecord:
    return CallRecord(
        call_id=row.call_id,
        caller=row.caller,
        started_at=row.started_at,
        ended_at=row.ended_at,
        language=row.language,
        outcome=Outcome(row.outcome),
        path=tuple(row.path),
        keys=row.keys,
        prompts=tuple(row.prompts),
        patient_id=row.patient_id,
        member_card=row.member_card,
        id=row.id,
    )


class IvrRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add_record(self, record: CallRecord) -> None:
        await self.conn.execute(
            records.insert().values(
                call_id=record.call_id,
                caller=record.caller,
                started_at=record.started_at,
                ended_at=record.ended_at,
                language=record.language,
                outcome=record.outcome.value,
                path=list(record.path),
                keys=record.keys[:500],
                prompts=list(record.prompts),
                patient_id=record.patient_id,
                member_card=record.member_card,
            )
        )

    async def list_records(
        self, *, outcome: Outcome | None, limit: int, offset: int
    ) -> list[CallRecord]:
        query = sa.select(records).order_by(records.c.started_at.desc(), records.c.id.desc())
        if outcome is not None:
            query = query.where(records.c.outcome == outcome.value)
        rows = await self.conn.execute(query.limit(limit).offset(offset))
        return [_record(row) for row in rows]

    async def by_call_id(self, call_id: str) -> CallRecord | None:
        row = (
            await self.conn.execute(sa.select(records).where(records.c.call_id == call_id))
        ).first()
        return None if row is None else _record(row)

    async def outcome_counts(self, since: datetime) -> dict[str, int]:
        rows = await self.conn.execute(
            sa.select(records.c.outcome, sa.func.count())
            .where(records.c.started_at >= since)
            .group_by(records.c.outcome)
        )
        return {str(outcome): int(count) for outcome, count in rows}

    async def language_of(self, caller: str) -> str | None:
        found = await self.conn.scalar(
            sa.select(languages.c.language).where(languages.c.caller == caller)
        )
        return None if found is None else str(found)

    async def set_language(self, caller: str, language: str, at: datetime) -> None:
        updated = await self.conn.execute(
            languages.update()
            .where(languages.c.caller == caller)
            .values(language=language, updated_at=at)
        )
        if updated.rowcount == 0:
            await self.conn.execute(
                languages.insert().values(caller=caller, language=language, updated_at=at)
            )
