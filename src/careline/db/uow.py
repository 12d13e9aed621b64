"""The unit of work: one connection and one transaction for one use case.

Services receive a ``UnitOfWork`` and build their repositories on ``uow.connection``;
the caller (an endpoint, a CLI command, a call flow) decides when to commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction


class UnitOfWork:
    """Own a connection and its transaction; roll back unless committed."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None

    @property
    def connection(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._connection

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    async def __aenter__(self) -> UnitOfWork:
        self._connection = await self._engine.connect()
        self._transaction = await self._connection.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._transaction is not None and self._transaction.is_active:
                await self._transaction.rollback()
        finally:
            if self._connection is not None:
                await self._connection.close()
            self._connection = None
            self._transaction = None

    async def commit(self) -> None:
        """Commit the work so far and start a new transaction on the same connection."""
        assert self._transaction is not None
        assert self._connection is not None
        await self._transaction.commit()
        self._transaction = await self._connection.begin()


UnitOfWorkFactory = Callable[[], UnitOfWork]


@asynccontextmanager
async def unit_of_work(engine: AsyncEngine) -> AsyncIterator[UnitOfWork]:
    async with UnitOfWork(engine) as uow:
        yield uow
