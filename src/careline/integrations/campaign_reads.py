"""Read-only SQL over the campaigns tables, for FHIR CommunicationRequest.

This is a deliberate coupling: the campaigns context offers reads per campaign only, while
the FHIR face searches attempts across campaigns by patient, status and due time. These
queries only read ``campaigns``, ``campaign_targets`` and ``campaign_attempts``; a change
of those tables must be mirrored here (``tests/integration/integrations/
test_fhir_communication_request.py`` breaks when it is not).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.campaigns.model import MessageTemplate
from careline.campaigns.tables import campaign_attempts as _A
from careline.campaigns.tables import campaign_targets as _T
from careline.campaigns.tables import campaigns as _C
from careline.integrations.model import NOT_MADE, OPEN_STATES, PlannedContact

Bound = tuple[str, datetime]  # (">=" | ">" | "<=" | "<", moment)

_COLUMNS = (
    _A.c.id,
    _A.c.target_id,
    _A.c.campaign_id,
    _A.c.number,
    _A.c.state,
    _A.c.outcome,
    _A.c.due_at,
    _C.c.kind,
    _C.c.status.label("campaign_status"),
    _C.c.urgent,
    _C.c.starts_at,
    _C.c.body_zh,
    _C.c.body_en,
    _C.c.subject_zh,
    _C.c.subject_en,
    _T.c.patient_id,
    _T.c.channel,
    _T.c.language,
    _T.c.fields,
)


def _contact(row: Any) -> PlannedContact:
    return PlannedContact(
        attempt_id=row.id,
        target_id=row.target_id,
        campaign_id=row.campaign_id,
        campaign_kind=row.kind,
        campaign_status=row.campaign_status,
        urgent=bool(row.urgent),
        patient_id=row.patient_id,
        channel=row.channel,
        language=row.language,
        fields={str(k): str(v) for k, v in dict(row.fields).items()},
        template=MessageTemplate(row.body_zh, row.body_en, row.subject_zh, row.subject_en),
        number=row.number,
        state=row.state,
        outcome=row.outcome,
        due_at=row.due_at,
        started_at=row.starts_at,
    )


def _status_is(status: str) -> sa.ColumnElement[bool]:
    """The SQL form of ``model.request_status`` (kept in step with it)."""
    is_open = _A.c.state.in_(OPEN_STATES)
    match status:
        case "active":
            return sa.and_(is_open, _C.c.status == "running")
        case "on-hold":
            return sa.and_(is_open, _C.c.status == "paused")
        case "revoked":
            return sa.or_(
                sa.and_(is_open, _C.c.status.not_in(["running", "paused"])),
                sa.and_(~is_open, _A.c.outcome.in_(NOT_MADE)),
            )
        case "completed":
            made = sa.or_(_A.c.outcome.is_(None), _A.c.outcome.not_in(NOT_MADE))
            return sa.and_(~is_open, made)
    return sa.false()


_OPERATORS = {
    ">=": lambda c, v: c >= v,
    ">": lambda c, v: c > v,
    "<=": lambda c, v: c <= v,
    "<": lambda c, v: c < v,
}


class CampaignReadRepository:
    """Campaign attempts with their target and campaign, read only."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    def _query(self) -> sa.Select[Any]:
        return (
            sa.select(*_COLUMNS)
            .select_from(_A)
            .join(_T, _T.c.id == _A.c.target_id)
            .join(_C, _C.c.id == _A.c.campaign_id)
        )

    async def contact(self, attempt_id: int) -> PlannedContact | None:
        """Return one attempt, or None."""
        row = (await self.conn.execute(self._query().where(_A.c.id == attempt_id))).first()
        return None if row is None else _contact(row)

    async def contacts(
        self,
        *,
        patient_id: int | None = None,
        statuses: Sequence[str] = (),
        occurrence: Sequence[Bound] = (),
        limit: int,
        offset: int = 0,
    ) -> list[PlannedContact]:
        """Return attempts by patient, CommunicationRequest status and due time, by due time."""
        query = self._query().order_by(_A.c.due_at, _A.c.id).limit(limit).offset(offset)
        if patient_id is not None:
            query = query.where(_T.c.patient_id == patient_id)
        if statuses:
            query = query.where(sa.or_(*[_status_is(s) for s in statuses]))
        for operator, moment in occurrence:
            query = query.where(_OPERATORS[operator](_A.c.due_at, moment))
        return [_contact(row) for row in await self.conn.execute(query)]
