"""Queue SQLite writers of one engine in the process instead of in SQLite's busy handler.

SQLite lets one writer in at a time; the others poll with growing sleeps, so under load a
few unlucky ones wait seconds. Waiting on an asyncio lock first hands the write lock over
in arrival order. Other processes (and other engines) still meet at SQLite's own lock, so
correctness never depends on this gate; PostgreSQL needs none.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection

_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def writer_gate(conn: AsyncConnection) -> AsyncIterator[None]:
    """Hold the engine's in-process writer lock on SQLite; do nothing elsewhere.

    On SQLite a refusal inside the gate rolls the caller's transaction back at once.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    locks = _gates.setdefault(asyncio.get_running_loop(), {})
    lock = locks.setdefault(id(conn.engine.sync_engine), asyncio.Lock())
    async with lock:
        try:
            yield
        except BaseException:
            # Give the write lock back before the next writer is let in, rather than
            # whenever the caller's unit of work ends; the refused work is void anyway.
            await conn.rollback()
            raise


_firsts: weakref.WeakValueDictionary[Hashable, asyncio.Lock] = weakref.WeakValueDictionary()


@asynccontextmanager
async def first_comer(conn: AsyncConnection, *key: Hashable) -> AsyncIterator[None]:
    """Let one task of this engine at a time through for ``key``; the rest wait their turn.

    For work every racer would otherwise repeat (storing a clinic session on its first
    booking reads the doctor's whole schedule): the waiters then find it done. The lock
    is per engine, so a task never waits here on another engine's task (on SQLite that
    one might be waiting for this task's write lock).
    """
    full_key = (id(asyncio.get_running_loop()), id(conn.engine.sync_engine), *key)
    lock = _firsts.get(full_key)
    if lock is None:
        lock = _firsts[full_key] = asyncio.Lock()
    async with lock:
        yield
