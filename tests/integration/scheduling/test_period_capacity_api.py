"""PUT /api/v1/scheduling/sessions/period-capacity: admins, and department heads for their
own department, set one dated period's places."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.directory import admin
from careline.directory.model import Department
from careline.kit.clock import Clock
from careline.staff import service as staff_service
from careline.staff.model import Role
from tests.conftest import PASSWORD, StaffClientFactory
from tests.integration.scheduling.world import World, build_world

pytestmark = pytest.mark.asyncio
PATH = "/api/v1/scheduling/sessions/period-capacity"


def _body(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "doctor_id": world.doctor_id,
        "day": "2026-11-27",
        "period": "morning",
        "period_index": 1,
        "capacity": 5,
        "reason": "Extra nurse on duty",
        **changes,
    }


async def _head_of(engine: AsyncEngine, client: httpx.AsyncClient, department_id: int) -> None:
    """Sign ``client`` in as the head of ``department_id``."""
    username = f"head{department_id}"
    async with UnitOfWork(engine) as uow:
        await staff_service.create_staff(
            uow,
            username=username,
            display_name="Head",
            roles=frozenset({Role.DEPARTMENT_HEAD}),
            password=PASSWORD,
            clock=Clock(),
            department_id=department_id,
        )
    reply = await client.post(
        "/api/v1/auth/sign-in", json={"username": username, "password": PASSWORD}
    )
    reply.raise_for_status()
    client.headers["Authorization"] = f"Bearer {reply.json()['token']}"


async def test_an_admin_sets_the_places_and_reads_the_periods_back(
    engine: AsyncEngine, staff_client: StaffClientFactory
) -> None:
    world = await build_world(engine, patients=1)
    administrator = await staff_client(Role.ADMIN)
    reply = await administrator.put(PATH, json=_body(world))
    assert reply.status_code == 200, reply.text
    session = reply.json()
    assert (session["doctor_id"], session["day"], session["period"]) == (
        world.doctor_id,
        "2026-11-27",
        "morning",
    )
    assert session["capacity"] == 19
    assert [(p["index"], p["capacity"], p["taken"]) for p in session["periods"][:3]] == [
        (0, 2, 0),
        (1, 5, 0),
        (2, 2, 0),
    ]
    assert session["periods"][1]["starts_at"].startswith("2026-11-27T00:30")


async def test_refusals_carry_their_error_ids(
    engine: AsyncEngine, staff_client: StaffClientFactory
) -> None:
    world = await build_world(engine, patients=1)
    administrator = await staff_client(Role.ADMIN)
    negative = await administrator.put(PATH, json=_body(world, capacity=-1))
    assert (negative.status_code, negative.json()["error_id"]) == (422, "invalid_capacity")
    beyond = await administrator.put(PATH, json=_body(world, period_index=8))
    assert (beyond.status_code, beyond.json()["error_id"]) == (422, "period_out_of_range")
    no_reason = await administrator.put(PATH, json=_body(world, reason=""))
    assert no_reason.status_code == 422
    closed = await administrator.put(PATH, json=_body(world, capacity=0))
    assert closed.json()["periods"][1]["capacity"] == 0


async def test_only_admins_and_the_department_head_may_set_places(
    engine: AsyncEngine, staff_client: StaffClientFactory, client: httpx.AsyncClient
) -> None:
    world = await build_world(engine, patients=1)
    for role in (Role.AGENT, Role.SUPERVISOR, Role.DOCTOR):
        refused = await (await staff_client(role)).put(PATH, json=_body(world))
        assert refused.status_code == 403, role
    async with UnitOfWork(engine) as uow:
        other = await admin.create_department(
            uow, department=Department(name_zh="眼科", name_en="Ophthalmology")
        )
    await _head_of(engine, client, other.id)
    elsewhere = await client.put(PATH, json=_body(world))
    assert (elsewhere.status_code, elsewhere.json()["error_id"]) == (403, "permission_denied")
    await _head_of(engine, client, world.department_id)
    own = await client.put(PATH, json=_body(world, capacity=4))
    assert own.status_code == 200, own.text
    assert own.json()["periods"][1]["capacity"] == 4
