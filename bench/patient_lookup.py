"""Benchmark patient lookup by phone and by resident ID number on 1,000,000 patients.

Loads synthetic patients with the bulk insert (``careline.patients.service.load_patients``)
into a temporary SQLite file and into PostgreSQL (``CARELINE_BENCH_PG_URL``, or a throw-away
server started like the test suite's), then times lookups through ``PatientRepository``.
Goal: p99 below 5 ms on both databases.

    .venv/bin/python bench/patient_lookup.py [--count 1000000] [--lookups 2000] [--no-pg]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.support.postgres

from careline.db.engine import make_engine  # noqa: E402
from careline.db.uow import UnitOfWork  # noqa: E402
from careline.patients import tables  # noqa: E402
from careline.patients.repository import PatientRepository  # noqa: E402
from careline.patients.search import classify_query  # noqa: E402
from careline.patients.service import load_patients  # noqa: E402
from careline.patients.synthetic import (  # noqa: E402
    synthetic_id_number,
    synthetic_patients,
    synthetic_phone,
)

PATIENT_TABLES = [
    tables.patients,
    tables.patient_phones,
    tables.patient_tags,
    tables.patient_consents,
    tables.patient_merges,
]


async def load(engine: AsyncEngine, count: int, batch: int) -> float:
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: tables.patients.metadata.drop_all(c, tables=PATIENT_TABLES))
        await conn.run_sync(lambda c: tables.patients.metadata.create_all(c, tables=PATIENT_TABLES))
    started = time.perf_counter()

    def report(done: int) -> None:
        if done % 100_000 == 0 or done == count:
            rate = done / (time.perf_counter() - started)
            print(f"  loaded {done:>9,} ({rate:,.0f}/s)", flush=True)

    async with UnitOfWork(engine) as uow:
        await load_patients(
            uow, patients=synthetic_patients(count), batch_size=batch, progress=report
        )
    elapsed = time.perf_counter() - started
    async with engine.begin() as conn:
        await conn.execute(sa.text("ANALYZE"))
    return elapsed


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return f"p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {ordered[-1] * 1000:.3f} ms"


async def time_lookups(keys: list[int], lookup: Callable[[int], Awaitable[int]]) -> list[float]:
    samples = []
    for n in keys:
        started = time.perf_counter()
        found = await lookup(n)
        samples.append(time.perf_counter() - started)
        if found != 1:
            raise AssertionError(f"patient {n}: {found} results")
    return samples


async def time_searches(name: str, repo: PatientRepository) -> None:
    """Time the first page (20 rows and the total) of a few name searches."""
    for query in ("张伟", "zhangwei", "zw"):
        terms = classify_query(query)
        samples = []
        total = 0
        for _ in range(30):
            started = time.perf_counter()
            _items, total = await repo.search(terms, limit=20, offset=0)
            samples.append(time.perf_counter() - started)
        print(f"{name}: search {query!r:<10} ({total:,} matches) {percentiles(samples)}")


async def explain(conn: AsyncConnection) -> None:
    phone = synthetic_phone(1)
    if conn.dialect.name == "sqlite":
        query = "EXPLAIN QUERY PLAN SELECT patient_id FROM patient_phones WHERE e164 = :v"
        number_query = "EXPLAIN QUERY PLAN SELECT id FROM patients WHERE id_number = :v"
    else:
        query = "EXPLAIN SELECT patient_id FROM patient_phones WHERE e164 = :v"
        number_query = "EXPLAIN SELECT id FROM patients WHERE id_number = :v"
    for text, value in ((query, phone), (number_query, synthetic_id_number(1))):
        rows = (await conn.execute(sa.text(text), {"v": value})).all()
        print("  plan:", " | ".join(str(row[-1]) for row in rows))


async def loaded_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        try:
            query = sa.select(sa.func.count()).select_from(tables.patients)
            return int((await conn.execute(query)).scalar_one())
        except sa.exc.DBAPIError:
            return 0


async def bench(
    name: str, url: str, count: int, lookups: int, batch: int, *, reuse: bool = False
) -> None:
    engine = make_engine(url)
    try:
        if reuse and await loaded_count(engine) == count:
            print(f"{name}: reusing {count:,} patients already loaded")
        else:
            print(f"{name}: loading {count:,} patients", flush=True)
            load_seconds = await load(engine, count, batch)
            print(f"{name}: load {load_seconds:.1f} s ({count / load_seconds:,.0f} patients/s)")
        print(f"{name}: load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        rng = random.Random(7)
        keys = [rng.randrange(count) for _ in range(lookups)]
        async with engine.connect() as conn:
            await explain(conn)
            repo = PatientRepository(conn)

            async def by_phone(n: int) -> int:
                return len(await repo.find_by_phone(synthetic_phone(n)))

            async def by_id_number(n: int) -> int:
                return int(await repo.get_by_id_number(synthetic_id_number(n)) is not None)

            await time_lookups(keys[:100], by_phone)  # warm the cache and the pool
            print(f"{name}: by phone      {percentiles(await time_lookups(keys, by_phone))}")
            print(
                f"{name}: by ID number  {percentiles(await time_lookups(keys, by_id_number))}",
                flush=True,
            )
            await time_searches(name, repo)
    finally:
        await engine.dispose()


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    given = os.environ.get("CARELINE_BENCH_PG_URL")
    if given:
        yield given
        return
    from tests.support.postgres import postgres_server

    with postgres_server() as server:
        yield f"{server}/postgres"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--sqlite-file", type=Path, help="keep the SQLite database here and reuse it next time"
    )
    args = parser.parse_args()
    if args.sqlite_file:
        url = f"sqlite+aiosqlite:///{args.sqlite_file.resolve()}"
        await bench("sqlite", url, args.count, args.lookups, args.batch, reuse=True)
    elif not args.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="careline-bench-") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            await bench("sqlite", url, args.count, args.lookups, args.batch)
    if not args.no_pg:
        with postgres_url() as url:
            await bench("postgresql", url, args.count, args.lookups, args.batch)


if __name__ == "__main__":
    asyncio.run(main())
