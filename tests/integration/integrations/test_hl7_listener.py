"""HL7 v2 over MLLP on a real loopback socket: ADT and SIU change Careline's data."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.integrations import service
from careline.integrations.hl7.mllp import MllpDecoder, frame
from careline.integrations.model import HisIdentifier, IdentifierSystem, Outcome
from careline.patients import service as patients
from careline.patients.model import Patient
from careline.scheduling import service as scheduling
from careline.scheduling.model import BookingStatus, Channel
from tests.integration.integrations.hl7world import ID_NUMBER, adt, running_listener, send, siu
from tests.integration.scheduling.world import FEE, build_world, make_clock, total_balance

MRN = IdentifierSystem.MRN


async def _patient_by_mrn(engine: AsyncEngine, mrn: str) -> int | None:
    async with UnitOfWork(engine) as uow:
        return await service.find_patient(uow, identifiers=[HisIdentifier(MRN, mrn)])


async def _patient(engine: AsyncEngine, patient_id: int) -> Patient:
    async with UnitOfWork(engine) as uow:
        return (await patients.list_patients(uow, patient_ids=[patient_id]))[0]


@pytest.mark.asyncio
async def test_a04_registers_and_a08_updates(engine: AsyncEngine) -> None:
    clock = make_clock()
    async with running_listener(engine, clock) as port:
        ack = await send(port, adt("A04", "M1", f"MRN100^^^HOSP^MR~{ID_NUMBER}^^^CHN^NNCHN"))
        assert (ack.value("MSA", 1), ack.value("MSA", 2)) == ("AA", "M1")
        patient_id = await _patient_by_mrn(engine, "MRN100")
        assert patient_id is not None
        patient = await _patient(engine, patient_id)
        assert (patient.name, patient.id_number, str(patient.birth_date)) == (
            "张三",
            ID_NUMBER,
            "1949-12-31",
        )
        update = adt(
            "A08",
            "M2",
            "MRN100^^^HOSP^MR",
            address="人民路1号^^杭州市^浙江省",
            phone="^PRN^CP^^^^^^^^^13800138000",
        )
        ack = await send(port, update)
        assert ack.value("MSA", 1) == "AA"
    patient = await _patient(engine, patient_id)
    assert patient.address == "浙江省杭州市人民路1号"
    assert [p.number for p in patient.phones] == ["+8613800138000"]
    assert patient.id_number == ID_NUMBER  # kept: the update did not send it


@pytest.mark.asyncio
async def test_a40_merges_the_retired_record(any_engine: AsyncEngine) -> None:
    engine = any_engine
    clock = make_clock()
    async with running_listener(engine, clock) as port:
        first = adt("A04", "M1", "A1^^^HOSP^MR", name="李^四", birth="19800101", sex="M")
        second = adt("A04", "M2", "A2^^^HOSP^MR", name="李^四", birth="19810101", sex="M")
        assert (await send(port, first)).value("MSA", 1) == "AA"
        assert (await send(port, second)).value("MSA", 1) == "AA"
        survivor, retired = await _patient_by_mrn(engine, "A1"), await _patient_by_mrn(engine, "A2")
        assert survivor is not None
        assert retired is not None
        assert survivor != retired
        merge = adt("A40", "M3", "A1^^^HOSP^MR", name="李^四", sex="M", mrg="A2^^^HOSP^MR")
        assert (await send(port, merge)).value("MSA", 1) == "AA"
    assert (await _patient(engine, retired)).merged_into_id == survivor
    assert await _patient_by_mrn(engine, "A2") == survivor


async def _link_world_patient(engine: AsyncEngine, port: int, patient_id: int, mrn: str) -> None:
    patient = await _patient(engine, patient_id)
    message = adt(
        "A28",
        f"L-{mrn}",
        f"{mrn}^^^HOSP^MR~{patient.id_number}^^^CHN^NNCHN",
        name=patient.name + "^",
        birth=f"{patient.birth_date:%Y%m%d}",
        sex={"male": "M", "female": "F"}[patient.gender.value],
    )
    assert (await send(port, message)).value("MSA", 1) == "AA"
    assert await _patient_by_mrn(engine, mrn) == patient_id


@pytest.mark.asyncio
async def test_siu_books_cancels_and_records_a_no_show(any_engine: AsyncEngine) -> None:
    engine = any_engine
    clock = make_clock()
    world = await build_world(engine, patients=2, clock=clock)
    before = await total_balance(engine)
    async with running_listener(engine, clock) as port:
        await _link_world_patient(engine, port, world.patients[0], "W1")
        start = "20261126093000"  # tomorrow, in the morning clinic
        clock.advance(8.5 * 3600)  # 17:30: every channel's pool is released
        ack = await send(port, siu("S12", "S1", "APT1", "W1^^^HOSP^MR", "1", start))
        assert ack.value("MSA", 1) == "AA", ack.value("ERR", 8)
        async with UnitOfWork(engine) as uow:
            booking_id = await service.booking_by_his_id(uow, his_id="APT1")
            assert booking_id is not None
            booking = await scheduling.get_booking(uow, booking_id=booking_id)
        assert (booking.status, booking.channel, booking.period_index) == (
            BookingStatus.BOOKED,
            Channel.WINDOW,
            3,
        )
        assert await total_balance(engine) == before - FEE
        assert (await send(port, siu("S15", "S2", "APT1", "W1^^^HOSP^MR", "1", start))).value(
            "MSA", 1
        ) == "AA"
        async with UnitOfWork(engine) as uow:
            booking = await scheduling.get_booking(uow, booking_id=booking_id)
        assert booking.status is BookingStatus.CANCELLED
        assert await total_balance(engine) == before
        ack = await send(port, siu("S12", "S3", "APT2", "W1^^^HOSP^MR", "1", "20261126100000"))
        assert ack.value("MSA", 1) == "AA", ack.value("ERR", 8)
        clock.advance(17.5 * 3600)
        ack = await send(port, siu("S26", "S4", "APT2", "W1^^^HOSP^MR", "1", "20261126100000"))
        assert ack.value("MSA", 1) == "AA", ack.value("ERR", 8)
        async with UnitOfWork(engine) as uow:
            second = await service.booking_by_his_id(uow, his_id="APT2")
            assert second is not None
            assert (await scheduling.get_booking(uow, booking_id=second)).status is (
                BookingStatus.NO_SHOW
            )


@pytest.mark.asyncio
async def test_malformed_and_unappliable_messages_change_nothing(engine: AsyncEngine) -> None:
    clock = make_clock()
    world = await build_world(engine, patients=1, clock=clock)
    before = await total_balance(engine)
    async with running_listener(engine, clock) as port:
        garbage = await send(port, "this is not HL7")
        assert (garbage.value("MSA", 1), garbage.value("ERR", 3)) == ("AR", "100")
        unknown = await send(port, adt("A99", "X2", "Z1^^^HOSP^MR"))
        assert (unknown.value("MSA", 1), unknown.value("MSA", 2)) == ("AR", "X2")
        assert unknown.value("ERR", 3) == "201"
        nobody = await send(
            port, siu("S12", "X3", "APT9", "NOBODY^^^HOSP^MR", "1", "20261126093000")
        )
        assert (nobody.value("MSA", 1), nobody.value("ERR", 3)) == ("AE", "204")
    async with UnitOfWork(engine) as uow:
        assert await service.booking_by_his_id(uow, his_id="APT9") is None
        assert await service.find_patient(uow, identifiers=[HisIdentifier(MRN, "Z1")]) is None
        assert await scheduling.bookings_of_patient(uow, patient_id=world.patients[0]) == []
        log = await service.exchange_log(uow, limit=20)
    assert await total_balance(engine) == before
    inbound = [(e.kind, e.outcome) for e in log if e.direction.value == "in"]
    assert ("unparsed", Outcome.REJECTED) in inbound
    assert ("ADT^A99", Outcome.REJECTED) in inbound
    assert ("SIU^S12", Outcome.ERROR) in inbound


@pytest.mark.asyncio
async def test_a_duplicate_control_id_is_not_applied_twice(any_engine: AsyncEngine) -> None:
    engine = any_engine
    clock = make_clock()
    async with running_listener(engine, clock) as port:
        first = await send(port, adt("A04", "DUP1", "D1^^^HOSP^MR", name="王^五", birth="19700101"))
        again = await send(
            port,
            adt("A08", "DUP1", "D1^^^HOSP^MR", name="王^五", birth="19700101", address="新地址"),
        )
    assert first.value("MSA", 1) == "AA"
    assert str(first.value("MSH", 10)) == str(again.value("MSH", 10))  # the same answer again
    patient_id = await _patient_by_mrn(engine, "D1")
    assert patient_id is not None
    assert (await _patient(engine, patient_id)).address == ""
    async with UnitOfWork(engine) as uow:
        entries = await service.exchange_log(uow, control_id="DUP1", limit=10)
    assert [e.outcome for e in entries if e.direction.value == "in"] == [
        Outcome.DUPLICATE,
        Outcome.ACCEPTED,
    ]


@pytest.mark.asyncio
async def test_messages_split_across_reads_and_sharing_a_read_are_framed(
    engine: AsyncEngine,
) -> None:
    clock = make_clock()
    async with running_listener(engine, clock) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        data = frame(adt("A04", "F1", "F1^^^HOSP^MR", name="赵^六").encode()) + frame(
            adt("A04", "F2", "F2^^^HOSP^MR", name="钱^七", birth="19600101").encode()
        )
        writer.write(data[:10])
        await writer.drain()
        writer.write(data[10:])
        await writer.drain()
        decoder, answers = MllpDecoder(), list[bytes]()
        while len(answers) < 2:
            answers += decoder.feed(await asyncio.wait_for(reader.read(65536), 10))
        writer.close()
        await writer.wait_closed()
    assert [a.split(b"\r")[1] for a in answers] == [b"MSA|AA|F1", b"MSA|AA|F2"]
