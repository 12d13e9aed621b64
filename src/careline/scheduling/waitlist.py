"""The waiting list: join when full, hold a freed place for the first waiter, expire offers."""

from __future__ import annotations

from datetime import timedelta

from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.membership import service as membership
from careline.scheduling.model import (
    Booking,
    BookingPolicy,
    BookingSession,
    Channel,
    OfferNotAvailable,
    SessionCancelled,
    WaitlistEntry,
    WaitStatus,
)
from careline.scheduling.repository import SchedulingRepository


async def join_waitlist(
    uow: UnitOfWork, *, session_id: int, card_id: int, channel: Channel, clock: Clock
) -> WaitlistEntry:
    """Put the card's owner on the session's waiting list (first come, first offered)."""
    repo = SchedulingRepository(uow.connection)
    session = await repo.get_session(session_id)
    if session is None or session.stopped:
        raise SessionCancelled("This clinic session does not take place.")
    card = await membership.get_card(uow, card_id=card_id)
    entry = await repo.add_waiter(
        {
            "session_id": session_id,
            "patient_id": card.patient_id,
            "card_id": card_id,
            "channel": channel,
            "status": WaitStatus.WAITING,
            "created_at": clock.now(),
        }
    )
    await uow.commit()
    return entry


async def offer_freed_place(
    uow: UnitOfWork, *, booking: Booking, clock: Clock, policy: BookingPolicy
) -> WaitlistEntry | None:
    """Hold the freed place of ``booking`` for the first waiter; the caller commits."""
    repo = SchedulingRepository(uow.connection)
    return await _offer(repo, booking.session_id, booking.period_index, clock, policy)


async def _offer(
    repo: SchedulingRepository,
    session_id: int,
    period_index: int,
    clock: Clock,
    policy: BookingPolicy,
) -> WaitlistEntry | None:
    waiter = await repo.first_waiter(session_id)
    if waiter is None:
        return None
    expires = clock.now() + timedelta(minutes=policy.offer_hold_minutes)
    await repo.update_waiter(
        waiter.id, status=WaitStatus.OFFERED, period_index=period_index, offer_expires_at=expires
    )
    return await repo.get_waiter(waiter.id)


async def expire_offers(
    uow: UnitOfWork, *, clock: Clock, policy: BookingPolicy
) -> list[WaitlistEntry]:
    """Expire offers not taken in time and pass each place to the next waiter."""
    repo = SchedulingRepository(uow.connection)
    passed_on: list[WaitlistEntry] = []
    for offer in await repo.expired_offers(clock.now()):
        await repo.lock_session(offer.session_id)
        await repo.update_waiter(offer.id, status=WaitStatus.EXPIRED)
        assert offer.period_index is not None
        nxt = await _offer(repo, offer.session_id, offer.period_index, clock, policy)
        if nxt is not None:
            passed_on.append(nxt)
    await uow.commit()
    return passed_on


async def get_offer(uow: UnitOfWork, *, entry_id: int, card_id: int, clock: Clock) -> WaitlistEntry:
    """Return a live offer made to this card, or raise OfferNotAvailable."""
    entry = await SchedulingRepository(uow.connection).get_waiter(entry_id)
    if (
        entry is None
        or entry.card_id != card_id
        or entry.status is not WaitStatus.OFFERED
        or entry.offer_expires_at is None
        or entry.offer_expires_at <= clock.now()
    ):
        raise OfferNotAvailable("This offer has expired or does not exist.")
    return entry


async def offers_to_patient(
    uow: UnitOfWork, *, patient_id: int, clock: Clock
) -> list[tuple[WaitlistEntry, BookingSession]]:
    """Return the live offers held for a patient, each with its session."""
    repo = SchedulingRepository(uow.connection)
    result = []
    for entry in await repo.offers_to_patient(patient_id, clock.now()):
        session = await repo.get_session(entry.session_id)
        if session is not None:
            result.append((entry, session))
    return result
