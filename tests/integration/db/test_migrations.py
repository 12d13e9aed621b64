"""Alembic migrations build exactly the schema the code declares, on both databases."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from careline.db.engine import make_engine
from careline.db.migrate import current_revision, upgrade
from careline.tables import metadata
from tests.conftest import fresh_pg_database


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def _check(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        assert await current_revision(engine) is not None
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
        assert differences == [], f"migrations and tables disagree: {differences}"
        await upgrade(engine)  # a second run is a no-op, not an error
    finally:
        await engine.dispose()


@pytest.mark.asyncio
async def test_migrations_match_the_tables_on_sqlite(tmp_path: Path) -> None:
    await _check(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


@pytest.mark.asyncio
@pytest.mark.postgres
async def test_migrations_match_the_tables_on_postgres(pg_server: str) -> None:
    await _check(await fresh_pg_database(pg_server))
