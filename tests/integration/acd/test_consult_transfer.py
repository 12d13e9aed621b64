"""Real phones: caller -> agent -> the desk puts them through to a doctor's consultation.

The doctor's "private" baresip sits behind the trunk; the agent's leg ends at once and the
caller goes through the IVR's own consultation sequence (announcement, the hospital's number
towards the doctor, whisper, 1, both voices). Outside hours the caller hears when the doctor
is next available and is offered the doctor's voicemail, as in the IVR.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvloop
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.acd import service
from careline.acd.center import AcdCenter
from careline.acd.consult import ConsultRun, DoctorConsultation
from careline.acd.model import AcdPolicy, AgentStatus
from careline.acd.voice import AcdQueue
from careline.config import Settings
from careline.consultations import service as consultations
from careline.consultations.model import Outcome
from careline.db.engine import make_engine
from careline.db.uow import UnitOfWork
from careline.ivr.session import IvrCall, IvrServices, IvrTiming
from careline.kit.clock import Clock
from careline.speech.speaker import Speaker
from careline.tables import metadata
from careline.telephony.calls import Call
from careline.telephony.registrar import InMemoryExtensionDirectory
from careline.telephony.server import VoiceServer
from careline.telephony.trunk import TrunkSettings
from careline.web.app import create_app
from tests.integration.acd.test_consult_desk import (
    IN_HOURS_NUMBER,
    consulting_doctors,
    without_private_numbers,
)
from tests.integration.acd.test_queue_calls import AGENT_HZ, CALLER_HZ, SIP_PASSWORD, add_agent
from tests.integration.telephony.phones import (
    CODECS,
    caller_account,
    extension_account,
    frames_with,
    phone,
)
from tests.support.baresip import Baresip, tone
from tests.support.ports import free_port_range

pytestmark = pytest.mark.sip
HOSPITAL_NUMBER = "02150000000"
DOCTOR_HZ = 1500.0
AGENT_PASSWORD = "agent-password-1"


class WatchedConsultation(DoctorConsultation):
    """The real sequence, keeping what each caller heard."""

    runs: list[ConsultRun]

    async def __call__(
        self, call: IvrCall, doctor_id: int, *, patient_id: int | None
    ) -> ConsultRun:
        run = await super().__call__(call, doctor_id, patient_id=patient_id)
        self.runs.append(run)
        return run


@dataclass
class Line:
    server: VoiceServer
    center: AcdCenter
    db: AsyncEngine
    web: httpx.AsyncClient
    consultation: WatchedConsultation
    doctors: dict[str, int]


@asynccontextmanager
async def consult_line(tmp_path: Path, trunk_port: int | None) -> AsyncIterator[Line]:
    db = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'careline.db'}")
    async with db.begin() as conn:
        await conn.run_sync(metadata.create_all)
    doctors = await consulting_doctors(db)
    center = AcdCenter(
        lambda: UnitOfWork(db), Clock(), policy=AcdPolicy(no_answer_seconds=10, wrap_up_seconds=60)
    )
    speech = Speaker(tmp_path / "speech-cache")
    services = IvrServices(
        db=db, clock=Clock(), data_dir=tmp_path, speech=speech, timing=IvrTiming(menu_timeout=4.0)
    )
    consultation = WatchedConsultation(services)
    consultation.runs = []
    queue = AcdQueue(center, recordings_dir=tmp_path / "recordings", consultation=consultation)

    async def to_queue(call: Call) -> None:
        await call.answer()
        await call.transfer_to_queue("general")

    low, high = free_port_range(40)
    trunk = (
        TrunkSettings("127.0.0.1", trunk_port, caller_id=HOSPITAL_NUMBER) if trunk_port else None
    )
    server = VoiceServer(
        host="127.0.0.1",
        port=0,
        rtp_port_min=low,
        rtp_port_max=high,
        entry_flow=to_queue,
        extensions=InMemoryExtensionDirectory({"1001": SIP_PASSWORD}),
        queue=queue,
        speaker=speech.speech_prompt,
        trunk=trunk,
        rtp_timeout=15.0,
    )
    app = create_app(Settings(data_dir=tmp_path), db, clock=Clock())
    app.state.acd_center = center
    transport = httpx.ASGITransport(app=app)
    await server.start()
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://careline.test") as web:
            yield Line(server, center, db, web, consultation, doctors)
    finally:
        await server.stop()
        await center.stop()
        await db.dispose()


async def signed_in_desk(line: Line) -> int:
    """The agent on extension 1001, ready, with the desk's HTTP client signed in."""
    agent = await add_agent(line.center, "desk1", "1001")
    line.center.ready(agent)
    reply = await line.web.post(
        "/api/v1/auth/sign-in", json={"username": "desk1", "password": AGENT_PASSWORD}
    )
    reply.raise_for_status()
    line.web.headers["Authorization"] = f"Bearer {reply.json()['token']}"
    return agent


