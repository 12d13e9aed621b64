"""All SQL of the complaints context."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.complaints.model import (
    Attachment,
    EventKind,
    FeedbackChannel,
    Ticket,
    TicketDraft,
    TicketEvent,
    TicketKind,
    TicketSource,
    TicketStatus,
)
from careline.complaints.routing import RoutingRule, join_keywords, parse_keywords
from careline.complaints.tables import (
    complaint_attachments,
    complaint_escalations,
    complaint_events,
    complaint_number_days,
    complaint_routing_rules,
    complaint_tickets,
)

_T = complaint_tickets
_E = complaint_events
_A = complaint_attachments
_R = complaint_routing_rules
_N = complaint_number_days


def _ticket(row: sa.Row[Any]) -> Ticket:
    m = row._mapping
    return Ticket(
        id=m["id"],
        number=m["number"],
        kind=TicketKind(m["kind"]),
        source=TicketSource(m["source"]),
        status=TicketStatus(m["status"]),
        subject=m["subject"],
        body=m["body"],
        category=m["category"],
        named_department_id=m["named_department_id"],
        doctor_id=m["doctor_id"],
        queue_department_id=m["queue_department_id"],
        patient_id=m["patient_id"],
        contact_name=m["contact_name"],
        contact_phone=m["contact_phone"],
        contact_email=m["contact_email"],
        feedback_channel=FeedbackChannel(m["feedback_channel"]),
        language=m["language"],
        recording_path=m["recording_path"],
        multi_department=m["multi_department"],
        first_contact_staff_id=m["first_contact_staff_id"],
        assignee_staff_id=m["assignee_staff_id"],
        escalation_level=m["escalation_level"],
        received_at=m["received_at"],
        first_response_due_at=m["first_response_due_at"],
        first_responded_at=m["first_responded_at"],
        resolution_due_at=m["resolution_due_at"],
        resolved_at=m["resolved_at"],
        paused_at=m["paused_at"],
        next_escalation_at=m["next_escalation_at"],
        warn_at=m["warn_at"],
        merged_into_id=m["merged_into_id"],
        version=m["version"],
    )


def _event(row: sa.Row[Any]) -> TicketEvent:
    m = row._mapping
    return TicketEvent(
        id=m["id"],
        ticket_id=m["ticket_id"],
        at=m["at"],
        kind=EventKind(m["kind"]),
        staff_id=m["staff_id"],
        from_status=TicketStatus(m["from_status"]) if m["from_status"] else None,
        to_status=TicketStatus(m["to_status"]) if m["to_status"] else None,
        body=m["body"],
        reason=m["reason"],
    )


def _rule(row: sa.Row[Any]) -> RoutingRule:
    m = row._mapping
    return RoutingRule(
        id=m["id"],
        target_department_id=m["target_department_id"],
        priority=m["priority"],
        kind=TicketKind(m["kind"]) if m["kind"] else None,
        category=m["category"],
        department_id=m["department_id"],
        doctor_id=m["doctor_id"],
        keywords=parse_keywords(m["keywords"]),
        active=m["active"],
    )


class ComplaintRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    @property
    def _postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    # -- numbers -------------------------------------------------------------------------

    async def next_sequence(self, day: date) -> int:
        """Take the next ticket sequence of ``day``; the row lock orders concurrent takers."""
        bumped = await self.conn.execute(
            _N.update()
            .where(_N.c.day == day)
            .values(last_sequence=_N.c.last_sequence + 1)
            .returning(_N.c.last_sequence)
        )
        value = bumped.scalar_one_or_none()
        if value is not None:
            return int(value)
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(_N.insert().values(day=day, last_sequence=1))
            return 1
        except sa.exc.IntegrityError:
            # Another ticket took the day's first number at the same moment.
            return await self.next_sequence(day)

    # -- tickets -------------------------------------------------------------------------

    async def add(self, draft: TicketDraft, **values: Any) -> Ticket:
        """Insert a ticket from ``draft`` plus computed columns; return it."""
        row = {
            "kind": draft.kind.value,
            "source": draft.source.value,
            "subject": draft.subject,
            "body": draft.body,
            "category": draft.category,
            "named_department_id": draft.department_id,
            "doctor_id": draft.doctor_id,
            "patient_id": draft.patient_id,
            "contact_name": draft.contact_name,
            "contact_phone": draft.contact_phone,
            "contact_email": draft.contact_email,
            "feedback_channel": draft.feedback_channel.value,
            "language": draft.language,
            "recording_path": draft.recording_path,
            "multi_department": draft.multi_department,
            "first_contact_staff_id": draft.first_contact_staff_id,
            "email_message_id": draft.email_message_id,
            "escalation_level": 0,
            "version": 1,
            **values,
        }
        result = await self.conn.execute(_T.insert().returning(*_T.c), row)
        return _ticket(result.one())

    async def get(self, ticket_id: int) -> Ticket | None:
        row = (await self.conn.execute(sa.select(_T).where(_T.c.id == ticket_id))).first()
        return None if row is None else _ticket(row)

    async def get_by_number(self, number: str) -> Ticket | None:
        row = (await self.conn.execute(sa.select(_T).where(_T.c.number == number))).first()
        return None if row is None else _ticket(row)

    async def find_by_email_message_id(self, message_ids: Sequence[str]) -> Ticket | None:
        """Return the ticket first opened by one of these email Message-IDs."""
        if not message_ids:
            return None
        query = sa.select(_T).where(_T.c.email_message_id.in_(list(message_ids))).limit(1)
        row = (await self.conn.execute(query)).first()
        return None if row is None else _ticket(row)

    async def update(self, ticket: Ticket, *, now: datetime, **values: Any) -> bool:
        """Change a ticket if nobody changed it since it was read; tell whether it was."""
        result = await self.conn.execute(
            _T.update()
            .where(_T.c.id == ticket.id, _T.c.version == ticket.version)
            .values(**values, version=ticket.version + 1, updated_at=now)
        )
        return result.rowcount == 1

    async def list_tickets(
        self,
        *,
        department_id: int | None = None,
        office: bool = False,
        statuses: Sequence[TicketStatus] = (),
        patient_id: int | None = None,
        min_level: int | None = None,
        overdue_at: datetime | None = None,
        limit: int = 100,
    ) -> list[Ticket]:
        """Return tickets matching every given filter, oldest first."""
        query = sa.select(_T)
        if office:
            query = query.where(_T.c.queue_department_id.is_(None))
        elif department_id is not None:
            query = query.where(_T.c.queue_department_id == department_id)
        if statuses:
            query = query.where(_T.c.status.in_([s.value for s in statuses]))
        if patient_id is not None:
            query = query.where(_T.c.patient_id == patient_id)
        if min_level is not None:
            query = query.where(_T.c.escalation_level >= min_level)
        if overdue_at is not None:
            query = query.where(
                sa.or_(
                    _T.c.resolution_due_at <= overdue_at,
                    sa.and_(
                        _T.c.first_responded_at.is_(None),
                        _T.c.first_response_due_at <= overdue_at,
                    ),
                )
            )
        query = query.order_by(_T.c.received_at, _T.c.id).limit(limit)
        return [_ticket(row) for row in await self.conn.execute(query)]

    async def due_ticket_ids(self, column: str, now: datetime, limit: int) -> list[int]:
        """Return ids of tickets whose ``column`` (a due time) has passed (no claim yet)."""
        due = _T.c[column]
        query = (
            sa.select(_T.c.id)
            .where(due.is_not(None), due <= now)
            .order_by(due, _T.c.id)
            .limit(limit)
        )
        return [int(value) for value in (await self.conn.execute(query)).scalars()]

    async def claim_due(self, ticket_id: int, column: str, now: datetime) -> Ticket | None:
        """Return the ticket if its ``column`` is still due, locking it on PostgreSQL.

        ``SKIP LOCKED``: a ticket another node is escalating right now is left to it.
        """
        due = _T.c[column]
        query = sa.select(_T).where(_T.c.id == ticket_id, due.is_not(None), due <= now)
        if self._postgres:
            query = query.with_for_update(skip_locked=True)
        row = (await self.conn.execute(query)).first()
        return None if row is None else _ticket(row)

    # -- events and escalations ---------------------------------------------------------

    async def add_event(
        self,
        ticket_id: int,
        kind: EventKind,
        *,
        at: datetime,
        staff_id: int | None,
        from_status: TicketStatus | None = None,
        to_status: TicketStatus | None = None,
        body: str = "",
        reason: str = "",
    ) -> None:
        """Append one line to a ticket's history."""
        await self.conn.execute(
            _E.insert().values(
                ticket_id=ticket_id,
                at=at,
                kind=kind.value,
                staff_id=staff_id,
                from_status=from_status.value if from_status else None,
                to_status=to_status.value if to_status else None,
                body=body,
                reason=reason,
            )
        )

    async def events(self, ticket_id: int) -> list[TicketEvent]:
        query = sa.select(_E).where(_E.c.ticket_id == ticket_id).order_by(_E.c.at, _E.c.id)
        return [_event(row) for row in await self.conn.execute(query)]

    async def add_escalation(
        self,
        ticket_id: int,
        level: int,
        *,
        automatic: bool,
        staff_id: int | None,
        reason: str,
        at: datetime,
    ) -> None:
        """Record that the ticket reached ``level`` (unique per ticket and level)."""
        await self.conn.execute(
            complaint_escalations.insert().values(
                ticket_id=ticket_id,
                level=level,
                automatic=automatic,
                staff_id=staff_id,
                reason=reason,
                at=at,
            )
        )

    async def escalation_levels(self, ticket_id: int) -> list[int]:
        query = (
            sa.select(complaint_escalations.c.level)
            .where(complaint_escalations.c.ticket_id == ticket_id)
            .order_by(complaint_escalations.c.level)
        )
        return [int(level) for level in (await self.conn.execute(query)).scalars()]

    # -- attachments ---------------------------------------------------------------------

    async def add_attachment(
        self,
        ticket_id: int,
        *,
        filename: str,
        content_type: str,
        size: int,
        data: bytes | None,
        refused_reason: str | None,
        at: datetime,
    ) -> None:
        await self.conn.execute(
            _A.insert().values(
                ticket_id=ticket_id,
                filename=filename,
                content_type=content_type,
                size=size,
                data=data,
                refused_reason=refused_reason,
                created_at=at,
            )
        )

    async def attachments(self, ticket_id: int) -> list[Attachment]:
        query = (
            sa.select(
                _A.c.id,
                _A.c.ticket_id,
                _A.c.filename,
                _A.c.content_type,
                _A.c.size,
                _A.c.refused_reason,
            )
            .where(_A.c.ticket_id == ticket_id)
            .order_by(_A.c.id)
        )
        return [Attachment(**row._mapping) for row in await self.conn.execute(query)]

    async def attachment_data(self, attachment_id: int) -> tuple[Attachment, bytes | None] | None:
        row = (await self.conn.execute(sa.select(_A).where(_A.c.id == attachment_id))).first()
        if row is None:
            return None
        m = row._mapping
        attachment = Attachment(
            m["id"],
            m["ticket_id"],
            m["filename"],
            m["content_type"],
            m["size"],
            m["refused_reason"],
        )
        return attachment, m["data"]

    async def move_attachments(self, from_ticket: int, to_ticket: int) -> None:
        await self.conn.execute(
            _A.update().where(_A.c.ticket_id == from_ticket).values(ticket_id=to_ticket)
        )

    # -- routing rules -------------------------------------------------------------------

    async def add_rule(self, rule: RoutingRule) -> int:
        result = await self.conn.execute(
            _R.insert().values(
                priority=rule.priority,
                kind=rule.kind.value if rule.kind else None,
                category=rule.category,
                department_id=rule.department_id,
                doctor_id=rule.doctor_id,
                keywords=join_keywords(rule.keywords),
                target_department_id=rule.target_department_id,
                active=rule.active,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    async def rules(self) -> list[RoutingRule]:
        query = sa.select(_R).order_by(_R.c.priority, _R.c.id)
        return [_rule(row) for row in await self.conn.execute(query)]

    async def delete_rule(self, rule_id: int) -> bool:
        result = await self.conn.execute(_R.delete().where(_R.c.id == rule_id))
        return result.rowcount == 1

    # -- reports -------------------------------------------------------------------------

    async def counts(
        self, *, start: datetime, end: datetime
    ) -> list[tuple[int | None, str, str, str, int]]:
        """Count tickets received in [start, end) by queue, category, kind and status."""
        keys = (_T.c.queue_department_id, _T.c.category, _T.c.kind, _T.c.status)
        query = (
            sa.select(*keys, sa.func.count())
            .where(_T.c.received_at >= start, _T.c.received_at < end)
            .group_by(*keys)
        )
        return [
            (row[0], row[1], row[2], row[3], int(row[4])) for row in await self.conn.execute(query)
        ]

    async def received_times(self, *, start: datetime, end: datetime) -> list[datetime]:
        query = sa.select(_T.c.received_at).where(_T.c.received_at >= start, _T.c.received_at < end)
        return list((await self.conn.execute(query)).scalars())
