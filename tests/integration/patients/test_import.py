from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.patients import service
from careline.patients.importing import ImportFileRefused, ImportReport, import_patients
from careline.patients.synthetic import resident_id
from careline.patients.tables import patient_phones, patients

ID_A = resident_id("110105", date(1980, 3, 25), 13)
ID_B = resident_id("310101", date(1992, 7, 1), 20)
BAD_CHECK = ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")


def csv_bytes() -> list[bytes]:
    good = (
        "\ufeff姓名,手机,身份证号,出生日期,备注\n"
        f"张伟,13800138000,{ID_A},,\n"  # 2
        "李娜,139 0013 9000,,1990-05-01,\n"  # 3
        "王五,13700137000\n"  # 4 wrong column count
        f"赵六,13600136000,{BAD_CHECK},,\n"  # 5 bad check character
        "钱七,12345,,,\n"  # 6 invalid phone
        f"孙八,13500135000,,,{'x' * 4001}\n"  # 7 oversized notes
        "周九,13400134000,,2023-02-30,\n"  # 8 impossible date
    )
    lines = good.encode("utf-8").splitlines(keepends=True)
    lines.append("吴十,13300133000,,,备注\n".encode("gbk"))  # 9 not UTF-8
    tail = (
        f'"郑十一",15000150000,{ID_B},,"two\nlines"\n'  # 10-11
        "陈十二,13800138000,,,\n"  # 12 good: same phone, other name
    )
    return lines + tail.encode("utf-8").splitlines(keepends=True)


async def run_import(
    engine: AsyncEngine, lines: Iterable[bytes], **options: object
) -> ImportReport:
    async with UnitOfWork(engine) as uow:
        return await import_patients(uow, lines=lines, staff_id=None, **options)  # type: ignore[arg-type]


async def count(engine: AsyncEngine, table: sa.Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


@pytest.mark.asyncio
async def test_every_good_row_is_kept_and_every_bad_row_reported(any_engine: AsyncEngine) -> None:
    snapshots: list[tuple[int, int]] = []
    report = await run_import(
        any_engine,
        csv_bytes(),
        batch_size=3,
        progress=lambda r: snapshots.append((r.rows, r.created)),
    )
    assert (report.rows, report.created, report.existing) == (10, 4, 0)
    assert [(p.line, p.field) for p in report.failed] == [
        (4, None),
        (5, "id_number"),
        (6, "phones.0"),
        (7, "notes"),
        (8, "birth_date"),
        (9, None),
    ]
    assert report.failed_rows == 6
    assert report.summary() == (
        "10 rows: 4 created, 0 already on record, 6 failed, 0 possible duplicates"
    )
    assert report.failed[0].describe() == "line 4: This row has 2 columns; the header has 5."
    assert report.failed[1].describe().startswith("line 5 (id_number): The last character")
    assert snapshots[-1] == (10, 4)
    assert snapshots[0] == (3, 2)
    assert await count(any_engine, patients) == 4
    assert await count(any_engine, patient_phones) == 4
    async with UnitOfWork(any_engine) as uow:
        page = await service.search_patients(uow, query="zsy")
    assert page.items[0].notes == "two\nlines"


@pytest.mark.asyncio
async def test_reimport_creates_no_duplicates(any_engine: AsyncEngine) -> None:
    await run_import(any_engine, csv_bytes())
    again = await run_import(any_engine, csv_bytes())
    assert (again.created, again.existing, again.failed_rows) == (0, 4, 6)
    assert await count(any_engine, patients) == 4


@pytest.mark.asyncio
async def test_id_number_of_another_person_is_reported(any_engine: AsyncEngine) -> None:
    await run_import(any_engine, f"name,id_number\n张伟,{ID_A}\n".encode().splitlines(True))
    report = await run_import(
        any_engine, f"name,id_number\n李四,{ID_A}\n".encode().splitlines(True)
    )
    assert [(p.line, p.field) for p in report.failed] == [(2, "id_number")]


@pytest.mark.asyncio
async def test_same_name_and_birth_date_is_imported_but_flagged(any_engine: AsyncEngine) -> None:
    text = "name,birth_date,phone\n张伟,1980-01-01,13800138000\n张伟,1980-01-01,13900139000\n"
    report = await run_import(any_engine, text.encode().splitlines(True))
    assert report.created == 2
    assert report.possible_duplicates == [3]


@pytest.mark.asyncio
async def test_a_file_without_a_name_column_is_refused_whole(any_engine: AsyncEngine) -> None:
    with pytest.raises(ImportFileRefused):
        await run_import(any_engine, [b"phone\n", b"13800138000\n"])
    assert await count(any_engine, patients) == 0


@pytest.mark.asyncio
async def test_an_open_file_can_be_imported(any_engine: AsyncEngine, tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_bytes(b"".join(csv_bytes()))
    with path.open("rb") as handle:
        report = await run_import(any_engine, handle)
    assert report.created == 4