def doctor_account() -> str:
    # baresip finds the account by the Request-URI user: the trunk rings this number.
    return f"<sip:{IN_HOURS_NUMBER}@127.0.0.1>;regint=0;answermode=auto;{CODECS}"


def test_desk_puts_the_caller_through_to_the_doctor_who_accepts(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        async with phone(tmp_path, "doctor", doctor_account(), tone(DOCTOR_HZ, 60.0)) as doctor:
            async with consult_line(tmp_path, doctor.sip_port) as line:
                await put_through_and_talk(line, doctor, seen)
            seen["doctor_heard"] = doctor.heard()
            seen["incoming"] = [e for e in doctor.events if e.get("type") == "CALL_ESTABLISHED"]

    uvloop.run(scenario())
    doctor_id = seen["doctor_id"]
    assert seen["moved"] == 200, seen["reply"]
    assert seen["agent_state"] == AgentStatus.WRAP_UP  # the agent's leg ended: wrap-up
    incoming = seen["incoming"]
    assert HOSPITAL_NUMBER in str(incoming[0].get("peeruri", ""))  # the doctor sees the hospital
    assert "13800000000" not in str(incoming[0])
    assert frames_with(seen["caller_heard"], DOCTOR_HZ) >= 50  # the doctor reached the caller
    assert frames_with(seen["doctor_heard"], CALLER_HZ) >= 50  # and the caller the doctor
    (run,) = seen["runs"]
    assert "consult_connecting" in run.prompts  # the consultation and recording notice
    assert "vm_doctor_how" not in run.prompts  # the caller is not asked to choose again
    (record,) = seen["consultations"]
    assert record.outcome is Outcome.COMPLETED
    assert record.seconds >= 3
    records = {r.call_id: r for r in seen["records"]}
    assert [r.consult_doctor_id for r in records.values()] == [doctor_id]
    assert all(without_private_numbers(text) for text in seen["answers"])


async def put_through_and_talk(line: Line, doctor: Baresip, seen: dict[str, Any]) -> None:
    agent = await signed_in_desk(line)
    account = extension_account("1001", SIP_PASSWORD, line.server.port)
    async with (
        phone(tmp_path_of(line), "agent", account, tone(AGENT_HZ, 60.0)) as desk,
        phone(tmp_path_of(line), "caller", caller_account(), tone(CALLER_HZ, 60.0)) as caller,
    ):
        assert await desk.registration() == "OK"
        await caller.dial(f"sip:100@127.0.0.1:{line.server.port}")
        await desk.wait_event("CALL_ESTABLISHED", timeout=20)
        call_id = line.center.state_of(agent).call_id
        listed = await line.web.get("/desk/consult-doctors")
        doctor_id = line.doctors["in_hours"]
        reply = await line.web.post(f"/desk/calls/{call_id}/consult", data={"doctor_id": doctor_id})
        seen.update(moved=reply.status_code, reply=reply.text, doctor_id=doctor_id)
        seen["answers"] = [listed.text, reply.text]
        await desk.wait_event("CALL_CLOSED", timeout=10)
        seen["agent_state"] = await settled_state(line.center, agent)
        await doctor.wait_event("CALL_ESTABLISHED", timeout=40)
        await asyncio.sleep(2.0)  # part of the whisper
        await doctor.send_digits("1")
        await asyncio.sleep(5.0)  # talking
        await caller.hangup()
        await caller.wait_event("CALL_CLOSED")
        await doctor.wait_event("CALL_CLOSED", timeout=10)
        seen["caller_heard"] = caller.heard()
    await settle(line, seen)


async def settle(line: Line, seen: dict[str, Any]) -> None:
    """Wait for the consultation sequence to return, then keep the records."""
    seen["runs"] = await runs_of(line)
    async with UnitOfWork(line.db) as uow:
        seen["consultations"] = await consultations.list_consultations(
            uow, doctor_id=line.doctors["in_hours"]
        )
        seen["records"] = await service.records_since(uow, since=service.day_start(Clock()))


async def runs_of(line: Line) -> list[ConsultRun]:
    """What the consultation sequence returned, once it has."""
    for _ in range(80):
        if line.consultation.runs:
            break
        await asyncio.sleep(0.25)
    return list(line.consultation.runs)


async def settled_state(center: AcdCenter, agent: int) -> AgentStatus:
    """The agent's state once the centre has seen their leg end."""
    for _ in range(40):
        if center.state_of(agent).status != AgentStatus.ON_CALL:
            break
        await asyncio.sleep(0.1)
    return center.state_of(agent).status


def tmp_path_of(line: Line) -> Path:
    return Path(line.consultation.services.data_dir)


def test_outside_hours_the_caller_hears_the_next_opening_and_the_voicemail_offer(
    tmp_path: Path,
) -> None:
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        async with consult_line(tmp_path, None) as line:
            agent = await signed_in_desk(line)
            account = extension_account("1001", SIP_PASSWORD, line.server.port)
            async with (
                phone(tmp_path, "agent", account, tone(AGENT_HZ, 60.0)) as desk,
                phone(tmp_path, "caller", caller_account(), tone(CALLER_HZ, 60.0)) as caller,
            ):
                assert await desk.registration() == "OK"
                await caller.dial(f"sip:100@127.0.0.1:{line.server.port}")
                await desk.wait_event("CALL_ESTABLISHED", timeout=20)
                call_id = line.center.state_of(agent).call_id
                later = line.doctors["later"]
                reply = await line.web.post(
                    f"/desk/calls/{call_id}/consult", data={"doctor_id": later}
                )
                seen["moved"] = reply.status_code
                await desk.wait_event("CALL_CLOSED", timeout=10)
                await decline_voicemail(caller)
            seen["runs"] = await runs_of(line)
            async with UnitOfWork(line.db) as uow:
                seen["consultations"] = await consultations.list_consultations(uow, doctor_id=later)
                seen["records"] = await service.records_since(uow, since=service.day_start(Clock()))
            seen["later"] = later

    uvloop.run(scenario())
    assert seen["moved"] == 200
    (run,) = seen["runs"]
    assert run.prompts[:2] == ("consult_next_open", "consult_offer_voicemail"), run.prompts
    assert not run.back_to_agent
    assert seen["consultations"] == []  # nobody was dialled
    assert [r.consult_doctor_id for r in seen["records"]] == [seen["later"]]


async def decline_voicemail(caller: Baresip) -> None:
    """Key 2 ("no message") until Careline ends the call after the voicemail offer."""
    for _ in range(12):
        await asyncio.sleep(3.0)
        if caller.saw("CALL_CLOSED"):
            return
        await caller.send_digits("2")
    raise AssertionError("Careline never ended the call")
