"""Member actions: card sign-in, balance and statement, booking and cancelling by phone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from careline.directory import service as directory
from careline.directory.model import SessionPeriod
from careline.ivr.actions import pick, zone_of
from careline.ivr.care_actions import sms_to_caller
from careline.ivr.registry import action
from careline.ivr.session import AgentRequested, CallSession
from careline.membership import service as membership
from careline.membership.model import (
    CardLocked,
    CardNotActive,
    InsufficientBalance,
    MemberCard,
    MembershipError,
    WrongPin,
)
from careline.scheduling import service as scheduling
from careline.scheduling.availability import free_periods
from careline.scheduling.model import (
    BookingStatus,
    CancelDeadlinePassed,
    Channel,
    OutsideWindow,
    SchedulingError,
    SessionCancelled,
    SessionFull,
)
from careline.speech import phrases

MAX_PIN_TRIES = 3
STATEMENT_DAYS = 90
LAST_ENTRIES = 3
CARD_KEY = "member_card"


def signed_in(session: CallSession) -> MemberCard:
    card = session.values.get(CARD_KEY)
    if not isinstance(card, MemberCard):
        raise AgentRequested("not_signed_in")
    return card


@action(
    "member_sign_in",
    prompts=(
        "ask_card_number",
        "ask_card_pin",
        "card_unknown",
        "card_wrong_pin",
        "card_pin_failed_thrice",
        "card_locked",
        "card_inactive",
        "member_welcome",
    ),
)
async def member_sign_in(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Sign in with card number and PIN; three wrong PINs are explained and go to an agent."""
    if isinstance(session.values.get(CARD_KEY), MemberCard):
        return None
    wrong = unknown = 0
    while True:
        number = await session.ask_digits("ask_card_number", max_digits=20)
        pin = await session.ask_digits("ask_card_pin", max_digits=6)
        try:
            async with session.uow() as uow:
                card = await membership.verify_pin(
                    uow, card_number=number, pin=pin, clock=session.clock
                )
        except WrongPin:
            wrong += 1
            if wrong >= MAX_PIN_TRIES:
                await session.say("card_pin_failed_thrice")
                raise AgentRequested("wrong_pin") from None
            await session.say("card_wrong_pin")
            continue
        except CardLocked:
            await session.say("card_locked")
            raise AgentRequested("card_locked") from None
        except CardNotActive:
            await session.say("card_inactive")
            raise AgentRequested("card_inactive") from None
        except MembershipError:
            unknown = await session.retry_or_agent(unknown)
            await session.say("card_unknown", number=phrases.digits(number, session.language))
            continue
        session.values[CARD_KEY] = card
        session.member_card = card.card_number
        await session.say("member_welcome")
        return None


