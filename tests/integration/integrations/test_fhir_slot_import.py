"""HIS Slots applied to Careline's dated booking periods: places set, closed and reopened,
refusals logged with nothing changed, and the result seen on Careline's own FHIR face."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.directory.model import SessionPeriod
from careline.integrations import service
from careline.integrations.booking_sync import HisBookingRules
from careline.integrations.fhir.client import FhirClient
from careline.integrations.fhir.resources import DOCTOR_NUMBER, SLOT_CAPACITY, slot_id, validate
from careline.integrations.fhir.slot_import import ALREADY_SO, UNCHANGING, SlotMatch
from careline.integrations.fhir.sync import FhirSync
from careline.integrations.model import ExchangeEntry, Outcome
from careline.kit.clock import FakeClock
from careline.scheduling import clinic
from careline.scheduling.model import (
    Booking,
    BookingPolicy,
    BookingSession,
    BookingStatus,
    Channel,
    SessionFull,
)
from careline.scheduling.service import BookingRequest, book_appointment, find_session, get_booking
from careline.web.app import create_app
from tests.integration.scheduling.world import World, build_world, make_clock

pytestmark = pytest.mark.asyncio
DAY = date(2026, 11, 27)  # a Friday: morning clinic 08:00-12:00, 8 periods of 2 places
PERIOD = 2  # 09:00-09:30 in Shanghai
POLICY = BookingPolicy(pool_release_days_before=30)


def _his(request: httpx.Request) -> httpx.Response:
    """The HIS: Schedule s1 belongs to Practitioner p1, Careline's doctor number 1."""
    if request.url.path == "/fhir/Schedule/s1":
        actor = [{"reference": "Practitioner/p1"}]
        return httpx.Response(200, json={"resourceType": "Schedule", "id": "s1", "actor": actor})
    if request.url.path == "/fhir/Practitioner/p1":
        identifier = [{"system": DOCTOR_NUMBER, "value": "1"}]
        body = {"resourceType": "Practitioner", "id": "p1", "identifier": identifier}
        return httpx.Response(200, json=body)
    return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})


def _slot(status: str, capacity: Any = None, name: str = "h1") -> dict[str, Any]:
    slot: dict[str, Any] = {
        "resourceType": "Slot",
        "id": name,
        "schedule": {"reference": "Schedule/s1"},
        "status": status,
        "start": "2026-11-27T09:00:00+08:00",
        "end": "2026-11-27T09:30:00+08:00",
    }
    if capacity is not None:
        slot["extension"] = [{"url": SLOT_CAPACITY, "valueInteger": capacity}]
    return slot


async def _import(
    engine: AsyncEngine, slot: dict[str, Any], clock: FakeClock | None = None
) -> SlotMatch | None:
    clock = clock or make_clock()
    rules = HisBookingRules(clock, POLICY)
    async with FhirClient("http://his.test/fhir", transport=httpx.MockTransport(_his)) as client:
        sync = FhirSync(lambda: UnitOfWork(engine), client, clock)
        return await sync.import_slot(slot, rules)


async def _last_entry(engine: AsyncEngine) -> ExchangeEntry:
    async with UnitOfWork(engine) as uow:
        return (await service.exchange_log(uow, limit=1))[0]


async def _book(engine: AsyncEngine, world: World, card: int) -> Booking:
    request = BookingRequest(
        doctor_id=world.doctor_id,
        day=DAY,
        period=SessionPeriod.MORNING,
        period_index=PERIOD,
        card_id=card,
        channel=Channel.WINDOW,
        idempotency_key=f"k-{card}",
    )
    async with UnitOfWork(engine) as uow:
        return await book_appointment(uow, request=request, clock=make_clock(), policy=POLICY)


async def _session(engine: AsyncEngine, world: World) -> BookingSession | None:
    async with UnitOfWork(engine) as uow:
        return await find_session(
            uow, doctor_id=world.doctor_id, day=DAY, period=SessionPeriod.MORNING
        )


async def test_a_slot_capacity_is_exactly_the_bookable_places(any_engine: AsyncEngine) -> None:
    world = await build_world(any_engine, patients=6)
    match = await _import(any_engine, _slot("free", capacity=5))
    assert match is not None
    assert (match.doctor_id, match.day, match.period, match.period_index) == (
        world.doctor_id,
        DAY,
        SessionPeriod.MORNING,
        PERIOD,
    )
    assert (match.capacity, match.changed) == (5, True)
    entry = await _last_entry(any_engine)
    assert (entry.kind, entry.control_id, entry.outcome, entry.error) == (
        "Slot",
        "h1",
        Outcome.ACCEPTED,
        "",
    )
    booked = 0
    for card in world.cards:
        try:
            await _book(any_engine, world, card)
        except SessionFull:
            continue
        booked += 1
    assert booked == 5


