"""The doctor's side of voicemail: the box, the inbox, statuses, replies, phone sign-in."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.directory.model import Doctor
from careline.kit.clock import Clock
from careline.patients.search import SearchKind, classify_query
from careline.patients.service import search_patients
from careline.voicemail.model import (
    OPEN_STATUSES,
    MessageLocked,
    MessageNotFound,
    MessageStatus,
    StatusChangeRefused,
    VoicemailBox,
    VoicemailPolicy,
    VoiceMessage,
    WrongPin,
    can_move,
    check_box,
    check_doctor_pin,
)
from careline.voicemail.repository import VoicemailRepository
from careline.voicemail.service import tell_patient_reply_ready

log = structlog.get_logger(__name__)
# Doctors' PINs are longer-lived than a message's: hash them at the library's default cost.
_HASHER = PasswordHasher()
DEFAULT_POLICY = VoicemailPolicy()


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """A message as the doctor sees it: with the caller's name when one patient matches."""

    message: VoiceMessage
    caller_name: str = ""
    patient_id: int | None = None


def _repo(uow: UnitOfWork) -> VoicemailRepository:
    return VoicemailRepository(uow.connection)


async def get_box(
    uow: UnitOfWork, *, doctor_id: int, policy: VoicemailPolicy = DEFAULT_POLICY
) -> VoicemailBox:
    """The doctor's box, or the hospital's defaults when the doctor never set one up."""
    found = await _repo(uow).box(doctor_id)
    if found is None:
        return VoicemailBox(doctor_id, max_message_seconds=policy.default_max_message_seconds)
    return found[0]


async def update_box(uow: UnitOfWork, *, box: VoicemailBox, clock: Clock) -> VoicemailBox:
    """Save the doctor's greeting, limits and notification preference."""
    await directory.get_doctor(uow, doctor_id=box.doctor_id, include_inactive=True)
    await _repo(uow).save_box(check_box(box), clock.now())
    await uow.commit()
    return await get_box(uow, doctor_id=box.doctor_id)


async def set_doctor_pin(uow: UnitOfWork, *, doctor_id: int, pin: str, clock: Clock) -> None:
    """Store a hash of the doctor's phone PIN (the PIN itself is never kept)."""
    pin_hash = await asyncio.to_thread(_HASHER.hash, check_doctor_pin(pin))
    repo = _repo(uow)
    if await repo.box(doctor_id) is None:
        await repo.save_box(await get_box(uow, doctor_id=doctor_id), clock.now())
    await repo.set_box_pin(doctor_id, pin_hash, 0)
    await uow.commit()


async def sign_in_doctor(uow: UnitOfWork, *, doctor_number: str, pin: str) -> Doctor:
    """Check a doctor number and PIN keyed on the phone; three wrong PINs lock the box."""
    doctor = await directory.doctor_by_number(uow, doctor_number=doctor_number)
    repo = _repo(uow)
    found = await repo.box(doctor.id)
    if found is None or found[1] is None:
        raise WrongPin("The PIN is not correct.", field="pin")
    box, pin_hash = found[0], found[1]
    if box.locked:
        raise MessageLocked("This voicemail box is locked after too many wrong PINs.")
    try:
        await asyncio.to_thread(_HASHER.verify, pin_hash, pin)
    except VerificationError:
        await repo.set_box_pin(doctor.id, pin_hash, box.failed_pins + 1)
        await uow.commit()
        raise WrongPin("The PIN is not correct.", field="pin") from None
    if box.failed_pins:
        await repo.set_box_pin(doctor.id, pin_hash, 0)
        await uow.commit()
    return doctor


async def unlock_box(uow: UnitOfWork, *, doctor_id: int) -> None:
    """Clear the wrong-PIN count of a doctor's box (an administrator's act)."""
    repo = _repo(uow)
    found = await repo.box(doctor_id)
    if found is not None:
        await repo.set_box_pin(doctor_id, found[1], 0)
        await uow.commit()


async def _caller_name(uow: UnitOfWork, phone: str | None) -> tuple[str, int | None]:
    if not phone or classify_query(phone).kind is not SearchKind.PHONE:
        return "", None
    page = await search_patients(uow, query=phone, limit=2)
    # A phone shared by a family names nobody: the doctor must not be told the wrong name.
    if page.total != 1:
        return "", None
    return page.items[0].name, page.items[0].id


async def _entries(uow: UnitOfWork, messages: list[VoiceMessage]) -> list[InboxEntry]:
    entries = []
    for message in messages:
        name, patient_id = await _caller_name(uow, message.caller_phone)
        entries.append(InboxEntry(message, name, patient_id))
    return entries


async def list_new_messages(uow: UnitOfWork, *, doctor_id: int) -> list[InboxEntry]:
    """The doctor's new messages, oldest first (the order they are read on the phone)."""
    messages = await _repo(uow).for_doctor(doctor_id, statuses=[MessageStatus.NEW])
    return await _entries(uow, list(reversed(messages)))


async def list_inbox(
    uow: UnitOfWork, *, doctor_id: int, include_done: bool = False
) -> list[InboxEntry]:
    """The doctor's messages, newest first; finished ones only when asked."""
    statuses = set(OPEN_STATUSES) | ({MessageStatus.DONE} if include_done else set())
    messages = await _repo(uow).for_doctor(doctor_id, statuses=statuses)
    return await _entries(uow, messages)


async def get_doctor_message(uow: UnitOfWork, *, doctor_id: int, message_id: int) -> InboxEntry:
    """One message of this doctor; another doctor's message is reported as missing."""
    message = await _repo(uow).by_id(message_id)
    if message is None or message.doctor_id != doctor_id or message.status is MessageStatus.DELETED:
        raise MessageNotFound("No message has this number.", field="message_id")
    return (await _entries(uow, [message]))[0]


async def mark_message(
    uow: UnitOfWork, *, doctor_id: int, message_id: int, status: MessageStatus, clock: Clock
) -> VoiceMessage:
    """Mark a message heard, saved, done or deleted; a repeated mark changes nothing."""
    message = (await get_doctor_message(uow, doctor_id=doctor_id, message_id=message_id)).message
    if message.status == status:
        return message
    if not can_move(message.status, status):
        if message.status is MessageStatus.DONE and status is MessageStatus.HEARD:
            return message
        raise StatusChangeRefused("This message cannot be marked so.", field="status")
    await _repo(uow).set_status(message.id, status, clock.now())
    await uow.commit()
    log.info("voicemail_marked", message_id=message.id, status=status.value)
    return replace(message, status=status)


async def reply_by_recording(
    uow: UnitOfWork, *, doctor_id: int, message_id: int, reply_path: str, clock: Clock
) -> VoiceMessage:
    """Attach the doctor's recorded reply and text the caller that it is ready."""
    message = (await get_doctor_message(uow, doctor_id=doctor_id, message_id=message_id)).message
    repo = _repo(uow)
    await repo.set_reply_recording(message.id, reply_path, clock.now())
    if message.status is MessageStatus.NEW:
        await repo.set_status(message.id, MessageStatus.HEARD, clock.now())
    await uow.commit()
    updated = await repo.by_id(message.id)
    assert updated is not None
    await tell_patient_reply_ready(uow, message=updated, clock=clock)
    log.info("voicemail_replied", message_id=message.id)
    return updated
