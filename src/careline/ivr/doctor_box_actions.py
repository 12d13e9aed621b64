"""The doctor's voicemail box by phone, recorded replies, and leaving a doctor a message.

A doctor reaches the box by the main menu's unannounced key 8, keys their doctor number and
voicemail PIN, and hears each new message (date, caller's name when one patient has the
caller's number, then the recording). After each message: 1 hear again, 2 reply by
recording, 3 save, 4 delete, 5 skip (it stays new for the next call).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

import structlog

from careline.directory.model import DirectoryError, Doctor
from careline.ivr.actions import zone_of
from careline.ivr.care_actions import choose_doctor, sms_to_caller
from careline.ivr.registry import action
from careline.ivr.service import caller_key
from careline.ivr.session import AgentRequested, CallSession
from careline.speech import phrases
from careline.telephony.media import Prompt
from careline.voicemail import inbox, reply_calls
from careline.voicemail import service as voicemail
from careline.voicemail.inbox import InboxEntry
from careline.voicemail.model import (
    DOCTOR_PIN_MAX,
    PIN_DIGITS,
    InvalidPin,
    MessageLocked,
    MessageStatus,
    VoicemailBox,
    VoicemailError,
    WrongPin,
    check_pin,
)

log = structlog.get_logger(__name__)
MIN_REPLY_SECONDS = 0.5
MAX_DOCTOR_NUMBER_DIGITS = 12
REPLAY, REPLY, SAVE, DELETE, SKIP = "1", "2", "3", "4", "5"


async def play_file(session: CallSession, relative: str, *, barge_in: bool = True) -> bool:
    """Play a recording kept under the data dir; False when the file is gone."""
    path = session.services.data_dir / relative
    if not path.is_file():
        log.warning("ivr_recording_missing")
        return False
    try:
        prompt = Prompt.from_wav(path)
    except ValueError:
        log.warning("ivr_recording_unreadable")
        return False
    await session.call.play(prompt, barge_in=barge_in)
    return True


async def sign_in(session: CallSession) -> Doctor:
    """Ask for the doctor number and PIN until they match; a locked box goes to an agent."""
    failures = 0
    while True:
        number = await session.ask_digits("dr_ask_number", max_digits=MAX_DOCTOR_NUMBER_DIGITS)
        pin = await session.ask_digits("dr_ask_pin", max_digits=DOCTOR_PIN_MAX)
        try:
            async with session.uow() as uow:
                return await inbox.sign_in_doctor(uow, doctor_number=number, pin=pin)
        except MessageLocked:
            await session.say("dr_box_locked")
            raise AgentRequested("doctor_box_locked") from None
        except (WrongPin, DirectoryError):
            failures = await session.retry_or_agent(failures)
            await session.say("dr_sign_in_failed")


async def record_reply(session: CallSession, doctor: Doctor, entry: InboxEntry) -> bool:
    """Record the doctor's answer after the beep and attach it to the message."""
    await session.say("dr_record_reply")
    stamp = session.clock.now().strftime("%Y%m%d%H%M%S")
    relative = Path("recordings") / "replies" / f"{stamp}-{secrets.token_hex(6)}.wav"
    timing = session.services.timing
    result = await session.call.record(
        session.services.data_dir / relative,
        max_seconds=timing.record_max_seconds,
        silence_seconds=timing.record_silence_seconds,
    )
    if result.seconds < MIN_REPLY_SECONDS:
        await session.say("record_empty")
        return False
    async with session.uow() as uow:
        await inbox.reply_by_recording(
            uow,
            doctor_id=doctor.id,
            message_id=entry.message.id,
            reply_path=relative.as_posix(),
            clock=session.clock,
        )
        await inbox.mark_message(
            uow,
            doctor_id=doctor.id,
            message_id=entry.message.id,
            status=MessageStatus.DONE,
            clock=session.clock,
        )
    await session.say("dr_reply_saved")
    return True


