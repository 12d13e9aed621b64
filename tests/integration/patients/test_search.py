from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.patients import service
from careline.patients.model import CardSearchUnavailable, PatientDetails, Phone
from careline.patients.queries import search_condition
from careline.patients.repository import PatientRepository
from careline.patients.search import SearchKind, SearchTerms
from careline.patients.synthetic import resident_id
from careline.patients.tables import patients

NOW = datetime(2026, 11, 25, tzinfo=UTC)
PEOPLE = [
    ("张伟", "+8613800000001", "北京市朝阳区"),
    ("张伟强", "+8613800000002", ""),
    ("张薇", "+8613800000003", ""),
    ("章伟", "+8613800000004", ""),
    ("赵文", "+8613800000005", "上海市"),
    ("John Smith", "+16502530000", ""),
    ("100%_王", "+8613800000006", ""),
]


async def load(engine: AsyncEngine) -> list[int]:
    async with UnitOfWork(engine) as uow:
        repo = PatientRepository(uow.connection)
        ids = [
            await repo.add(
                PatientDetails(
                    name=name,
                    phones=(Phone(phone),),
                    address=address,
                    id_number=resident_id("110105", date(1980, 1, 1), i),
                ),
                now=NOW,
            )
            for i, (name, phone, address) in enumerate(PEOPLE)
        ]
        await uow.commit()
    return ids


async def names(engine: AsyncEngine, query: str) -> list[str]:
    async with UnitOfWork(engine) as uow:
        page = await service.search_patients(uow, query=query)
    return [p.name for p in page.items]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("张伟", ["张伟", "张伟强"]),
        ("张", ["张伟", "张伟强", "张薇"]),
        ("zhangwei", ["张伟", "张伟强", "章伟", "张薇"]),
        ("zw", ["张伟", "张伟强", "章伟", "张薇", "赵文"]),
        ("zwq", ["张伟强"]),
        ("ZHANG WEI Q", ["张伟强"]),
        ("john", ["John Smith"]),
        ("js", ["John Smith"]),
        ("0086 138-0000-0003", ["张薇"]),
        ("(650) 253-0000", ["John Smith"]),  # digits found inside a number
        ("+1 650 253 0000", ["John Smith"]),
        ("朝阳区", ["张伟"]),
        ("0005", ["赵文"]),
        ("100%_", ["100%_王"]),
        ("%", ["100%_王"]),
    ],
)
async def test_search_finds_by_name_pinyin_phone_and_text(
    any_engine: AsyncEngine, query: str, expected: list[str]
) -> None:
    await load(any_engine)
    assert sorted(await names(any_engine, query)) == sorted(expected)


@pytest.mark.asyncio
async def test_search_by_id_number_in_any_case(any_engine: AsyncEngine) -> None:
    await load(any_engine)
    number = resident_id("110105", date(1980, 1, 1), 4)
    assert await names(any_engine, number.lower()) == ["赵文"]


@pytest.mark.asyncio
async def test_paging_reports_the_total(any_engine: AsyncEngine) -> None:
    await load(any_engine)
    async with UnitOfWork(any_engine) as uow:
        first = await service.search_patients(uow, query="", limit=3, offset=0)
        last = await service.search_patients(uow, query="", limit=3, offset=6)
    assert (first.total, len(first.items), len(last.items)) == (7, 3, 1)
    assert first.items[0].name == "100%_王"  # newest first


@pytest.mark.asyncio
async def test_card_search_needs_the_membership_resolver(any_engine: AsyncEngine) -> None:
    ids = await load(any_engine)

    async def resolver(_conn: object, card: str) -> list[int]:
        return [ids[2]] if card == "8800123" else []

    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(CardSearchUnavailable):
            await service.search_patients(uow, query="card:8800123")
        page = await service.search_patients(uow, query="card:8800123", card_resolver=resolver)
    assert [p.name for p in page.items] == ["张薇"]


@pytest.mark.asyncio
async def test_bulk_load_inserts_patients_with_phones(any_engine: AsyncEngine) -> None:
    from careline.patients.synthetic import synthetic_patients

    seen: list[int] = []
    async with UnitOfWork(any_engine) as uow:
        count = await service.load_patients(
            uow, patients=synthetic_patients(250), batch_size=100, progress=seen.append
        )
        repo = PatientRepository(uow.connection)
        found = await repo.find_by_phone("+8613800000249")
        by_id = await repo.get_by_id_number(found[0].id_number or "")
    assert count == 250
    assert seen == [100, 200, 250]
    assert by_id is not None
    assert by_id.id == found[0].id


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("terms", "index"),
    [
        (SearchTerms(SearchKind.NAME, "张伟"), "ix_patients_name_birth_date"),
        (SearchTerms(SearchKind.PINYIN, "zhangw"), "ix_patients_name_pinyin"),
        (SearchTerms(SearchKind.ID_NUMBER, "11010519491231002X"), "uq_patients_id_number"),
    ],
)
async def test_searches_can_use_their_index(
    any_engine: AsyncEngine, terms: SearchTerms, index: str
) -> None:
    await load(any_engine)
    async with any_engine.connect() as conn:
        dialect = conn.dialect.name
        condition, _order = search_condition(dialect, terms, [])
        query = sa.select(patients.c.id).where(condition)
        sql = str(query.compile(conn.sync_engine, compile_kwargs={"literal_binds": True}))
        if dialect == "postgresql":
            # A table this small is read whole; forbid that to see whether the index fits.
            await conn.execute(sa.text("SET enable_seqscan = off"))
            plan = (await conn.execute(sa.text(f"EXPLAIN {sql}"))).all()
        else:
            plan = (await conn.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}"))).all()
    described = " ".join(str(row[-1]) for row in plan)
    expected = index if dialect == "postgresql" or index.startswith("ix_") else "autoindex"
    assert expected in described
    assert "SCAN patients " not in described + " "