async def test_busy_unavailable_closes_the_period_and_keeps_its_bookings(
    engine: AsyncEngine,
) -> None:
    world = await build_world(engine, patients=2)
    kept = await _book(engine, world, world.cards[0])
    match = await _import(engine, _slot("busy-unavailable"))
    assert match is not None
    assert (match.capacity, match.changed) == (1, True)
    with pytest.raises(SessionFull):
        await _book(engine, world, world.cards[1])
    async with UnitOfWork(engine) as uow:
        assert (await get_booking(uow, booking_id=kept.id)).status is BookingStatus.BOOKED
    assert (await _last_entry(engine)).outcome is Outcome.ACCEPTED


async def test_free_without_a_capacity_reopens_a_closed_period(engine: AsyncEngine) -> None:
    world = await build_world(engine, patients=2)
    closed = await _import(engine, _slot("busy-unavailable"))
    assert closed is not None
    assert closed.capacity == 0
    reopened = await _import(engine, _slot("free"))
    assert reopened is not None
    assert (reopened.capacity, reopened.changed) == (1, True)
    await _book(engine, world, world.cards[0])
    with pytest.raises(SessionFull):
        await _book(engine, world, world.cards[1])
    again = await _import(engine, _slot("free"))  # a period with places keeps them
    assert again is not None
    assert (again.capacity, again.changed) == (1, False)
    assert (await _last_entry(engine)).error == ALREADY_SO


async def test_fewer_places_than_bookings_is_an_error_and_changes_nothing(
    engine: AsyncEngine,
) -> None:
    world = await build_world(engine, patients=2)
    await _book(engine, world, world.cards[0])
    await _book(engine, world, world.cards[1])
    assert await _import(engine, _slot("free", capacity=1)) is None
    entry = await _last_entry(engine)
    assert (entry.kind, entry.outcome) == ("Slot", Outcome.ERROR)
    assert entry.error == "Places already booked in this period: 2. The capacity cannot be lower."
    session = await _session(engine, world)
    assert session is not None
    assert (session.capacity, session.period_capacities) == (16, None)
    assert await _import(engine, _slot("free", capacity=-3)) is None
    assert (await _last_entry(engine)).error == "The number of places must be between 0 and 999."
    assert await _import(engine, _slot("free", capacity="5")) is None
    assert (await _last_entry(engine)).outcome is Outcome.ERROR


async def test_busy_changes_nothing_and_a_stopped_session_is_an_error(
    engine: AsyncEngine,
) -> None:
    world = await build_world(engine, patients=1)
    busy = await _import(engine, _slot("busy", capacity=9))
    assert busy is not None
    assert (busy.capacity, busy.changed) == (2, False)
    entry = await _last_entry(engine)
    assert (entry.outcome, entry.error) == (Outcome.ACCEPTED, UNCHANGING["busy"])
    assert await _session(engine, world) is None  # nothing stored either
    async with UnitOfWork(engine) as uow:
        await clinic.stop_session(
            uow,
            doctor_id=world.doctor_id,
            day=DAY,
            period=SessionPeriod.MORNING,
            reason="Doctor ill",
            clock=make_clock(),
        )
    for status in ("free", "busy", "busy-unavailable"):
        assert await _import(engine, _slot(status)) is None
        entry = await _last_entry(engine)
        assert (entry.outcome, entry.error) == (
            Outcome.ERROR,
            "This clinic session has been cancelled by the hospital.",
        ), status


async def test_the_applied_capacity_shows_on_careline_s_own_slots(
    engine: AsyncEngine, settings: Settings
) -> None:
    # 17:30 in Shanghai the day before: the day's pools are open to every channel.
    clock = make_clock(datetime(2026, 11, 26, 9, 30, tzinfo=UTC))
    world = await build_world(engine, patients=1, clock=clock)
    assert await _import(engine, _slot("free", capacity=5), clock) is not None
    async with UnitOfWork(engine) as uow:
        _id, token = await service.create_client_token(uow, name="his", clock=clock)
    app = create_app(settings, engine, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://careline.test",
        headers={"Authorization": f"Bearer {token}"},
    ) as face:
        reply = await face.get("/fhir/Slot", params={"schedule": f"Schedule/{world.doctor_id}"})
    assert reply.status_code == 200, reply.text
    wanted = slot_id(world.doctor_id, DAY, "morning", PERIOD)
    (slot,) = [
        e["resource"] for e in validate(reply.json())["entry"] if e["resource"]["id"] == wanted
    ]
    assert slot["status"] == "free"
    assert slot["extension"] == [
        {"url": SLOT_CAPACITY, "valueInteger": 5},
        {"url": "urn:careline:fhir:slot-free", "valueInteger": 5},
    ]


async def test_every_note_and_refusal_has_a_chinese_translation() -> None:
    from careline.web.i18n import catalog

    texts = [
        *UNCHANGING.values(),
        ALREADY_SO,
        "The Slot's capacity extension needs a valueInteger.",
    ]
    assert [t for t in texts if t not in catalog("zh-CN")] == []