@action("member_balance", prompts=("balance", "ledger_entry", "entry_charge", "entry_credit"))
async def member_balance(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Say the card's balance and its last transactions."""
    card = signed_in(session)
    lang = session.language
    today = session.clock.today()
    async with session.uow() as uow:
        balance = await membership.card_balance(uow, card_id=card.id)
        statement = await membership.card_statement(
            uow,
            card_id=card.id,
            first_day=today - timedelta(days=STATEMENT_DAYS),
            last_day=today,
            zone=zone_of(session),
        )
    await session.say("balance", private=True, amount=phrases.money(balance, lang))
    for entry in list(reversed(statement.entries))[:LAST_ENTRIES]:
        what = "entry_charge" if entry.amount < 0 else "entry_credit"
        day = entry.created_at.astimezone(zone_of(session)).date()
        if await session.say(
            "ledger_entry",
            private=True,
            day=phrases.date_phrase(day, lang, with_weekday=False),
            what=session.flow.text(what, lang),
            amount=phrases.money(abs(entry.amount), lang),
        ):
            break
    session.served = True
    return None


async def _choose_doctor(session: CallSession) -> tuple[int | None, int, dict[int, str]]:
    """Department, then a doctor or "any doctor"; return (doctor id or None, dept id, names)."""
    lang = session.language
    async with session.uow() as uow:
        listed = [entry for entry in await directory.departments_with_doctors(uow) if entry.doctors]
    if not listed:
        raise AgentRequested("no_doctors")
    entry = listed[
        await pick(session, "pick_department", [e.department.name(lang) for e in listed])
    ]
    names = {doctor.id: doctor.display_name(lang) for doctor in entry.doctors}
    labels = [session.flow.text("any_doctor", lang), *names.values()]
    chosen = await pick(session, "pick_doctor", labels)
    doctor_id = None if chosen == 0 else entry.doctors[chosen - 1].id
    return doctor_id, entry.department.id, names


@action(
    "member_book",
    prompts=(
        "pick_department",
        "pick_doctor",
        "more_options",
        "any_doctor",
        "pick_day",
        "pick_time",
        "no_free_places",
        "book_confirm",
        "booked",
        "sms_booked",
        "clinic_full",
        "session_expired",
        "balance_low",
        "booking_refused",
    ),
)
async def member_book(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Book a free place from the phone pool, charge the card, say and text the number."""
    card = signed_in(session)
    lang = session.language
    doctor_id, department_id, names = await _choose_doctor(session)
    async with session.uow() as uow:
        sessions = await free_periods(
            uow,
            clock=session.clock,
            channel=Channel.PHONE,
            department_id=None if doctor_id else department_id,
            doctor_id=doctor_id,
        )
    offers = [
        (clinic, period)
        for clinic in sessions
        if not clinic.cancelled
        for period in clinic.periods
        if period.free > 0
    ]
    days = sorted({clinic.day for clinic, _ in offers})
    if not days:
        await session.say("no_free_places")
        return None
    day = days[await pick(session, "pick_day", [phrases.date_phrase(d, lang) for d in days])]
    zone = zone_of(session)
    on_day = [(clinic, period) for clinic, period in offers if clinic.day == day][:24]
    labels = [
        f"{names.get(c.doctor_id, '')} "
        f"{phrases.time_of_day(p.period.starts_at.astimezone(zone).time(), lang)}"
        for c, p in on_day
    ]
    clinic, offer = on_day[await pick(session, "pick_time", labels)]
    starts = phrases.time_of_day(offer.period.starts_at.astimezone(zone).time(), lang)
    confirm = await session.choose(
        "book_confirm",
        ("1", "2"),
        doctor=names.get(clinic.doctor_id, ""),
        day=phrases.date_phrase(day, lang),
        time=starts,
        fee=phrases.money(clinic.registration_fee, lang),
    )
    if confirm != "1":
        return None
    request = scheduling.BookingRequest(
        doctor_id=clinic.doctor_id,
        day=day,
        period=SessionPeriod(clinic.period),
        period_index=offer.period.index,
        card_id=card.id,
        channel=Channel.PHONE,
        idempotency_key=f"ivr:{session.call.id}:{len(session.path)}"[:90],
    )
    try:
        async with session.uow() as uow:
            booking = await scheduling.book_appointment(uow, request=request, clock=session.clock)
    except SessionFull:
        await session.say("clinic_full")
        return None
    except (SessionCancelled, OutsideWindow):
        # The offer went stale while the caller listened: stopped, or no longer bookable.
        await session.say("session_expired")
        return None
    except InsufficientBalance:
        await session.say("balance_low")
        return None
    except (SchedulingError, MembershipError):
        await session.say("booking_refused")
        return None
    number = phrases.queue_number(booking.queue_number, lang)
    await session.say("booked", number=number, day=phrases.date_phrase(day, lang), time=starts)
    await sms_to_caller(
        session,
        "sms_booked",
        number=str(booking.queue_number),
        day=day.isoformat(),
        time=offer.period.starts_at.astimezone(zone).strftime("%H:%M"),
    )
    session.values["booking_id"] = booking.id
    session.served = True
    return None


@action(
    "member_bookings",
    prompts=(
        "no_bookings",
        "pick_booking",
        "more_options",
        "cancel_confirm",
        "booking_cancelled",
        "cancel_too_late",
        "booking_refused",
    ),
)
async def member_bookings(session: CallSession, args: Mapping[str, str]) -> str | None:  # noqa: ARG001
    """Read the caller's coming bookings and cancel one with its refund."""
    card = signed_in(session)
    lang = session.language
    zone = zone_of(session)
    async with session.uow() as uow:
        found = await scheduling.bookings_of_patient(
            uow, patient_id=card.patient_id, since=session.clock.today()
        )
    coming = [b for b in found if b.status is BookingStatus.BOOKED]
    if not coming:
        await session.say("no_bookings")
        session.served = True
        return None
    labels = [
        f"{phrases.date_phrase(b.day, lang)} "
        f"{phrases.time_of_day(b.period_starts_at.astimezone(zone).time(), lang)} "
        f"{phrases.queue_number(b.queue_number, lang)}"
        for b in coming
    ]
    booking = coming[await pick(session, "pick_booking", labels)]
    if await session.choose("cancel_confirm", ("1", "2")) != "1":
        return None
    try:
        async with session.uow() as uow:
            await scheduling.cancel_booking(
                uow, booking_id=booking.id, clock=session.clock, card_id=card.id
            )
    except CancelDeadlinePassed:
        await session.say("cancel_too_late")
        return None
    except (SchedulingError, MembershipError):
        await session.say("booking_refused")
        return None
    await session.say("booking_cancelled", fee=phrases.money(booking.fee, lang))
    session.served = True
    return None
