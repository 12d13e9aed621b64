"""Shared fixtures: databases (SQLite and a real PostgreSQL), the app, signed-in clients."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.config import Settings
from careline.db.engine import make_engine
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock, FakeClock
from careline.staff import service as staff_service
from careline.staff.model import Role, StaffMember
from careline.tables import metadata
from careline.web.app import create_app
from tests.support.postgres import postgres_server

PASSWORD = "correct-horse-battery"
_db_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A real PostgreSQL server for the whole test session."""
    with postgres_server() as url:
        yield url


async def fresh_pg_database(server_url: str) -> str:
    name = f"careline_test_{next(_db_numbers)}"
    admin = make_engine(f"{server_url}/postgres")
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        await conn.execute(sa.text(f"CREATE DATABASE {name}"))
    await admin.dispose()
    return f"{server_url}/{name}"


@pytest_asyncio.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'careline.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def pg_engine(pg_server: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(await fresh_pg_database(pg_server))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'careline.db'}"
    else:
        url = await fresh_pg_database(request.getfixturevalue("pg_server"))
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def engine(sqlite_engine: AsyncEngine) -> AsyncEngine:
    return sqlite_engine


@pytest.fixture
def uow_factory(engine: AsyncEngine) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(engine)


@pytest_asyncio.fixture
async def uow(engine: AsyncEngine) -> AsyncIterator[UnitOfWork]:
    async with UnitOfWork(engine) as unit:
        yield unit


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")


@pytest_asyncio.fixture
async def client(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, not signed in."""
    app = create_app(settings, engine, clock=Clock())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://careline.test") as client:
        yield client


async def make_staff(
    engine: AsyncEngine, username: str, *roles: Role, password: str = PASSWORD
) -> StaffMember:
    async with UnitOfWork(engine) as unit:
        return await staff_service.create_staff(
            unit,
            username=username,
            display_name=username.title(),
            roles=frozenset(roles),
            password=password,
            clock=Clock(),
        )


StaffClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest_asyncio.fixture
async def staff_client(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[StaffClientFactory]:
    """``await staff_client(Role.ADMIN)``: a client signed in by bearer token with that role."""
    app = create_app(settings, engine, clock=Clock())
    clients: list[httpx.AsyncClient] = []
    names = itertools.count(1)

    async def factory(*roles: Role) -> httpx.AsyncClient:
        username = f"{'-'.join(sorted(roles)) or 'staff'}{next(names)}".replace("_", "")
        await make_staff(engine, username, *roles)
        transport = httpx.ASGITransport(app=app)
        http = httpx.AsyncClient(transport=transport, base_url="http://careline.test")
        reply = await http.post(
            "/api/v1/auth/sign-in", json={"username": username, "password": PASSWORD}
        )
        reply.raise_for_status()
        http.headers["Authorization"] = f"Bearer {reply.json()['token']}"
        clients.append(http)
        return http

    yield factory
    for http in clients:
        await http.aclose()
