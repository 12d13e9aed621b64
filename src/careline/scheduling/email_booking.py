"""Book by email: an ``InboundHandler`` for the channels' SMTP receiver and IMAP poller.

The sender must be the email address on record for the card's owner: that address is
what proves who is booking (a PIN in a mail would travel in clear). The answer goes back
through the ``EmailSender`` port: a confirmation with an RFC 5545 .ics attachment, or the
precise reason the booking was refused, in Chinese when the request was written in it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.utils import parseaddr

import structlog

from careline.channels.errors import SendFailed
from careline.channels.model import InboundStatus
from careline.channels.ports import (
    EmailAttachment,
    EmailSender,
    HandlingOutcome,
    InboundEmail,
    InboundHandler,
    InboundSms,
    OutgoingEmail,
)
from careline.db.uow import UnitOfWork, UnitOfWorkFactory
from careline.directory import service as directory
from careline.directory.model import Doctor, SessionPeriod
from careline.kit.clock import Clock
from careline.kit.errors import CarelineError
from careline.kit.money import format_yuan
from careline.membership import service as membership
from careline.patients.repository import PatientRepository
from careline.scheduling import service
from careline.scheduling.availability import free_periods
from careline.scheduling.email_format import EmailBooking, EmailFormatError, parse_booking_email
from careline.scheduling.ics import appointment_ics
from careline.scheduling.model import (
    Booking,
    BookingPolicy,
    Channel,
    SchedulingError,
    SessionFull,
    SessionNotFound,
)
from careline.web.i18n import gettext, translator

log = structlog.get_logger(__name__)


class SenderNotOwner(SchedulingError):
    status_code = 403
    error_id = "sender_not_owner"


@dataclass(frozen=True, slots=True)
class EmailBooked:
    booking: Booking
    doctor: Doctor
    balance: int


def _same_address(a: str, b: str | None) -> bool:
    return bool(b) and parseaddr(a)[1].casefold() == parseaddr(b or "")[1].casefold()


async def _doctors(uow: UnitOfWork, request: EmailBooking) -> list[Doctor]:
    department_id = None
    if request.department:
        wanted = request.department.casefold()
        for department in await directory.list_departments(uow):
            if wanted in (department.name_zh.casefold(), department.name_en.casefold()):
                department_id = department.id
        if department_id is None:
            raise SessionNotFound("No department has this name.", field="department")
    doctors = await directory.list_doctors(uow, department_id=department_id, query=request.doctor)
    if request.doctor:
        exact = [
            d
            for d in doctors
            if request.doctor in (d.doctor_number, d.name)
            or request.doctor.casefold() == d.name_en.casefold()
        ]
        doctors = exact or doctors
    if not doctors:
        raise SessionNotFound("No doctor matches this name or number.", field="doctor")
    return doctors


async def book_by_email(
    uow: UnitOfWork,
    *,
    request: EmailBooking,
    mail_from: str,
    message_key: str,
    clock: Clock,
    policy: BookingPolicy,
) -> EmailBooked:
    """Book the first free place matching the email, for the card's owner."""
    card = await membership.find_card(uow, card_number=request.card_number)
    owner = await PatientRepository(uow.connection).get(card.patient_id)
    if owner is None or not _same_address(mail_from, owner.email):
        raise SenderNotOwner(
            "Bookings by email must come from the address on record for this card."
        )
    for doctor in await _doctors(uow, request):
        views = await free_periods(
            uow,
            clock=clock,
            channel=Channel.EMAIL,
            doctor_id=doctor.id,
            first_day=request.day,
            policy=policy,
        )
        for view in views:
            if view.day != request.day or (request.period and view.period != request.period):
                continue
            for place in view.periods:
                local = place.period.starts_at.astimezone(clock.zone)
                end = place.period.ends_at.astimezone(clock.zone)
                if place.free < 1 or (request.at and not local.time() <= request.at < end.time()):
                    continue
                booking = await service.book_appointment(
                    uow,
                    request=service.BookingRequest(
                        doctor_id=doctor.id,
                        day=view.day,
                        period=SessionPeriod(view.period),
                        period_index=place.period.index,
                        card_id=card.id,
                        channel=Channel.EMAIL,
                        idempotency_key=message_key,
                    ),
                    clock=clock,
                    policy=policy,
                )
                balance = await membership.card_balance(uow, card_id=card.id)
                return EmailBooked(booking, doctor, balance)
    raise SessionFull("There is no free place on that day for this request.")


