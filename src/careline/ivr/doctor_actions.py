"""Actions of the doctors' phone services: the doctor's voicemail box, recorded replies.

A doctor reaches the box by the main menu's unannounced key 8, keys their doctor number and
voicemail PIN, and hears each new message (date, caller's name when one patient has the
caller's number, then the recording). After each message: 1 hear again, 2 reply by
recording, 3 save, 4 delete, 5 skip (it stays new for the next call).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import structlog

from careline.consultations import service as consultations
from careline.consultations.line import ConsultLine, DoctorPhone, consult_line
from careline.consultations.model import (
    Availability,
    ConsultSettings,
    FeeMode,
    Outcome,
    least_balance,
)
from careline.consultations.service import ConsultOffer
from careline.directory.model import DirectoryError, Doctor
from careline.ivr.actions import zone_of
from careline.ivr.care_actions import choose_doctor, sms_to_caller
from careline.ivr.member_actions import member_sign_in, signed_in
from careline.ivr.registry import ACTIONS, action
from careline.ivr.service import caller_key
from careline.ivr.session import AgentRequested, CallSession
from careline.membership import service as membership
from careline.speech import phrases
from careline.telephony.media import Prompt
from careline.voicemail import inbox
from careline.voicemail import service as voicemail
from careline.voicemail.inbox import InboxEntry
from careline.voicemail.model import (
    DOCTOR_PIN_MAX,
    PIN_DIGITS,
    InvalidPin,
    MessageLocked,
    MessageStatus,
    VoicemailError,
    WrongPin,
    check_pin,
)

log = structlog.get_logger(__name__)
# Reused steps speak the prompts their own actions declare.
DOCTOR_CHOICE_PROMPTS = (
    "vm_doctor_how",
    "pick_department",
    "pick_doctor",
    "more_options",
    "ask_doctor_number",
    "doctor_unknown",
)
MEMBER_SIGN_IN_PROMPTS = tuple(ACTIONS["member_sign_in"].prompts)
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


# --- Leaving a message in a doctor's box (after a consultation nobody took) -------------


async def leave_for_doctor(session: CallSession, doctor: Doctor) -> None:
    """Leave a message for this doctor with the box's greeting and length limit."""
    async with session.uow() as uow:
        box = await inbox.get_box(uow, doctor_id=doctor.id)
    if not box.accepting:
        await session.say("vm_box_closed")
        return
    if not (box.greeting_path and await play_file(session, box.greeting_path)):
        if box.greeting_text:
            await session.say("vm_greeting", text=box.greeting_text)
        else:
            await session.say("vm_for_doctor", name=doctor.display_name(session.language))
    await session.say("recording_notice")
    await session.say("record_after_beep")
    stamp = session.clock.now().strftime("%Y%m%d%H%M%S")
    relative = Path("recordings") / "voicemail" / f"{stamp}-{secrets.token_hex(6)}.wav"
    result = await session.call.record(
        session.services.data_dir / relative,
        max_seconds=box.max_message_seconds,
        silence_seconds=session.services.timing.record_silence_seconds,
    )
    if result.seconds < MIN_REPLY_SECONDS:
        await session.say("record_empty")
        return
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
    spoken = phrases.digits(message.number, session.language)
    await sms_to_caller(session, "sms_voicemail", number=message.number)
    await session.say("vm_left", number=spoken)
    await session.say("vm_left", number=spoken)
    session.served = True


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


# --- Direct consultation ----------------------------------------------------------------

RING_SECONDS = 25.0
WHISPER_SECONDS = 8.0
WHISPER_TRIES = 2
ACCEPT_KEY = "1"


async def whisper(session: CallSession, phone: DoctorPhone, seconds: float) -> bool:
    """Tell the doctor where the call comes from; True when they press 1."""
    # The doctor hears the hospital's standard whisper in Chinese whatever the patient's language.
    text = session.flow.text("consult_whisper", "zh-CN")
    speech = session.services.speech
    for _ in range(WHISPER_TRIES):
        if speech is None:
            key = await phone.say(text, language="zh-CN")
        else:
            key = await phone.play(await speech.speech_prompt(text, "zh-CN"))
        key = key or await phone.collect(1, seconds, terminator="")
        if key == ACCEPT_KEY:
            return True
        if key:  # another key: the doctor declines
            return False
    return False


