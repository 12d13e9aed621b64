"""Use cases of voicemail: leave a message, attach the doctor's reply, hear it by PIN.

The doctor's side (box, inbox, statuses, phone sign-in) lives in ``careline.voicemail.inbox``;
notifications, overdue flags and the retention purge in ``careline.voicemail.upkeep``.
"""

from __future__ import annotations

import asyncio

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from careline.channels import service as channels
from careline.channels.errors import ChannelError
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.phones import is_mobile
from careline.voicemail.model import (
    MAX_FAILED_PINS,
    MessageLocked,
    MessageNotFound,
    VoiceMessage,
    WrongPin,
    check_pin,
    new_message_number,
    reply_ready_text,
)
from careline.voicemail.repository import VoicemailRepository

log = structlog.get_logger(__name__)
# A 4-digit PIN is guarded by the lock-out, not by the hash cost: keep hashing cheap.
_HASHER = PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1)
MAX_REPLY_CHARS = 2000


async def leave_message(
    uow: UnitOfWork,
    *,
    doctor_id: int,
    recording_path: str,
    caller_phone: str | None,
    pin: str,
    language: str,
    clock: Clock,
) -> VoiceMessage:
    """Store a message for a doctor under a fresh number, protected by the caller's PIN."""
    pin_hash = await asyncio.to_thread(_HASHER.hash, check_pin(pin))
    repo = VoicemailRepository(uow.connection)
    number = new_message_number()
    while await repo.number_taken(number):
        number = new_message_number()
    draft = VoiceMessage(
        number=number,
        doctor_id=doctor_id,
        recording_path=recording_path,
        language=language,
        created_at=clock.now(),
        caller_phone=caller_phone or None,
    )
    message = await repo.add(draft, pin_hash)
    await uow.commit()
    log.info("voicemail_left", message_id=message.id, doctor_id=doctor_id)
    return message


async def attach_reply(uow: UnitOfWork, *, number: str, text: str, clock: Clock) -> VoiceMessage:
    """Record the doctor's reply to a message (read to the caller by text-to-speech)."""
    repo = VoicemailRepository(uow.connection)
    found = await repo.by_number(number)
    if found is None:
        raise MessageNotFound("No message has this number.", field="number")
    reply = text.strip()[:MAX_REPLY_CHARS]
    await repo.set_reply(found[0].id, reply, clock.now())
    await uow.commit()
    refreshed = await repo.by_number(number)
    assert refreshed is not None
    await tell_patient_reply_ready(uow, message=refreshed[0], clock=clock)
    return refreshed[0]


async def tell_patient_reply_ready(uow: UnitOfWork, *, message: VoiceMessage, clock: Clock) -> bool:
    """Queue the SMS that tells the caller their reply is ready; False without a mobile."""
    phone = message.caller_phone
    if phone is None or not is_mobile(phone):
        return False
    try:
        await channels.queue_sms(
            uow, to=phone, clock=clock, text=reply_ready_text(message.number, message.language)
        )
    except ChannelError:
        log.warning("voicemail_reply_sms_refused", message_id=message.id)
        return False
    return True


async def retrieve_reply(uow: UnitOfWork, *, number: str, pin: str) -> VoiceMessage:
    """Return the message when the PIN matches; three wrong PINs lock it."""
    repo = VoicemailRepository(uow.connection)
    found = await repo.by_number(number)
    if found is None:
        raise MessageNotFound("No message has this number.", field="number")
    message, pin_hash = found
    if message.locked:
        raise MessageLocked("This message is locked after too many wrong PINs.")
    try:
        await asyncio.to_thread(_HASHER.verify, pin_hash, pin)
    except VerificationError:
        failed = message.failed_pins + 1
        await repo.set_failed_pins(message.id, failed)
        await uow.commit()
        if failed >= MAX_FAILED_PINS:
            raise MessageLocked("This message is locked after too many wrong PINs.") from None
        raise WrongPin("The PIN is not correct.", field="pin") from None
    if message.failed_pins:
        await repo.set_failed_pins(message.id, 0)
        await uow.commit()
    return message


async def messages_for_doctor(uow: UnitOfWork, *, doctor_id: int) -> list[VoiceMessage]:
    """The newest messages left for a doctor."""
    return await VoicemailRepository(uow.connection).for_doctor(doctor_id)
