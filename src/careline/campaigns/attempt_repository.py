"""SQL of campaign attempts: claiming, leases and outcomes (SQLite and PostgreSQL).

Claiming: a worker selects due attempts of running campaigns (``FOR UPDATE SKIP LOCKED``
on PostgreSQL) and moves them to ``claimed`` with a lease in one conditional ``UPDATE ...
RETURNING``; on SQLite the single writer makes that update the arbiter. A worker that dies
mid-call leaves its rows claimed; they become due again when the lease passes. Finishing
checks that the row is still held by the same worker, so a worker whose lease was taken
over cannot record twice, and the unique (target, number) pair keeps a retry single.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.campaigns.model import CampaignStatus, Channel, TargetStatus
from careline.campaigns.records import ClaimedAttempt
from careline.campaigns.repository import target_from_row
from careline.campaigns.retry import AttemptState
from careline.campaigns.tables import (
    campaign_attempts as _ATT,
)
from careline.campaigns.tables import (
    campaign_targets as _T,
)
from careline.campaigns.tables import (
    campaigns as _C,
)


class AttemptRepository:
    """Attempts of campaign targets: first attempts, claims, leases and outcomes."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

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
            ClaimedAttempt(held[row.id][0], held[row.id][1], target_from_row(row), lease_until)
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

    async def close_open_attempts(self, campaign_id: int, now: datetime) -> None:
        """End the due attempts of a finished campaign so no worker claims them."""
        await self.conn.execute(
            _ATT.update()
            .where(_ATT.c.campaign_id == campaign_id, _ATT.c.state == AttemptState.DUE.value)
            .values(state=AttemptState.DONE.value, outcome="cancelled", ended_at=now)
        )

    async def attempts(self, campaign_id: int) -> list[dict[str, Any]]:
        """Every attempt of a campaign (for tests, export and troubleshooting)."""
        query = sa.select(_ATT).where(_ATT.c.campaign_id == campaign_id).order_by(_ATT.c.id)
        return [dict(row._mapping) for row in await self.conn.execute(query)]
