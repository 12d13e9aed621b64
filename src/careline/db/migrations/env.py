"""Alembic environment: migrations run on a connection handed in by careline.db.migrate."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from careline.db.engine import make_engine
from careline.tables import metadata

config = context.config


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_url(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(run_on)
    await engine.dispose()


given = config.attributes.get("connection")
if given is not None:
    run_on(given)
else:
    asyncio.run(run_with_url(config.get_main_option("sqlalchemy.url") or ""))
