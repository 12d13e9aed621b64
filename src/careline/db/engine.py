"""Create async engines; SQLite gets WAL, foreign keys and a busy timeout."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Return an engine for ``url`` with the pragmas Careline relies on."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No pool_pre_ping: on asyncpg it costs BEGIN, a ping and ROLLBACK (three round trips)
    # on every checkout. A connection the server closed is known to the driver without a
    # round trip; recycling retires connections a silent network may have cut.
    engine = create_async_engine(
        url, echo=echo, pool_size=10, max_overflow=20, pool_recycle=RECYCLE_SECONDS
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed)
    return engine


RECYCLE_SECONDS = 1800


def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection its server has closed: the pool opens a new one instead."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    if is_closed is not None and is_closed():
        raise DisconnectionError("the server closed this connection")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"