class EmailBookingHandler(InboundHandler):
    """Turn booking emails into bookings and answer each one."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        sender: EmailSender,
        clock: Clock,
        *,
        policy: BookingPolicy = service.DEFAULT_POLICY,
        hospital_name: str = "Careline",
    ) -> None:
        self._uow_factory = uow_factory
        self._sender = sender
        self._clock = clock
        self._policy = policy
        self._hospital = hospital_name

    async def handle_email(self, email: InboundEmail) -> HandlingOutcome:
        """Book from the email and answer with a confirmation or the reason for refusal."""
        key = (
            "email:"
            + hashlib.sha256((email.message_id or str(email.stored_id)).encode()).hexdigest()[:40]
        )
        # Answer in Chinese when the mail has any Chinese in it, even if it cannot be read.
        written = email.text + email.subject
        language = "zh-CN" if any("\u4e00" <= ch <= "\u9fff" for ch in written) else "en"
        try:
            request = parse_booking_email(email.text, today=self._clock.today())
            language = "zh-CN" if request.chinese else "en"
            async with self._uow_factory() as uow:
                booked = await book_by_email(
                    uow,
                    request=request,
                    mail_from=email.mail_from,
                    message_key=key,
                    clock=self._clock,
                    policy=self._policy,
                )
        except (CarelineError, EmailFormatError) as exc:
            await self._reply(email, self._refusal(exc, language), language, None)
            return HandlingOutcome(InboundStatus.HANDLED, f"refused: {exc.error_id}")
        await self._reply(email, self._confirmation(booked, language), language, booked)
        return HandlingOutcome(InboundStatus.HANDLED, f"booking {booked.booking.id}")

    def _refusal(self, exc: CarelineError | EmailFormatError, language: str) -> str:
        if isinstance(exc, SchedulingError):
            reason = translator(language)(exc.template, **exc.values)
        else:
            reason = gettext(language, exc.message)
        intro = gettext(language, "Your booking could not be made.")
        return f"{intro}\n\n{reason}\n"

    def _confirmation(self, booked: EmailBooked, language: str) -> str:
        b, zone = booked.booking, self._clock.zone
        _ = translator(language)
        return _(
            "Your booking is confirmed.\n\nDoctor: {doctor}\nDay: {day}\nExpected time: "
            "{start}-{end}\nQueue number: {queue}\nFee charged: {fee} yuan\nCard balance: "
            "{balance} yuan\n",
            doctor=booked.doctor.display_name(language),
            day=b.day.isoformat(),
            start=f"{b.period_starts_at.astimezone(zone):%H:%M}",
            end=f"{b.period_ends_at.astimezone(zone):%H:%M}",
            queue=b.queue_number,
            fee=format_yuan(b.fee),
            balance=format_yuan(booked.balance),
        )

    async def _reply(
        self, email: InboundEmail, text: str, language: str, booked: EmailBooked | None
    ) -> None:
        attachments: tuple[EmailAttachment, ...] = ()
        if booked is not None:
            b = booked.booking
            summary = translator(language)(
                "Clinic visit: {doctor}, number {queue}",
                doctor=booked.doctor.display_name(language),
                queue=b.queue_number,
            )
            ics = appointment_ics(
                uid=f"booking-{b.id}@careline",
                starts_at=b.period_starts_at,
                ends_at=b.period_ends_at,
                summary=summary,
                description=text,
                location=self._hospital,
                stamp=self._clock.now(),
            )
            attachments = (EmailAttachment("appointment.ics", "text/calendar", ics),)
        subject = (
            email.subject if email.subject.lower().startswith("re:") else f"Re: {email.subject}"
        )
        outgoing = OutgoingEmail(
            to=parseaddr(email.mail_from)[1],
            subject=subject,
            text=text,
            attachments=attachments,
            reply_to_message_id=email.message_id,
        )
        try:
            await self._sender.send(outgoing)
        except SendFailed as exc:
            log.warning("scheduling.email_reply_failed", email_id=email.stored_id, error=str(exc))


class BookingMailRouter(InboundHandler):
    """Send mail addressed to the booking address to bookings, everything else onwards."""

    def __init__(
        self, booking_address: str, bookings: InboundHandler, others: InboundHandler
    ) -> None:
        self._address = booking_address.casefold()
        self._bookings = bookings
        self._others = others

    async def handle_email(self, email: InboundEmail) -> HandlingOutcome:
        """Route by recipient."""
        if any(parseaddr(r)[1].casefold() == self._address for r in email.recipients):
            return await self._bookings.handle_email(email)
        return await self._others.handle_email(email)

    async def handle_sms(self, sms: InboundSms) -> HandlingOutcome:
        """Texts are never bookings: hand them on."""
        return await self._others.handle_sms(sms)
