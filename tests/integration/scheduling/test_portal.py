"""The patient portal over HTTP: sign in by card or SMS code, book, cancel, statement."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.membership import service as membership
from careline.web.app import create_app
from tests.integration.scheduling.world import PIN, World, build_world, make_clock

DAY = date(2026, 11, 27)

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def portal(
    tmp_path: Path, engine: AsyncEngine
) -> AsyncIterator[tuple[httpx.AsyncClient, World]]:
    world = await build_world(engine, patients=1)
    app = create_app(Settings(data_dir=tmp_path), engine, clock=make_clock())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://careline.test") as http:
        yield http, world


async def _csrf(http: httpx.AsyncClient) -> str:
    page = await http.get("/portal/sign-in?lang=en")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


async def _card_number(engine: AsyncEngine, world: World) -> str:
    async with UnitOfWork(engine) as uow:
        return (await membership.get_card(uow, card_id=world.cards[0])).card_number


async def test_member_signs_in_books_and_cancels(
    portal: tuple[httpx.AsyncClient, World], engine: AsyncEngine
) -> None:
    http, world = portal
    csrf = await _csrf(http)
    number = await _card_number(engine, world)
    wrong = await http.post(
        "/portal/sign-in/card", data={"csrf_token": csrf, "card_number": number, "pin": "000000"}
    )
    assert wrong.status_code == 401
    assert "The PIN is wrong." in wrong.text
    signed = await http.post(
        "/portal/sign-in/card", data={"csrf_token": csrf, "card_number": number, "pin": PIN}
    )
    assert signed.status_code == 303
    home = await http.get("/portal")
    assert "200.00" in home.text
    doctor = await http.get(f"/portal/doctors/{world.doctor_id}")
    key = re.search(r'name="key" value="([^"]+2026-11-27-morning-0)"', doctor.text)
    assert key
    form = {
        "csrf_token": csrf,
        "key": key.group(1),
        "doctor_id": str(world.doctor_id),
        "day": "2026-11-27",
        "period": "morning",
        "period_index": "0",
    }
    booked = await http.post("/portal/book", data=form)
    assert booked.status_code == 303
    twice = await http.post("/portal/book", data={**form, "key": "another-key"})
    assert twice.status_code == 409
    assert "There is already a booking in this department on this day." in twice.text
    page = await http.get(booked.headers["location"])
    assert re.search(r'id="queue-number">1<', page.text)
    assert re.search(r'id="balance">150.00<', page.text)
    cancelled = await http.post(f"{booked.headers['location']}/cancel", data={"csrf_token": csrf})
    page = await http.get(cancelled.headers["location"])
    assert 'id="refunded"' in page.text
    assert re.search(r'id="balance">200.00<', page.text)


async def test_portal_form_without_csrf_is_refused(portal: tuple[httpx.AsyncClient, World]) -> None:
    http, _ = portal
    reply = await http.post("/portal/sign-in/card", data={"card_number": "1", "pin": "1"})
    assert reply.status_code == 403


async def test_sign_in_with_a_code_sent_by_sms(
    portal: tuple[httpx.AsyncClient, World], engine: AsyncEngine
) -> None:
    http, _ = portal
    csrf = await _csrf(http)
    phone = "+8613800001000"  # the first synthetic patient's mobile
    sent = await http.post(
        "/portal/sign-in/code-request", data={"csrf_token": csrf, "phone": phone}
    )
    assert sent.status_code == 200
    again = await http.post(
        "/portal/sign-in/code-request", data={"csrf_token": csrf, "phone": phone}
    )
    assert "please wait" in again.text
    async with engine.connect() as conn:
        body = (await conn.execute(sa.text("SELECT body FROM channel_messages"))).scalar_one()
    code = re.search(r"(\d{6})", body)
    assert code
    bad = await http.post(
        "/portal/sign-in/code",
        data={
            "csrf_token": csrf,
            "phone": phone,
            "code": "000000" if code.group(1) != "000000" else "111111",
        },
    )
    assert bad.status_code == 401
    good = await http.post(
        "/portal/sign-in/code", data={"csrf_token": csrf, "phone": phone, "code": code.group(1)}
    )
    assert good.status_code == 303
    assert (await http.get("/portal")).status_code == 200
    reused = await http.post(
        "/portal/sign-in/code", data={"csrf_token": csrf, "phone": phone, "code": code.group(1)}
    )
    assert reused.status_code == 401


async def test_portal_needs_sign_in(portal: tuple[httpx.AsyncClient, World]) -> None:
    http, _ = portal
    reply = await http.get("/portal")
    assert reply.status_code == 303
    assert reply.headers["location"] == "/portal/sign-in"


async def test_portal_speaks_chinese_by_default(
    portal: tuple[httpx.AsyncClient, World], engine: AsyncEngine
) -> None:
    http, world = portal
    page = await http.get("/portal/sign-in")
    assert "会员登录" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    number = await _card_number(engine, world)
    form = {"csrf_token": csrf.group(1), "card_number": number, "pin": "000000"}
    wrong = await http.post("/portal/sign-in/card", data=form)
    assert "密码错误。" in wrong.text


async def test_member_waits_for_a_full_clinic_and_takes_the_freed_place(
    tmp_path: Path, engine: AsyncEngine
) -> None:
    from careline.directory.model import SessionPeriod
    from careline.scheduling.model import BookingPolicy, Channel
    from careline.scheduling.service import BookingRequest, book_appointment, cancel_booking

    world = await build_world(engine, patients=2, capacity=1)
    policy = BookingPolicy(period_minutes=240, pool_release_days_before=30)
    app = create_app(Settings(data_dir=tmp_path), engine, clock=make_clock())
    app.state.booking_policy = policy
    async with UnitOfWork(engine) as uow:
        first = await book_appointment(
            uow,
            request=BookingRequest(
                world.doctor_id, DAY, SessionPeriod.MORNING, 0, world.cards[0], Channel.PHONE, "a"
            ),
            clock=make_clock(),
            policy=policy,
        )
        number = (await membership.get_card(uow, card_id=world.cards[1])).card_number
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://careline.test") as http:
        csrf = await _csrf(http)
        await http.post(
            "/portal/sign-in/card", data={"csrf_token": csrf, "card_number": number, "pin": PIN}
        )
        doctor = await http.get(f"/portal/doctors/{world.doctor_id}")
        assert 'class="waitlist"' in doctor.text
        form = {"csrf_token": csrf, "doctor_id": str(world.doctor_id), "day": DAY.isoformat()}
        joined = await http.post("/portal/waitlist", data={**form, "period": "morning"})
        assert joined.headers["location"] == "/portal?notice=waitlisted"
        async with UnitOfWork(engine) as uow:
            await cancel_booking(uow, booking_id=first.id, clock=make_clock(), policy=policy)
        home = await http.get("/portal")
        offer = re.search(r'name="waitlist_id" value="(\d+)"', home.text)
        assert offer
        taken = await http.post(
            "/portal/book",
            data={
                **form,
                "period": "morning",
                "period_index": "0",
                "waitlist_id": offer.group(1),
                "key": "offer-take",
            },
        )
        assert taken.status_code == 303
        page = await http.get(taken.headers["location"])
        assert re.search(r'id="queue-number">2<', page.text)
