import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.kit.clock import FakeClock
from careline.staff import service
from careline.staff.audit import access_history, record_access
from careline.staff.model import AccountLocked, InvalidCredentials, Role
from tests.conftest import PASSWORD, make_staff

LIMITS = {"max_attempts": 5, "lock_minutes": 15, "session_hours": 12}


@pytest.mark.asyncio
async def test_sign_in_opens_a_session_that_names_the_staff_member(any_engine: AsyncEngine) -> None:
    await make_staff(any_engine, "li.na", Role.AGENT)
    clock = FakeClock()
    async with UnitOfWork(any_engine) as uow:
        signed = await service.sign_in(
            uow, username="LI.NA", password=PASSWORD, clock=clock, **LIMITS
        )
    async with UnitOfWork(any_engine) as uow:
        found = await service.session_staff(uow, token=signed.token, clock=clock)
    assert found is not None
    assert found[0].username == "li.na"
    assert found[1] == signed.csrf_token


@pytest.mark.asyncio
async def test_session_expires(engine: AsyncEngine) -> None:
    await make_staff(engine, "li.na", Role.AGENT)
    clock = FakeClock()
    async with UnitOfWork(engine) as uow:
        signed = await service.sign_in(
            uow, username="li.na", password=PASSWORD, clock=clock, **LIMITS
        )
    clock.advance(12 * 3600 + 1)
    async with UnitOfWork(engine) as uow:
        assert await service.session_staff(uow, token=signed.token, clock=clock) is None


@pytest.mark.asyncio
async def test_wrong_password_five_times_locks_even_the_right_password(
    any_engine: AsyncEngine,
) -> None:
    await make_staff(any_engine, "wang.fang", Role.DOCTOR)
    clock = FakeClock()
    for _ in range(4):
        async with UnitOfWork(any_engine) as uow:
            with pytest.raises(InvalidCredentials):
                await service.sign_in(
                    uow, username="wang.fang", password="wrong-password", clock=clock, **LIMITS
                )
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(AccountLocked):
            await service.sign_in(
                uow, username="wang.fang", password="wrong-password", clock=clock, **LIMITS
            )
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(AccountLocked):
            await service.sign_in(
                uow, username="wang.fang", password=PASSWORD, clock=clock, **LIMITS
            )
    clock.advance(15 * 60 + 1)
    async with UnitOfWork(any_engine) as uow:
        signed = await service.sign_in(
            uow, username="wang.fang", password=PASSWORD, clock=clock, **LIMITS
        )
    assert signed.staff.username == "wang.fang"


@pytest.mark.asyncio
async def test_unknown_user_gets_the_same_answer_as_a_wrong_password(engine: AsyncEngine) -> None:
    async with UnitOfWork(engine) as uow:
        with pytest.raises(InvalidCredentials) as info:
            await service.sign_in(
                uow, username="nobody", password="x" * 12, clock=FakeClock(), **LIMITS
            )
    assert info.value.message == "Wrong username or password."


@pytest.mark.asyncio
async def test_password_is_stored_as_argon2_hash(engine: AsyncEngine) -> None:
    await make_staff(engine, "zhao.lei", Role.ADMIN)
    async with engine.connect() as conn:
        from careline.staff.tables import staff_members

        stored = (await conn.execute(staff_members.select())).first()
    assert stored is not None
    assert stored.password_hash.startswith("$argon2")
    assert PASSWORD not in stored.password_hash


@pytest.mark.asyncio
async def test_audit_rows_record_who_read_what(any_engine: AsyncEngine) -> None:
    member = await make_staff(any_engine, "chen.jie", Role.AGENT)
    async with UnitOfWork(any_engine) as uow:
        await record_access(
            uow.connection,
            staff_id=member.id,
            action="read",
            subject="patient",
            subject_id=42,
            context="GET /admin/patients/42",
        )
        await uow.commit()
    async with UnitOfWork(any_engine) as uow:
        rows = await access_history(uow.connection, subject="patient", subject_id=42)
    assert [(r["username"], r["action"], r["context"]) for r in rows] == [
        ("chen.jie", "read", "GET /admin/patients/42")
    ]


@pytest.mark.asyncio
async def test_deactivated_account_loses_its_sessions(engine: AsyncEngine) -> None:
    member = await make_staff(engine, "sun.li", Role.AGENT)
    clock = FakeClock()
    async with UnitOfWork(engine) as uow:
        signed = await service.sign_in(
            uow, username="sun.li", password=PASSWORD, clock=clock, **LIMITS
        )
        await service.update_staff(uow, staff_id=member.id, active=False)
        assert await service.session_staff(uow, token=signed.token, clock=clock) is None
        with pytest.raises(InvalidCredentials):
            await service.sign_in(uow, username="sun.li", password=PASSWORD, clock=clock, **LIMITS)


@pytest.mark.asyncio
async def test_api_staff_list_needs_admin(staff_client: object) -> None:
    agent: httpx.AsyncClient = await staff_client(Role.AGENT)  # type: ignore[operator]
    admin: httpx.AsyncClient = await staff_client(Role.ADMIN)  # type: ignore[operator]
    assert (await agent.get("/api/v1/staff")).status_code == 403
    reply = await admin.get("/api/v1/staff")
    assert reply.status_code == 200
    assert {m["username"] for m in reply.json()} >= {"agent1", "admin2"}


@pytest.mark.asyncio
async def test_api_without_token_is_401(client: httpx.AsyncClient) -> None:
    reply = await client.get("/api/v1/staff/me")
    assert reply.status_code == 401
    assert reply.json()["error_id"] == "not_signed_in"