async def _mark(
    session: CallSession, doctor: Doctor, entry: InboxEntry, status: MessageStatus
) -> None:
    async with session.uow() as uow:
        await inbox.mark_message(
            uow,
            doctor_id=doctor.id,
            message_id=entry.message.id,
            status=status,
            clock=session.clock,
        )


async def announce(session: CallSession, entry: InboxEntry) -> None:
    """Say when the message was left and by whom, then play it."""
    lang = session.language
    at = entry.message.created_at.astimezone(zone_of(session))
    when = f"{phrases.date_phrase(at.date(), lang)} {phrases.time_of_day(at.time(), lang)}"
    caller = entry.caller_name or session.flow.text("dr_caller_unknown", lang)
    await session.say("dr_message_header", private=True, when=when, caller=caller)
    await play_file(session, entry.message.recording_path)


async def handle_message(session: CallSession, doctor: Doctor, entry: InboxEntry) -> None:
    """Play one message and act on the doctor's key."""
    while True:
        await announce(session, entry)
        key = await session.choose("dr_message_menu", (REPLAY, REPLY, SAVE, DELETE, SKIP))
        if key == REPLAY:
            continue
        if key == REPLY:
            if await record_reply(session, doctor, entry):
                return
            continue
        if key == SAVE:
            await _mark(session, doctor, entry, MessageStatus.SAVED)
            await session.say("dr_saved")
        elif key == DELETE:
            await _mark(session, doctor, entry, MessageStatus.DELETED)
            await session.say("dr_deleted")
        return


