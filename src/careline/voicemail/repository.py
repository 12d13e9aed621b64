"""All SQL of voicemail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.voicemail.model import VoiceMessage
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
            )
        )
        found = await self.by_number(message.number)
        assert found is not None
        return found[0]

    async def by_number(self, number: str) -> tuple[VoiceMessage, str] | None:
        row = (await self.conn.execute(sa.select(vm).where(vm.c.number == number))).first()
        return None if row is None else (_message(row), row.pin_hash)

    async def set_failed_pins(self, message_id: int, count: int) -> None:
        await self.conn.execute(vm.update().where(vm.c.id == message_id).values(failed_pins=count))

    async def set_reply(self, message_id: int, text: str, at: datetime) -> None:
        await self.conn.execute(
            vm.update().where(vm.c.id == message_id).values(reply_text=text, replied_at=at)
        )

    async def for_doctor(self, doctor_id: int, limit: int = 100) -> list[VoiceMessage]:
        rows = await self.conn.execute(
            sa.select(vm)
            .where(vm.c.doctor_id == doctor_id)
            .order_by(vm.c.created_at.desc())
            .limit(limit)
        )
        return [_message(row) for row in rows]
