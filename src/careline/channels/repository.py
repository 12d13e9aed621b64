"""All SQL of the channels context."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.channels import tables as t
from careline.channels.email.parsing import ParsedEmail
from careline.channels.model import Channel, InboundStatus, MessageState, OutboundMessage
from careline.channels.ports import DeliveryReport, InboundSms, ReceivedAttachment

_M = t.channel_messages
_P = t.channel_message_parts


def _message(row: Any) -> OutboundMessage:
    return OutboundMessage(
        id=row.id,
        channel=Channel(row.channel),
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        state=MessageState(row.state),
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        template=row.template,
        template_params=tuple(row.template_params or ()),
        language=row.language,
        provider=row.provider,
        provider_message_id=row.provider_message_id,
        last_error=row.last_error,
        sent_at=row.sent_at,
        delivered_at=row.delivered_at,
    )


class ChannelRepository:
    """Store and find outgoing messages, their parts, and received mail and SMS."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add_message(
        self,
        *,
        channel: Channel,
        recipient: str,
        subject: str,
        body: str,
        template: str | None,
        template_params: Sequence[str],
        language: str,
        now: datetime,
    ) -> OutboundMessage:
        """Insert a queued message due now."""
        result = await self.conn.execute(
            _M.insert().returning(*_M.c),
            {
                "channel": channel.value,
                "recipient": recipient,
                "subject": subject,
                "body": body,
                "template": template,
                "template_params": list(template_params),
                "language": language,
                "state": MessageState.QUEUED.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            },
        )
        return _message(result.one())

    async def get(self, message_id: int) -> OutboundMessage | None:
        """Return one message by id."""
        row = (await self.conn.execute(sa.select(_M).where(_M.c.id == message_id))).first()
        return None if row is None else _message(row)

    async def claim_due(
        self, *, channel: Channel, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboundMessage]:
        """Take up to ``limit`` due queued messages, hiding them until ``lease_until``.

        A worker that dies mid-send leaves the message queued; it is tried again once the
        lease passes. PostgreSQL skips rows another worker holds.
        """
        query = (
            sa.select(_M.c.id)
            .where(
                _M.c.channel == channel.value,
                _M.c.state == MessageState.QUEUED.value,
                _M.c.next_attempt_at <= now,
            )
            .order_by(_M.c.next_attempt_at, _M.c.id)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list((await self.conn.execute(query)).scalars())
        if not ids:
            return []
        await self.conn.execute(
            _M.update().where(_M.c.id.in_(ids)).values(next_attempt_at=lease_until, updated_at=now)
        )
        rows = await self.conn.execute(sa.select(_M).where(_M.c.id.in_(ids)).order_by(_M.c.id))
        return [_message(row) for row in rows]

    async def update(self, message_id: int, **values: Any) -> None:
        """Change columns of one message."""
        await self.conn.execute(_M.update().where(_M.c.id == message_id).values(**values))

    async def add_parts(self, message_id: int, provider: str, ids: Sequence[str]) -> None:
        """Record the provider's id of every part of a message."""
        await self.conn.execute(
            _P.insert(),
            [
                {
                    "message_id": message_id,
                    "part_number": number,
                    "provider": provider,
                    "provider_message_id": provider_id,
                }
                for number, provider_id in enumerate(ids, start=1)
            ],
        )

    async def mark_part(
        self, provider: str, provider_message_id: str, *, delivered: bool, status: str
    ) -> int | None:
        """Record a receipt on a part; return its message id, or None for an unknown id."""
        where = (_P.c.provider == provider, _P.c.provider_message_id == provider_message_id)
        found = (await self.conn.execute(sa.select(_P.c.message_id).where(*where))).first()
        if found is None:
            return None
        await self.conn.execute(
            _P.update().where(*where).values(delivered=delivered, status=status[:16])
        )
        return int(found.message_id)

    async def add_early_receipt(self, report: DeliveryReport, *, now: datetime) -> None:
        """Keep a receipt whose message is not stored yet."""
        await self.conn.execute(
            t.channel_early_receipts.insert(),
            {
                "provider": report.provider,
                "provider_message_id": report.message_id,
                "delivered": report.delivered,
                "status": report.status[:16],
                "received_at": now,
            },
        )

    async def take_matched_early_receipts(self) -> list[DeliveryReport]:
        """Remove and return kept receipts whose part is now stored."""
        e = t.channel_early_receipts
        matched = (
            sa.select(e)
            .join(
                _P,
                sa.and_(
                    _P.c.provider == e.c.provider,
                    _P.c.provider_message_id == e.c.provider_message_id,
                ),
            )
            .order_by(e.c.id)
            .limit(500)
        )
        rows = (await self.conn.execute(matched)).all()
        if rows:
            await self.conn.execute(e.delete().where(e.c.id.in_([r.id for r in rows])))
        return [
            DeliveryReport(r.provider, r.provider_message_id, r.delivered, r.status) for r in rows
        ]

    async def delete_early_receipts_before(self, moment: datetime) -> int:
        """Drop kept receipts received before ``moment``; return how many."""
        e = t.channel_early_receipts
        result = await self.conn.execute(e.delete().where(e.c.received_at < moment))
        return int(result.rowcount or 0)

    async def part_outcomes(self, message_id: int) -> list[bool | None]:
        """Return each part's delivered flag (None while no receipt came)."""
        rows = await self.conn.execute(
            sa.select(_P.c.delivered).where(_P.c.message_id == message_id)
        )
        return [row.delivered for row in rows]

    async def list_messages(
        self, *, state: MessageState | None = None, limit: int = 100
    ) -> list[OutboundMessage]:
        """Return recent messages, newest first."""
        query = sa.select(_M).order_by(_M.c.id.desc()).limit(limit)
        if state is not None:
            query = query.where(_M.c.state == state.value)
        return [_message(row) for row in await self.conn.execute(query)]

    async def add_inbound_email(
        self, *, raw: bytes, via: str, parsed: ParsedEmail, now: datetime
    ) -> int:
        """Store a received email and its attachments; return its id."""
        status = InboundStatus.MALFORMED if parsed.malformed else InboundStatus.RECEIVED
        result = await self.conn.execute(
            t.inbound_emails.insert().returning(t.inbound_emails.c.id),
            {
                "received_at": now,
                "via": via,
                "mail_from": parsed.mail_from[:320],
                "recipients": ",".join(parsed.recipients),
                "subject": parsed.subject[:1000],
                "message_id_header": (parsed.message_id or "")[:1000] or None,
                "in_reply_to": (parsed.in_reply_to or "")[:1000] or None,
                "ticket_token": parsed.ticket_token,
                "body_text": parsed.text,
                "raw": raw,
                "status": status.value,
                "reason": parsed.malformed,
            },
        )
        email_id = int(result.scalar_one())
        if parsed.attachments:
            await self.conn.execute(
                t.inbound_email_attachments.insert(),
                [
                    {
                        "email_id": email_id,
                        "filename": item.filename[:255],
                        "content_type": item.content_type[:127],
                        "size": item.size,
                        "data": item.data,
                        "refused_reason": item.refused_reason,
                    }
                    for item in parsed.attachments
                ],
            )
        return email_id

    async def set_inbound_email_status(
        self, email_id: int, status: InboundStatus, reason: str | None
    ) -> None:
        """Record what became of a received email."""
        await self.conn.execute(
            t.inbound_emails.update()
            .where(t.inbound_emails.c.id == email_id)
            .values(status=status.value, reason=(reason or None))
        )

    async def inbound_email(self, email_id: int) -> dict[str, Any] | None:
        """Return a stored email's columns (for review pages and tests)."""
        row = (
            await self.conn.execute(
                sa.select(t.inbound_emails).where(t.inbound_emails.c.id == email_id)
            )
        ).first()
        return None if row is None else dict(row._mapping)

    async def recent_inbound_emails(self, *, limit: int) -> list[dict[str, Any]]:
        """Return stored emails' columns, newest first."""
        rows = await self.conn.execute(
            sa.select(t.inbound_emails).order_by(t.inbound_emails.c.id.desc()).limit(limit)
        )
        return [dict(row._mapping) for row in rows]

    async def inbound_attachments(self, email_id: int) -> list[ReceivedAttachment]:
        """Return a stored email's attachments in order."""
        a = t.inbound_email_attachments
        rows = await self.conn.execute(
            sa.select(a).where(a.c.email_id == email_id).order_by(a.c.id)
        )
        return [
            ReceivedAttachment(r.filename, r.content_type, r.size, r.data, r.refused_reason)
            for r in rows
        ]

    async def add_inbound_sms(self, sms: InboundSms, *, now: datetime) -> int:
        """Store a received SMS; return its id."""
        result = await self.conn.execute(
            t.inbound_sms.insert().returning(t.inbound_sms.c.id),
            {
                "received_at": now,
                "provider": sms.provider,
                "sender": sms.sender[:32],
                "recipient": sms.recipient[:32],
                "text": sms.text,
                "status": InboundStatus.RECEIVED.value,
            },
        )
        return int(result.scalar_one())

    async def set_inbound_sms_status(
        self, sms_id: int, status: InboundStatus, reason: str | None
    ) -> None:
        """Record what became of a received SMS."""
        await self.conn.execute(
            t.inbound_sms.update()
            .where(t.inbound_sms.c.id == sms_id)
            .values(status=status.value, reason=reason or None)
        )
