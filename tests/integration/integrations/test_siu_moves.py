"""SIU S13/S14 over MLLP move a booking to another time, doctor or department (AIP/AIL)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.integrations import service
from careline.integrations.model import HisIdentifier, IdentifierSystem
from careline.scheduling import service as scheduling
from careline.scheduling.model import Booking, BookingStatus
from tests.integration.integrations.hl7world import running_listener, send
from tests.integration.scheduling.world import FEE, build_world, make_clock, total_balance

DAY = "20261126"


def siu(
    trigger: str,
    control_id: str,
    number: str,
    mrn: str,
    doctor: str,
    start: str,
    department: str = "",
) -> str:
    """An SIU message; an empty ``doctor`` leaves AIP out, ``department`` fills AIL-3.4."""
    segments = [
        f"MSH|^~\\&|HIS|HOSP|CARELINE|HOSP|20261125090000||SIU^{trigger}^SIU_S12|{control_id}|P|2.5",
        f"SCH||{number}^HIS|||||||30|min|^^30^{DAY}{start}||||||||||||Booked",
        f"PID|1||{mrn}^^^HOSP^MR",
        "RGS|1|A",
        f"AIS|1|A|GEN^General clinic|{DAY}{start}",
    ]
    if doctor:
        segments.append(f"AIP|1|A|{doctor}^Wang|ATND|||{DAY}{start}")
    if department:
        segments.append(f"AIL|1|A|^^^{department}")
    return "\r".join(segments) + "\r"


async def _booking(engine: AsyncEngine, number: str) -> tuple[Booking, int]:
    async with UnitOfWork(engine) as uow:
        booking_id = await service.booking_by_his_id(uow, his_id=number)
        assert booking_id is not None
        booking = await scheduling.get_booking(uow, booking_id=booking_id)
        session = await scheduling.get_session(uow, session_id=booking.session_id)
    return booking, session.doctor_id


@pytest.mark.asyncio
async def test_s14_changes_doctor_and_department_and_refuses_a_full_period(
    any_engine: AsyncEngine,
) -> None:
    engine = any_engine
    clock = make_clock()
    world = await build_world(engine, patients=3, clock=clock)
    other = await build_world(engine, patients=0, clock=clock, start_index=1)  # 心内科1: 11, 12
    for index, patient_id in enumerate(world.patients):
        async with UnitOfWork(engine) as uow:
            await service.link_identifiers(
                uow,
                patient_id=patient_id,
                identifiers=[HisIdentifier(IdentifierSystem.MRN, f"M{index}")],
                source="test",
                clock=clock,
            )
    clock.advance(8.5 * 3600)  # 17:30: tomorrow's pools are open to every channel
    before = await total_balance(engine)
    async with running_listener(engine, clock) as port:

        async def ack(text: str) -> tuple[str, str]:
            answer = await send(port, text)
            return answer.value("MSA", 1), answer.value("ERR", 3)

        assert await ack(siu("S12", "C1", "APT1", "M0", "1", "093000")) == ("AA", "")
        # Doctor 2's 10:00 period (two places) is taken by the two other patients.
        assert (await ack(siu("S12", "C2", "APT2", "M1", "2", "100000")))[0] == "AA"
        assert (await ack(siu("S12", "C3", "APT3", "M2", "2", "100000")))[0] == "AA"
        original, doctor = await _booking(engine, "APT1")
        assert doctor == world.doctor_id

        code, error = await ack(siu("S14", "C4", "APT1", "M0", "2", "100000"))
        assert (code, error) == ("AE", "207")
        still, doctor = await _booking(engine, "APT1")
        assert (still.id, still.status, doctor) == (
            original.id,
            BookingStatus.BOOKED,
            world.doctor_id,
        )

        # Same time, another doctor: moved (the old place is cancelled and refunded).
        assert await ack(siu("S14", "C5", "APT1", "M0", "2", "093000")) == ("AA", "")
        moved, doctor = await _booking(engine, "APT1")
        assert (moved.status, doctor) == (BookingStatus.BOOKED, world.second_doctor_id)
        assert moved.period_starts_at == original.period_starts_at
        async with UnitOfWork(engine) as uow:
            old = await scheduling.get_booking(uow, booking_id=original.id)
        assert old.status is BookingStatus.CANCELLED

        # A doctor outside the department AIL names is refused; AIL alone picks its doctor.
        refused = siu("S14", "C6", "APT1", "M0", "1", "093000", department="心内科1")
        assert await ack(refused) == ("AE", "207")
        assert await ack(siu("S13", "C7", "APT1", "M0", "", "093000", "心内科1")) == ("AA", "")
        _, doctor = await _booking(engine, "APT1")
        assert doctor == other.doctor_id
        unknown = siu("S13", "C8", "APT1", "M0", "", "093000", department="眼科")
        assert await ack(unknown) == ("AE", "204")
    assert await total_balance(engine) == before - 3 * FEE
