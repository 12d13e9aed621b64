"""Direct consultation on the phone line: the doctor's private phone, never its number.

The caller picks a doctor; in a window and not busy, Careline announces the consultation
(with the recording notice), rings the doctor's private numbers in order through the trunk
with the hospital's number, whispers, bridges on 1 and records both voices. Otherwise the
caller hears why and is offered the doctor's voicemail.
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
from careline.directory.model import Doctor
from careline.ivr.care_actions import choose_doctor
from careline.ivr.doctor_box_actions import BOX_PROMPTS, offer_voicemail
from careline.ivr.member_actions import member_sign_in, signed_in
from careline.ivr.registry import ACTIONS, action
from careline.ivr.session import CallSession
from careline.membership import service as membership
from careline.speech import phrases

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
    *BOX_PROMPTS,
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
    # The caller was told the call is recorded: both voices go into one file.
    stamp = session.clock.now().strftime("%Y%m%d%H%M%S")
    relative = Path("recordings") / "consultations" / f"{stamp}-{secrets.token_hex(6)}.wav"
    path = session.services.data_dir / relative
    seconds = await line.join(phone, max_seconds=settings.max_call_seconds, record_to=path)
    if not path.is_file():
        log.warning("consult_recording_missing", consultation_id=consultation_id)
    async with session.uow() as uow:
        record = await consultations.finish_consultation(
            uow,
            consultation_id=consultation_id,
            outcome=Outcome.COMPLETED,
            seconds=seconds,
            clock=session.clock,
            recording_path=relative.as_posix() if path.is_file() else None,
        )
    session.values["consultation_id"] = consultation_id
    session.served = True
    if record.charge_fen:
        await session.say("consult_charged", fee=phrases.money(record.charge_fen, session.language))
    await session.say("consult_ended")
