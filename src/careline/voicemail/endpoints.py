"""HTTP routes of voicemail: the doctor's inbox as JSON; the pages live in pages.py."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from careline.voicemail import inbox
from careline.voicemail.model import MessageStatus, VoiceMessage
from careline.voicemail.pages import DoctorStaff, doctor_of
from careline.voicemail.pages import pages as pages
from careline.web.deps import AppClock, Uow

api = APIRouter(prefix="/api/v1/voicemail", tags=["voicemail"])


class InboxMessageRead(BaseModel):
    """A message in the doctor's inbox (the caller's number is never included)."""

    id: int
    number: str
    created_at: str
    status: MessageStatus
    caller_name: str
    replied: bool
    audio_url: str


class StatusChange(BaseModel):
    status: MessageStatus


@api.get("/inbox", response_model=list[InboxMessageRead])
async def list_inbox(uow: Uow, staff: DoctorStaff, all: bool = False) -> list[InboxMessageRead]:  # noqa: A002
    """The signed-in doctor's messages, newest first."""
    entries = await inbox.list_inbox(uow, doctor_id=doctor_of(staff), include_done=all)
    return [_read(e.message, e.caller_name) for e in entries]


@api.post("/inbox/{message_id}/status", response_model=InboxMessageRead)
async def change_status(
    message_id: int, change: StatusChange, uow: Uow, staff: DoctorStaff, clock: AppClock
) -> InboxMessageRead:
    """Mark one of the doctor's messages heard, saved, done or deleted."""
    doctor_id = doctor_of(staff)
    entry = await inbox.get_doctor_message(uow, doctor_id=doctor_id, message_id=message_id)
    message = await inbox.mark_message(
        uow, doctor_id=doctor_id, message_id=message_id, status=change.status, clock=clock
    )
    return _read(message, entry.caller_name)


def _read(message: VoiceMessage, caller_name: str) -> InboxMessageRead:
    return InboxMessageRead(
        id=message.id,
        number=message.number,
        created_at=message.created_at.isoformat(),
        status=message.status,
        caller_name=caller_name,
        replied=message.answered,
        audio_url=f"/doctor/voicemail/{message.id}/audio",
    )
