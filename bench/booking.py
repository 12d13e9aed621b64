"""Benchmark booking: bookings per second and p99 latency under 50 and 500 clients.

Builds a hospital of 20 doctors with a morning clinic every day (capacity 200, fee 50
yuan), gives ``--patients`` members a card with money, then lets N concurrent clients
book through ``careline.scheduling.service.book_appointment`` (the fee charged in the same
transaction) until every member has tried once. Checks afterwards that no place was sold
twice (unique queue numbers per session, no period over capacity) and that every booking
was charged exactly once. Runs on a temporary SQLite file and on PostgreSQL (a throw-away
server started like the test suite's, or ``CARELINE_BENCH_PG_URL``, whose public schema
it drops and rebuilds).

Besides the rate and latencies it reports, per attempt, the SQL statements sent (counted
with SQLAlchemy's ``before_cursor_execute`` event; BEGIN and COMMIT are not statements
there) and the CPU time of this process and of the PostgreSQL backends serving the pool
(from /proc): the objective figures when the machine is shared and rates are noisy.
The clients run on uvloop, as ``careline serve`` does.

    .venv/bin/python bench/booking.py [--patients 6000] [--clients 50 500] [--no-pg]
        [--no-sqlite] [--pg-pool 60] [--pre-ping]
    .venv/bin/python bench/booking.py --profile [--patients 2000]   # CPU per statement
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import uvloop
from argon2 import PasswordHasher
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.support.postgres

from careline.db.engine import _sqlite_pragmas  # noqa: E402
from careline.db.uow import UnitOfWork  # noqa: E402
from careline.directory import admin  # noqa: E402
from careline.directory.model import (  # noqa: E402
    Department,
    Doctor,
    DoctorTitle,
    SessionPeriod,
    WeeklySession,
)
from careline.kit.clock import FakeClock  # noqa: E402
from careline.membership import service as membership  # noqa: E402
from careline.membership.model import EntryKind  # noqa: E402
from careline.patients.repository import PatientRepository  # noqa: E402
from careline.patients.synthetic import synthetic_patients  # noqa: E402
from careline.scheduling.model import BookingPolicy, Channel, SchedulingError  # noqa: E402
from careline.scheduling.pg_repository import PgSchedulingRepository  # noqa: E402
from careline.scheduling.service import BookingRequest, book_appointment  # noqa: E402
from careline.tables import metadata  # noqa: E402

DOCTORS = 20
DAYS = 6
CAPACITY = 200
FEE = 50_00
START = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wednesday 09:00 in Shanghai
POLICY = BookingPolicy(pool_release_days_before=30, max_active_bookings=10)
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


async def build(engine: AsyncEngine, patients: int) -> tuple[list[int], list[int]]:
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Whatever an earlier run (of any version) left behind goes.
            await conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            await conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    clock = FakeClock(START)
    week = [
        WeeklySession(
            weekday=d, period=SessionPeriod.MORNING, capacity=CAPACITY, registration_fee=FEE
        )
        for d in range(7)
    ]
    doctors, cards = [], []
    async with UnitOfWork(engine) as uow:
        department = await admin.create_department(uow, department=Department(name_zh="内科"))
        for n in range(DOCTORS):
            doctor = Doctor(department.id, f"医生{n}", DoctorTitle.ATTENDING, str(100 + n))
            doctors.append((await admin.create_doctor(uow, doctor=doctor, sessions=week)).id)
        ids = await PatientRepository(uow.connection).bulk_add(
            list(synthetic_patients(patients)), now=clock.now()
        )
        await uow.commit()
        for patient_id in ids:
            card = await membership.issue_card(
                uow, patient_id=patient_id, pin="123456", clock=clock, hasher=FAST
            )
            await membership.post_entry(
                uow,
                card_id=card.id,
                kind=EntryKind.TOP_UP,
                amount=500_00,
                key=f"seed-{card.id}",
                reason="Opening balance",
                clock=clock,
            )
            cards.append(card.id)
    return doctors, cards


Hook = Callable[..., None]


@contextlib.contextmanager
def statement_hooks(engine: AsyncEngine, before: Hook, after: Hook) -> Iterator[None]:
    """Call ``before(statement)`` / ``after(statement)`` around every statement sent.

    SQLAlchemy's cursor events see the generic path; the booking statements PostgreSQL
    sends straight through asyncpg (``PgSchedulingRepository._run``) are wrapped here.
    """
    original = PgSchedulingRepository._run

    async def wrapped(
        self: Any, statement: Any, params: Any, call: str = "fetch", **how: Any
    ) -> Any:
        before(statement.sql)
        try:
            return await original(self, statement, params, call, **how)
        finally:
            after(statement.sql)

    def sa_before(*args: object) -> None:
        before(args[2])

    def sa_after(*args: object) -> None:
        after(args[2])

    PgSchedulingRepository._run = wrapped  # type: ignore[method-assign]
    event.listen(engine.sync_engine, "before_cursor_execute", sa_before)
    event.listen(engine.sync_engine, "after_cursor_execute", sa_after)
    try:
        yield
    finally:
        PgSchedulingRepository._run = original  # type: ignore[method-assign]
        event.remove(engine.sync_engine, "before_cursor_execute", sa_before)
        event.remove(engine.sync_engine, "after_cursor_execute", sa_after)


async def run(
    engine: AsyncEngine, doctors: list[int], cards: list[int], clients: int
) -> dict[str, float]:
    rng = random.Random(7)
    clock = FakeClock(START)
    work = [
        BookingRequest(
            doctor_id=rng.choice(doctors),
            day=START.date() + timedelta(days=rng.randrange(1, DAYS + 1)),
            period=SessionPeriod.MORNING,
            period_index=rng.randrange(8),
            card_id=card,
            channel=Channel.WEB,
            idempotency_key=f"bench-{clients}-{card}",
        )
        for card in cards
    ]
    latencies: list[float] = []
    outcomes = {"booked": 0, "refused": 0}
    statements = [0]

    def count(_statement: str) -> None:
        statements[0] += 1

    def ignore(_statement: str) -> None:
        pass

    async def client() -> None:
        while work:
            request = work.pop()
            began = time.perf_counter()
            try:
                async with UnitOfWork(engine) as uow:
                    await book_appointment(uow, request=request, clock=clock, policy=POLICY)
                outcomes["booked"] += 1
            except SchedulingError:
                outcomes["refused"] += 1
            latencies.append(time.perf_counter() - began)
            # A real client's next request comes a network trip later: without this the
            # client that just gave its connection back would take it again at once,
            # ahead of those woken to wait for one (the pool lets newcomers barge in).
            await asyncio.sleep(0)

    backends = await warm_pool(engine, clients)
    db_cpu = cpu_seconds(backends)
    own_cpu = os.times()
    began = time.perf_counter()
    with statement_hooks(engine, count, ignore):
        await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    own_user = os.times().user - own_cpu.user
    own_system = os.times().system - own_cpu.system
    db_cpu = cpu_seconds(backends) - db_cpu
    latencies.sort()
    return {
        "python_cpu_ms": (own_user + own_system) * 1000 / len(latencies),
        "python_system_ms": own_system * 1000 / len(latencies),
        "db_cpu_ms": db_cpu * 1000 / len(latencies),
        "statements": statements[0] / len(latencies),
        "attempts": len(latencies),
        "booked": outcomes["booked"],
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


async def warm_pool(engine: AsyncEngine, clients: int) -> list[int]:
    """Open the pool's connections before the clock starts; return PostgreSQL's backend pids."""
    size = engine.pool.size() if hasattr(engine.pool, "size") else 1
    opened = [await engine.connect() for _ in range(min(clients, size))]
    pids = []
    if engine.dialect.name == "postgresql":
        for conn in opened:
            pids.append(int(await conn.scalar(sa.text("SELECT pg_backend_pid()")) or 0))
            await conn.rollback()
    for conn in opened:
        await conn.close()
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these local processes (PostgreSQL backends), from /proc."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def on_cpu(pid: int) -> float:
    """Seconds a process has run on a CPU, to the nanosecond (/proc/PID/schedstat)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