async def _refuse(session: CallSession, doctor: Doctor, offer: ConsultOffer) -> None:
    if offer.availability is Availability.OUTSIDE_HOURS and offer.next_open_at:
        at = datetime.fromisoformat(offer.next_open_at)
        lang = session.language
        when = f"{phrases.date_phrase(at.date(), lang)} {phrases.time_of_day(at.time(), lang)}"
        await session.say("consult_next_open", when=when)
    elif offer.availability is Availability.BUSY:
        await session.say("consult_busy")
    else:
        await session.say("consult_not_offered")
    await offer_voicemail(session, doctor)


async def _card_for_fee(session: CallSession, settings: ConsultSettings) -> int | None:
    """Say the fee, sign the member in and check the balance; None when it falls short."""
    fee = phrases.money(settings.fee_fen, session.language)
    per_minute = settings.fee_mode is FeeMode.PER_MINUTE
    await session.say("consult_fee_minute" if per_minute else "consult_fee_once", fee=fee)
    await member_sign_in(session, {})
    card = signed_in(session)
    async with session.uow() as uow:
        balance = await membership.card_balance(uow, card_id=card.id)
    if balance < least_balance(settings):
        await session.say("balance_low")
        return None
    return card.id


async def _ring_numbers(
    session: CallSession, line: ConsultLine, numbers: list[str], args: Mapping[str, str]
) -> DoctorPhone | None:
    """Dial the private numbers in order; return the first doctor who accepts."""
    ring = float(args.get("ring_seconds", RING_SECONDS))
    wait = float(args.get("whisper_seconds", WHISPER_SECONDS))
    for position, number in enumerate(numbers):
        status, phone = await line.ring(number, ring_timeout=ring)
        log.info("consult_ring", position=position, status=status)
        if phone is None:
            continue
        if await whisper(session, phone, wait):
            return phone
        await phone.hangup()
    return None


CONSULT_PROMPTS = (
    "consult_not_offered",
    "consult_next_open",
    "consult_busy",
    "consult_fee_once",
    "consult_fee_minute",
    "balance_low",
    "consult_connecting",
    "consult_whisper",
    "consult_no_answer",
    "consult_offer_voicemail",
    "consult_charged",
    "consult_ended",
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
    *DOCTOR_CHOICE_PROMPTS,
    *MEMBER_SIGN_IN_PROMPTS,
)


@action("consult_doctor", prompts=CONSULT_PROMPTS)
async def consult_doctor(session: CallSession, args: Mapping[str, str]) -> str | None:
    """Put the caller through to a doctor in hours, hiding the doctor's own number."""
    doctor = await choose_doctor(session)
    async with session.uow() as uow:
        offer = await consultations.check_availability(
            uow, doctor_id=doctor.id, clock=session.clock
        )
        numbers = await consultations.numbers_to_dial(uow, doctor_id=doctor.id)
    line = consult_line(session.call)
    if offer.availability is not Availability.AVAILABLE or line is None:
        await _refuse(session, doctor, offer)
        return None
    card_id = None
    if offer.settings.charged:
        card_id = await _card_for_fee(session, offer.settings)
        if card_id is None:
            return None
    await session.say("consult_connecting", name=doctor.display_name(session.language))
    async with session.uow() as uow:
        consultation_id = await consultations.start_consultation(
            uow,
            doctor_id=doctor.id,
            call_id=session.call.id,
            clock=session.clock,
            patient_id=session.patient_id,
            member_card_id=card_id,
        )
    phone = await _ring_numbers(session, line, numbers, args)
    if phone is None:
        async with session.uow() as uow:
            await consultations.finish_consultation(
                uow,
                consultation_id=consultation_id,
                outcome=Outcome.NO_ANSWER,
                seconds=0,
                clock=session.clock,
            )
        await session.say("consult_no_answer")
        await offer_voicemail(session, doctor)
        return None
    await _talk(session, line, phone, consultation_id, offer.settings)
    return None


async def _talk(
    session: CallSession,
    line: ConsultLine,
    phone: DoctorPhone,
    consultation_id: int,
    settings: ConsultSettings,
) -> None:
    async with session.uow() as uow:
        await consultations.mark_connected(
            uow, consultation_id=consultation_id, clock=session.clock
        )
    seconds = await line.join(phone, max_seconds=settings.max_call_seconds)
    async with session.uow() as uow:
        record = await consultations.finish_consultation(
            uow,
            consultation_id=consultation_id,
            outcome=Outcome.COMPLETED,
            seconds=seconds,
            clock=session.clock,
        )
    session.values["consultation_id"] = consultation_id
    session.served = True
    if record.charge_fen:
        await session.say("consult_charged", fee=phrases.money(record.charge_fen, session.language))
    await session.say("consult_ended")
