"""Actions that leave something behind: complaint tickets, voicemail, fax jobs."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path

import structlog

from careline.channels import service as channels
from careline.channels.errors import ChannelError
from careline.complaints import service as complaints
from careline.complaints.model import (
    ComplaintError,
    InvalidTicketNumber,
    TicketKind,
    parse_ticket_number,
)
from careline.directory import service as directory
from careline.directory.model import Doctor, FaxDocument
from careline.ivr.actions import ask_doctor, pick
from careline.ivr.registry import action
from careline.ivr.service import caller_key
from careline.ivr.session import AgentRequested, CallSession
from careline.kit.phones import InvalidPhoneNumber, is_mobile, normalize_phone
from careline.speech import phrases
from careline.voicemail import service as voicemail
from careline.voicemail.model import (
    NUMBER_DIGITS,
    PIN_DIGITS,
    MessageLocked,
    MessageNotFound,
    WrongPin,
)

log = structlog.get_logger(__name__)
MIN_MESSAGE_SECONDS = 0.5
MAX_FAX_DIGITS = 20
STATUS_PROMPTS = {
    "new": "status_received",
    "triaged": "status_received",
    "in_progress": "status_in_progress",
    "awaiting_patient": "status_in_progress",
    "escalated": "status_in_progress",
    "reopened": "status_in_progress",
    "resolved": "status_resolved",
    "closed": "status_resolved",
}


async def record_message(session: CallSession, folder: str) -> str | None:
    """Play the legal notice, record after the beep; return the path under the data dir."""
    await session.say("recording_notice")
    await session.say("record_after_beep")
    stamp = session.clock.now().strftime("%Y%m%d%H%M%S")
    relative = Path("recordings") / folder / f"{stamp}-{secrets.token_hex(6)}.wav"
    timing = session.services.timing
    result = await session.call.record(
        session.services.data_dir / relative,
        max_seconds=timing.record_max_seconds,
        silence_seconds=timing.record_silence_seconds,
    )
    if result.seconds < MIN_MESSAGE_SECONDS:
        await session.say("record_empty")
        return None
    return relative.as_posix()


async def sms_to_caller(session: CallSession, prompt_id: str, **values: str) -> bool:
    """Text the caller when their number is a mobile; False when it is not."""
    number = caller_key(session.call.caller)
    if number is None or not is_mobile(number):
        return False
    text = session.flow.text(prompt_id, session.language).format(**values)
    try:
        async with session.uow() as uow:
            await channels.queue_sms(uow, to=number, clock=session.clock, text=text)
    except ChannelError:
        log.warning("ivr_sms_refused", prompt=prompt_id)
        return False
    return True


@action(
    "complaint_record",
    prompts=(
        "recording_notice",
        "record_after_beep",
        "record_empty",
        "ticket_created",
        "sms_ticket",
    ),
)
async def complaint_record(session: CallSession, args: Mapping[str, str]) -> str | None:
    """Record a complaint or suggestion, open a ticket, tell and text its number."""
    path = await record_message(session, "complaints")
    if path is None:
        return None
    kind = TicketKind(args.get("kind", "complaint"))
    async with session.uow() as uow:
        ticket = await complaints.open_voice_ticket(
            uow,
            recording_path=path,
            caller_phone=caller_key(session.call.caller),
            clock=session.clock,
            kind=kind,
            language=session.language,
        )
    spoken = phrases.digits(ticket.number, session.language)
    session.values["ticket_number"] = ticket.number
    await sms_to_caller(session, "sms_ticket", number=ticket.number)
    await session.say("ticket_created", number=spoken)
    await session.say("ticket_created", number=spoken)
    session.served = True
    return None


@action(
    "complaint_status",
    prompts=(
        "ask_ticket_number",
        "ticket_number_invalid",
        "ticket_unknown",
        "ticket_status",
        "status_received",
        "status_in_progress",
        "status_resolved",
        "ticket_reply",
    ),
)
async def complaint_status(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Tell the status of a ticket keyed by its number."""
    failures = 0
    lang = session.language
    while True:
        typed = await session.ask_digits("ask_ticket_number", max_digits=12)
        try:
            number = parse_ticket_number(typed)
            async with session.uow() as uow:
                view = await complaints.get_ticket_status(uow, number=number)
        except InvalidTicketNumber:
            failures = await session.retry_or_agent(failures)
            await session.say("ticket_number_invalid", number=phrases.digits(typed, lang))
            continue
        except ComplaintError:
            failures = await session.retry_or_agent(failures)
            await session.say("ticket_unknown", number=phrases.digits(typed, lang))
            continue
        status = session.flow.text(STATUS_PROMPTS.get(view.status.value, "status_received"), lang)
        session.prompts.append(STATUS_PROMPTS.get(view.status.value, "status_received"))
        await session.say("ticket_status", number=phrases.digits(view.number, lang), status=status)
        if view.last_reply:
            await session.say("ticket_reply", private=True, reply=view.last_reply)
        session.served = True
        return None