async def statement_profile(engine: AsyncEngine, doctors: list[int], cards: list[int]) -> None:
    """Book one at a time on PostgreSQL and split both processes' CPU time by statement."""
    (pid,) = await warm_pool(engine, 1)
    spent: dict[str, list[float]] = {}
    mark = [0.0, 0.0]

    def before(_statement: str) -> None:
        mark[:] = [time.process_time(), on_cpu(pid)]

    def after(statement: str) -> None:
        label = " ".join(statement.split())[:70]
        row = spent.setdefault(label, [0.0, 0.0, 0.0])
        row[0] += 1
        row[1] += time.process_time() - mark[0]
        row[2] += on_cpu(pid) - mark[1]

    own, db = time.process_time(), on_cpu(pid)
    with statement_hooks(engine, before, after):
        result = await run(engine, doctors, cards, 1)
    own, db = time.process_time() - own, on_cpu(pid) - db
    n = result["attempts"]
    print(f"{'per booking':<72} {'count':>5} {'python µs':>9} {'postgres µs':>11}")
    for label, (count, python, postgres) in sorted(spent.items(), key=lambda i: -i[1][1]):
        if count / n >= 0.05:
            print(
                f"{label:<72} {count / n:5.2f} {python * 1e6 / n:9.0f} {postgres * 1e6 / n:11.0f}"
            )
    inside = [sum(row[i] for row in spent.values()) for i in (1, 2)]
    print(f"{'all statements':<72} {'':5} {inside[0] * 1e6 / n:9.0f} {inside[1] * 1e6 / n:11.0f}")
    rest = ((own - inside[0]) * 1e6 / n, (db - inside[1]) * 1e6 / n)
    print(
        f"{'outside statements (Python: rules, SQLAlchemy; PG: BEGIN, COMMIT)':<72} "
        f"{'':5} {rest[0]:9.0f} {rest[1]:11.0f}"
    )
    print(f"{'total':<72} {'':5} {own * 1e6 / n:9.0f} {db * 1e6 / n:11.0f}")


