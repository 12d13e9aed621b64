"""All SQL of voicemail."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.voicemail.model import (
    MessageStatus,
    NotifyBy,
    VoicemailBox,
    VoiceMessage,
)
from careline.voicemail.tables import voicemail_boxes as vb
from careline.voicemail.tables import voicemail_messages as vm


def _message(row: Any) -> VoiceMessage:
    return VoiceMessage(
        number=row.number,
        doctor_id=row.doctor_id,
        recording_path=row.recording_path,
        language=row.language,
        created_at=row.created_at,
        caller_phone=row.caller_phone,
        reply_text=row.reply_text,
        replied_at=row.replied_at,
        failed_pins=row.failed_pins,
        id=row.id,
        status=MessageStatus(row.status),
        reply_path=row.reply_path,
        heard_at=row.heard_at,
        done_at=row.done_at,
        notified_at=row.notified_at,
        flagged_at=row.flagged_at,
        reply_call=bool(row.reply_call),
        reply_call_attempts=row.reply_call_attempts,
        reply_called_at=row.reply_called_at,
    )


def _box(row: Any) -> VoicemailBox:
    return VoicemailBox(
        doctor_id=row.doctor_id,
        greeting_text=row.greeting_text,
        greeting_path=row.greeting_path,
        max_message_seconds=row.max_message_seconds,
        accepting=row.accepting,
        notify_by=NotifyBy(row.notify_by),
        notify_to=row.notify_to,
        has_pin=row.pin_hash is not None,
        failed_pins=row.failed_pins,
    )


class VoicemailRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def number_taken(self, number: str) -> bool:
        found = await self.conn.scalar(sa.select(vm.c.id).where(vm.c.number == number))
        return found is not None

    async def add(self, message: VoiceMessage, pin_hash: str) -> VoiceMessage:
        await self.conn.execute(
            vm.insert().values(
                number=message.number,
                doctor_id=message.doctor_id,
                caller_phone=message.caller_phone,
                recording_path=message.recording_path,
                pin_hash=pin_hash,
                language=message.language,
                created_at=message.created_at,
                reply_text="",
                failed_pins=0,
                status=MessageStatus.NEW.value,
            )
        )
        found = await self.by_number(message.number)
        assert found is not None
        return found[0]

    async def by_number(self, number: str) -> tuple[VoiceMessage, str] | None:
        row = (await self.conn.execute(sa.select(vm).where(vm.c.number == number))).first()
        return None if row is None else (_message(row), row.pin_hash)

    async def by_id(self, message_id: int) -> VoiceMessage | None:
        row = (await self.conn.execute(sa.select(vm).where(vm.c.id == message_id))).first()
        return None if row is None else _message(row)

    async def set_failed_pins(self, message_id: int, count: int) -> None:
        await self.conn.execute(vm.update().where(vm.c.id == message_id).values(failed_pins=count))

    async def set_reply(self, message_id: int, text: str, at: datetime) -> None:
        await self.conn.execute(
            vm.update().where(vm.c.id == message_id).values(reply_text=text, replied_at=at)
        )

    async def set_reply_recording(self, message_id: int, path: str, at: datetime) -> None:
        await self.conn.execute(
            vm.update().where(vm.c.id == message_id).values(reply_path=path, replied_at=at)
        )

    async def set_reply_call(self, message_id: int, wanted: bool) -> None:
        await self.conn.execute(vm.update().where(vm.c.id == message_id).values(reply_call=wanted))

    async def reply_calls_due(self, max_attempts: int, limit: int) -> list[VoiceMessage]:
        """Replies ready whose caller asked for a call not yet made (or given up on)."""
        rows = await self.conn.execute(
            sa.select(vm)
            .where(
                vm.c.reply_call.is_(True),
                vm.c.replied_at.is_not(None),
                vm.c.reply_called_at.is_(None),
                vm.c.reply_call_attempts < max_attempts,
                vm.c.status != MessageStatus.DELETED.value,
            )
            .order_by(vm.c.replied_at, vm.c.id)
            .limit(limit)
        )
        return [_message(row) for row in rows]

    async def count_reply_call(self, message_id: int, at: datetime | None) -> None:
        await self.conn.execute(
            vm.update()
            .where(vm.c.id == message_id)
            .values(reply_call_attempts=vm.c.reply_call_attempts + 1, reply_called_at=at)
        )

    async def set_status(self, message_id: int, status: MessageStatus, at: datetime) -> None:
        values: dict[str, Any] = {"status": status.value}
        if status is MessageStatus.HEARD:
            values["heard_at"] = at
        if status is MessageStatus.DONE:
            values["done_at"] = at
        await self.conn.execute(vm.update().where(vm.c.id == message_id).values(**values))

    async def for_doctor(
        self,
        doctor_id: int,
        limit: int = 100,
        statuses: Collection[MessageStatus] | None = None,
    ) -> list[VoiceMessage]:
        query = sa.select(vm).where(vm.c.doctor_id == doctor_id)
        if statuses is not None:
            query = query.where(vm.c.status.in_([s.value for s in statuses]))
        rows = await self.conn.execute(query.order_by(vm.c.created_at.desc()).limit(limit))
        return [_message(row) for row in rows]

    async def unnotified(self, limit: int = 500) -> list[VoiceMessage]:
        rows = await self.conn.execute(
            sa.select(vm)
            .where(vm.c.notified_at.is_(None), vm.c.status == MessageStatus.NEW.value)
            .order_by(vm.c.id)
            .limit(limit)
        )
        return [_message(row) for row in rows]

    async def mark_notified(self, message_ids: Collection[int], at: datetime) -> None:
        if message_ids:
            await self.conn.execute(
                vm.update().where(vm.c.id.in_(list(message_ids))).values(notified_at=at)
            )

    async def open_unflagged(self, created_before: datetime) -> list[VoiceMessage]:
        open_ones = [MessageStatus.NEW.value, MessageStatus.HEARD.value, MessageStatus.SAVED.value]
        rows = await self.conn.execute(
            sa.select(vm).where(
                vm.c.flagged_at.is_(None),
                vm.c.replied_at.is_(None),
                vm.c.status.in_(open_ones),
                vm.c.created_at < created_before,
            )
        )
        return [_message(row) for row in rows]

    async def mark_flagged(self, message_ids: Collection[int], at: datetime) -> None:
        if message_ids:
            await self.conn.execute(
                vm.update().where(vm.c.id.in_(list(message_ids))).values(flagged_at=at)
            )

    async def flagged_for_doctors(self, doctor_ids: Collection[int]) -> list[VoiceMessage]:
        rows = await self.conn.execute(
            sa.select(vm)
            .where(
                vm.c.flagged_at.is_not(None),
                vm.c.replied_at.is_(None),
                vm.c.status != MessageStatus.DELETED.value,
                vm.c.status != MessageStatus.DONE.value,
                vm.c.doctor_id.in_(list(doctor_ids)),
            )
            .order_by(vm.c.created_at)
        )
        return [_message(row) for row in rows]

    async def created_before(self, cutoff: datetime, limit: int = 500) -> list[VoiceMessage]:
        rows = await self.conn.execute(
            sa.select(vm).where(vm.c.created_at < cutoff).order_by(vm.c.id).limit(limit)
        )
        return [_message(row) for row in rows]

    async def delete(self, message_ids: Collection[int]) -> None:
        if message_ids:
            await self.conn.execute(vm.delete().where(vm.c.id.in_(list(message_ids))))

    async def box(self, doctor_id: int) -> tuple[VoicemailBox, str | None] | None:
        row = (await self.conn.execute(sa.select(vb).where(vb.c.doctor_id == doctor_id))).first()
        return None if row is None else (_box(row), row.pin_hash)

    async def boxes(self, doctor_ids: Collection[int]) -> dict[int, VoicemailBox]:
        rows = await self.conn.execute(sa.select(vb).where(vb.c.doctor_id.in_(list(doctor_ids))))
        return {row.doctor_id: _box(row) for row in rows}

    async def save_box(self, box: VoicemailBox, at: datetime) -> None:
        values = {
            "greeting_text": box.greeting_text,
            "greeting_path": box.greeting_path,
            "max_message_seconds": box.max_message_seconds,
            "accepting": box.accepting,
            "notify_by": box.notify_by.value,
            "notify_to": box.notify_to,
            "updated_at": at,
        }
        updated = await self.conn.execute(
            vb.update().where(vb.c.doctor_id == box.doctor_id).values(**values)
        )
        if updated.rowcount == 0:
            await self.conn.execute(
                vb.insert().values(doctor_id=box.doctor_id, failed_pins=0, pin_hash=None, **values)
            )

    async def set_box_pin(self, doctor_id: int, pin_hash: str | None, failed: int) -> None:
        await self.conn.execute(
            vb.update()
            .where(vb.c.doctor_id == doctor_id)
            .values(pin_hash=pin_hash, failed_pins=failed)
        )