async def choose_doctor(session: CallSession) -> Doctor:
    """Let the caller pick a doctor by department menu (1) or by doctor number (2)."""
    how = await session.choose("vm_doctor_how", ("1", "2"))
    if how == "2":
        return await ask_doctor(session)
    async with session.uow() as uow:
        departments = await directory.departments_with_doctors(uow)
    listed = [entry for entry in departments if entry.doctors]
    if not listed:
        raise AgentRequested("no_doctors")
    lang = session.language
    entry = listed[
        await pick(session, "pick_department", [e.department.name(lang) for e in listed])
    ]
    doctors = entry.doctors
    return doctors[await pick(session, "pick_doctor", [d.display_name(lang) for d in doctors])]


@action(
    "voicemail_retrieve",
    prompts=(
        "vm_ask_number",
        "vm_ask_pin",
        "vm_unknown",
        "vm_wrong_pin",
        "vm_locked",
        "vm_no_reply",
        "vm_reply",
    ),
)
async def voicemail_retrieve(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Play the doctor's reply to a message, after the message number and its PIN."""
    failures = 0
    lang = session.language
    while True:
        number = await session.ask_digits("vm_ask_number", max_digits=NUMBER_DIGITS)
        pin = await session.ask_digits("vm_ask_pin", max_digits=PIN_DIGITS)
        try:
            async with session.uow() as uow:
                message = await voicemail.retrieve_reply(uow, number=number, pin=pin)
        except MessageNotFound:
            failures = await session.retry_or_agent(failures)
            await session.say("vm_unknown", number=phrases.digits(number, lang))
            continue
        except WrongPin:
            failures = await session.retry_or_agent(failures)
            await session.say("vm_wrong_pin")
            continue
        except MessageLocked:
            await session.say("vm_locked")
            raise AgentRequested("voicemail_locked") from None
        if not message.answered:
            await session.say("vm_no_reply")
        else:
            await session.say("vm_reply", private=True, reply=message.reply_text)
        session.served = True
        return None


async def choose_document(session: CallSession) -> FaxDocument:
    """A fax document by keyed code (1) or from the list (2)."""
    async with session.uow() as uow:
        documents = await directory.list_documents(uow)
    if not documents:
        raise AgentRequested("no_documents")
    how = await session.choose("fax_how", ("1", "2"))
    if how == "2":
        return documents[await pick(session, "pick_document", [d.title for d in documents])]
    by_code = {document.code: document for document in documents}
    failures = 0
    while True:
        code = await session.ask_digits("ask_document_code", max_digits=12)
        if code in by_code:
            return by_code[code]
        failures = await session.retry_or_agent(failures)
        await session.say("document_unknown", code=phrases.digits(code, session.language))


@action(
    "fax_document",
    prompts=(
        "fax_how",
        "pick_document",
        "more_options",
        "ask_document_code",
        "document_unknown",
        "ask_fax_number",
        "fax_number_invalid",
        "fax_queued",
    ),
)
async def fax_document(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Fax a document to a keyed number and confirm the job."""
    document = await choose_document(session)
    lang = session.language
    failures = 0
    while True:
        typed = await session.ask_digits("ask_fax_number", max_digits=MAX_FAX_DIGITS)
        try:
            number = normalize_phone(typed)
            async with session.uow() as uow:
                job = await channels.queue_fax(
                    uow,
                    number=number,
                    title=document.title,
                    body=document.body,
                    clock=session.clock,
                )
        except (InvalidPhoneNumber, ChannelError):
            failures = await session.retry_or_agent(failures)
            await session.say("fax_number_invalid", number=phrases.digits(typed, lang))
            continue
        session.values["fax_job"] = job.id
        await session.say(
            "fax_queued",
            title=document.title,
            number=phrases.digits(typed, lang),
            job=phrases.digits(str(job.id), lang),
        )
        session.served = True
        return None