async def double_bookings(engine: AsyncEngine) -> int:
    """Count places sold twice: repeated queue numbers, periods over capacity, extra charges."""
    async with engine.connect() as conn:
        repeated = await conn.scalar(
            sa.text(
                "SELECT COUNT(*) FROM (SELECT session_id, queue_number FROM bookings "
                "GROUP BY session_id, queue_number HAVING COUNT(*) > 1) AS x"
            )
        )
        over = await conn.scalar(
            sa.text(
                "SELECT COUNT(*) FROM (SELECT b.session_id, b.period_index, COUNT(*) AS n, "
                "MAX(s.capacity) AS cap FROM bookings b "
                "JOIN booking_sessions s ON s.id = b.session_id "
                "GROUP BY b.session_id, b.period_index) AS x WHERE n > (cap + 7) / 8"
            )
        )
        charges = await conn.scalar(
            sa.text("SELECT COUNT(*) FROM member_ledger_entries WHERE kind = 'charge'")
        )
        booked = await conn.scalar(sa.text("SELECT COUNT(*) FROM bookings"))
    return int(repeated or 0) + int(over or 0) + abs(int(charges or 0) - int(booked or 0))


def bench_engine(
    url: str, clients: int, pg_pool: int = 60, *, pre_ping: bool = False
) -> AsyncEngine:
    """An engine whose pool is fixed in size: no connection is opened during the run."""
    if not url.startswith("sqlite"):
        return create_async_engine(
            url,
            pool_size=min(clients, pg_pool),
            max_overflow=0,
            pool_timeout=300,
            pool_pre_ping=pre_ping,
        )
    # One connection per client: SQLAlchemy's pool does not hand connections out in
    # arrival order, so a client queueing for one could wait for seconds; with SQLite's
    # single writer, the writer gate (a FIFO asyncio lock) is where they queue instead.
    engine = create_async_engine(
        url, connect_args={"timeout": 30}, pool_size=clients, max_overflow=0, pool_timeout=300
    )
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


async def bench(
    name: str,
    url: str,
    patients: int,
    clients_list: list[int],
    pg_pool: int = 60,
    *,
    pre_ping: bool = False,
) -> None:
    for clients in clients_list:
        engine = bench_engine(url, clients, pg_pool, pre_ping=pre_ping)
        doctors, cards = await build(engine, patients)
        result = await run(engine, doctors, cards, clients)
        doubles = await double_bookings(engine)
        await engine.dispose()
        cpu = (
            f"cpu/attempt: python={result['python_cpu_ms']:.2f} ms "
            f"(kernel {result['python_system_ms']:.2f})"
        )
        if name == "postgresql":
            cpu += f" postgres={result['db_cpu_ms']:.2f} ms"
        print(
            f"{name:<10} clients={clients:<4} attempts={result['attempts']:.0f} "
            f"booked={result['booked']:.0f} {result['per_second']:,.0f} bookings/s "
            f"p50={result['p50_ms']:.1f} ms p99={result['p99_ms']:.1f} ms "
            f"statements/attempt={result['statements']:.1f} {cpu} "
            f"double_bookings={doubles}",
            flush=True,
        )


async def profile(url: str, patients: int) -> None:
    engine = bench_engine(url, 1)
    doctors, cards = await build(engine, patients)
    await statement_profile(engine, doctors, cards)
    await engine.dispose()


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    given = os.environ.get("CARELINE_BENCH_PG_URL")
    if given:
        yield given
        return
    from tests.support.postgres import postgres_server

    with postgres_server() as server:
        yield f"{server}/postgres"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=6000)
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--pg-pool", type=int, default=60, help="PostgreSQL pool size")
    parser.add_argument(
        "--pre-ping", action="store_true", help="ping each connection on checkout (pool_pre_ping)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="one client on PostgreSQL: CPU per statement"
    )
    args = parser.parse_args()
    if args.profile:
        with postgres() as url:
            uvloop.run(profile(url, args.patients))
        return
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            uvloop.run(bench("sqlite", url, args.patients, args.clients))
    if not args.no_pg:
        with postgres() as url:
            run = bench(
                "postgresql", url, args.patients, args.clients, args.pg_pool, pre_ping=args.pre_ping
            )
            uvloop.run(run)


if __name__ == "__main__":
    main()