@action(
    "doctor_voicemail",
    prompts=(
        "dr_ask_number",
        "dr_ask_pin",
        "dr_sign_in_failed",
        "dr_box_locked",
        "dr_new_count",
        "dr_message_header",
        "dr_caller_unknown",
        "dr_message_menu",
        "dr_record_reply",
        "record_empty",
        "dr_reply_saved",
        "dr_saved",
        "dr_deleted",
        "dr_no_more",
    ),
)
async def doctor_voicemail(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """The doctor signs in and works through their new messages."""
    doctor = await sign_in(session)
    async with session.uow() as uow:
        entries = await inbox.list_new_messages(uow, doctor_id=doctor.id)
    count = phrases.number(len(entries), session.language, counting=True)
    await session.say("dr_new_count", count=count)
    for entry in entries:
        await handle_message(session, doctor, entry)
    await session.say("dr_no_more")
    session.served = True
    return None


@action("voicemail_reply_audio", prompts=("vm_reply_audio",))
async def voicemail_reply_audio(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """After ``voicemail_retrieve`` read a reply, play the doctor's recorded reply if any."""
    if not session.prompts or session.prompts[-1] != "vm_reply" or len(session.keys) < 2:
        return None
    # voicemail_retrieve has just checked these two answers: the message number and its PIN.
    number, pin = session.keys[-2], session.keys[-1]
    try:
        async with session.uow() as uow:
            message = await voicemail.retrieve_reply(uow, number=number, pin=pin)
    except VoicemailError:
        return None
    if message.reply_path:
        await session.say("vm_reply_audio")
        # A key left over from the PIN (a "#" after four digits) must not skip the reply.
        await play_file(session, message.reply_path, barge_in=False)
    return None


# --- Leaving a message in a doctor's box (main menu, or a consultation nobody took) -----

# What leaving a message speaks: callers of ``leave_for_doctor`` declare these prompts.
BOX_PROMPTS = (
    "vm_box_closed",
    "vm_greeting",
    "vm_for_doctor",
    "recording_notice",
    "record_after_beep",
    "record_empty",
    "vm_choose_pin",
    "vm_pin_invalid",
    "vm_left",
    "sms_voicemail",
    "vm_offer_reply_call",
    "vm_reply_call_set",
)
CALL_ME_KEY = "2"


class Left(StrEnum):
    """How an attempt to leave a doctor a message ended."""

    LEFT = "left"
    CLOSED = "closed"  # the doctor's box takes no messages now
    EMPTY = "empty"  # nothing was recorded


async def _greet(session: CallSession, doctor: Doctor, box: VoicemailBox) -> None:
    """The box's recorded greeting, else its greeting text, else the standard one."""
    if box.greeting_path and await play_file(session, box.greeting_path):
        return
    if box.greeting_text:
        await session.say("vm_greeting", text=box.greeting_text)
    else:
        await session.say("vm_for_doctor", name=doctor.display_name(session.language))


async def leave_for_doctor(session: CallSession, doctor: Doctor) -> Left:
    """Leave a message for this doctor with the box's greeting and length limit."""
    async with session.uow() as uow:
        box = await inbox.get_box(uow, doctor_id=doctor.id)
    if not box.accepting:
        await session.say("vm_box_closed")
        return Left.CLOSED
    await _greet(session, doctor, box)
    await session.say("recording_notice")
    await session.say("record_after_beep")
    stamp = session.clock.now().strftime("%Y%m%d%H%M%S")
    relative = Path("recordings") / "voicemail" / f"{stamp}-{secrets.token_hex(6)}.wav"
    timing = session.services.timing
    result = await session.call.record(
        session.services.data_dir / relative,
        # The line's own ceiling on any recording still applies to a longer box.
        max_seconds=min(box.max_message_seconds, timing.record_max_seconds),
        silence_seconds=timing.record_silence_seconds,
    )
    if result.seconds < MIN_REPLY_SECONDS:
        await session.say("record_empty")
        return Left.EMPTY
    pin = await session.ask_digits(
        "vm_choose_pin", max_digits=PIN_DIGITS, valid=_valid_pin, invalid="vm_pin_invalid"
    )
    async with session.uow() as uow:
        message = await voicemail.leave_message(
            uow,
            doctor_id=doctor.id,
            recording_path=relative.as_posix(),
            caller_phone=caller_key(session.call.caller),
            pin=pin,
            language=session.language,
            clock=session.clock,
        )
    session.values["voicemail_number"] = message.number
    spoken = phrases.digits(message.number, session.language)
    await sms_to_caller(session, "sms_voicemail", number=message.number)
    await session.say("vm_left", number=spoken)
    await session.say("vm_left", number=spoken)
    session.served = True
    if message.caller_phone:  # a number to call back when the reply is ready
        await _offer_reply_call(session, message.id)
    return Left.LEFT


async def _offer_reply_call(session: CallSession, message_id: int) -> None:
    """One key (2) asks for a call that plays the reply; silence keeps the SMS only."""
    await session.say("vm_offer_reply_call")
    key = await session.call.collect(1, session.services.timing.menu_timeout, terminator="")
    if key != CALL_ME_KEY:
        return
    async with session.uow() as uow:
        await reply_calls.ask_for_reply_call(uow, message_id=message_id)
    await session.say("vm_reply_call_set")


def _valid_pin(pin: str) -> bool:
    try:
        check_pin(pin)
    except InvalidPin:
        return False
    return True


async def offer_voicemail(session: CallSession, doctor: Doctor) -> None:
    """Offer to leave the doctor a message instead (1 yes, 2 no)."""
    if await session.choose("consult_offer_voicemail", ("1", "2")) == "1":
        await leave_for_doctor(session, doctor)


@action(
    "voicemail_leave",
    prompts=(
        "vm_doctor_how",
        "pick_department",
        "pick_doctor",
        "more_options",
        "ask_doctor_number",
        "doctor_unknown",
        "vm_box_closed_next",
        *BOX_PROMPTS,
    ),
)
async def voicemail_leave(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Leave a message in a doctor's box (its greeting and length); tell the message number."""
    while True:
        doctor = await choose_doctor(session)
        if await leave_for_doctor(session, doctor) is not Left.CLOSED:
            return None
        # The box takes no messages: another doctor (1), the doctors' menu (9) or an agent (0).
        if await session.choose("vm_box_closed_next", ("1", "9")) == "9":
            return None
