"""HL7 v2 test messages and a listener on a free loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.integrations.hl7.inbound import Hl7Inbound, InboundConfig
from careline.integrations.hl7.listener import MllpListener
from careline.integrations.hl7.messages import Hl7Message
from careline.integrations.hl7.mllp import exchange
from careline.kit.clock import FakeClock

# A valid resident ID number (the published example: born 1949-12-31, female).
ID_NUMBER = "11010519491231002X"


def adt(
    trigger: str,
    control_id: str,
    pid3: str,
    *,
    name: str = "张^三",
    birth: str = "19491231",
    sex: str = "F",
    address: str = "",
    phone: str = "",
    mrg: str = "",
) -> str:
    segments = [
        f"MSH|^~\\&|HIS|HOSP|CARELINE|HOSP|20261125090000||ADT^{trigger}^ADT_A01|{control_id}|P|2.5",
        f"EVN|{trigger}|20261125090000",
        f"PID|1||{pid3}||{name}||{birth}|{sex}|||{address}||{phone}",
        "PV1|1|O",
    ]
    if mrg:
        segments.append(f"MRG|{mrg}")
    return "\r".join(segments) + "\r"


def siu(trigger: str, control_id: str, number: str, pid3: str, doctor: str, start: str) -> str:
    return (
        "\r".join(
            [
                f"MSH|^~\\&|HIS|HOSP|CARELINE|HOSP|20261125090000||SIU^{trigger}^SIU_S12|{control_id}|P|2.5",
                f"SCH||{number}^HIS|||||||30|min|^^30^{start}||||||||||||Booked",
                f"PID|1||{pid3}",
                "RGS|1|A",
                f"AIS|1|A|GEN^General clinic|{start}",
                f"AIP|1|A|{doctor}^Wang|ATND|||{start}",
            ]
        )
        + "\r"
    )


@asynccontextmanager
async def running_listener(engine: AsyncEngine, clock: FakeClock) -> AsyncIterator[int]:
    inbound = Hl7Inbound(lambda: UnitOfWork(engine), clock, InboundConfig(facility="HOSP"))
    listener = MllpListener(inbound.handle, "127.0.0.1", 0)
    await listener.start()
    try:
        yield listener.port
    finally:
        await listener.stop()


async def send(port: int, text: str) -> Hl7Message:
    answer = await exchange("127.0.0.1", port, text.encode(), timeout=10)
    return Hl7Message(answer.decode())
