"""The desk's consultation runs the IVR's sequence for the doctor the agent chose."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.acd.consult import DoctorConsultation
from careline.consultations import service as consultations
from careline.consultations.line import DoctorPhone
from careline.consultations.model import ConsultSettings, FeeMode, Outcome, Window
from careline.db.uow import UnitOfWork
from careline.ivr.session import IvrServices
from careline.kit.clock import FakeClock
from careline.telephony.media import Prompt
from tests.unit.ivr.fakes import FakeCall, seed_hospital

HOME, MOBILE_PRIVATE = "02161234567", "13712345678"
WEDNESDAY_9AM = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
CHOICE_PROMPTS = ("vm_doctor_how", "pick_department", "pick_doctor", "ask_doctor_number")


class DoctorHandset:
    """The doctor's phone: hears the whisper and answers with one key."""

    def __init__(self, key: str) -> None:
        self.key = key

    async def play(self, prompt: Prompt, *, barge_in: bool = True) -> str | None:  # noqa: ARG002
        return None

    async def say(
        self,
        text: str,  # noqa: ARG002
        *,
        language: str | None = None,  # noqa: ARG002
        barge_in: bool = True,  # noqa: ARG002
    ) -> str | None:
        return None

    async def collect(
        self,
        max_digits: int = 1,  # noqa: ARG002
        timeout: float = 5.0,  # noqa: ARG002
        terminator: str = "#",  # noqa: ARG002
    ) -> str:
        return self.key

    async def hangup(self) -> None:
        return None


class CallerLine(FakeCall):
    """The caller's call after the agent let go; its B2BUA rings scripted doctor phones."""

    def __init__(self, script: list[str], phones: dict[str, DoctorHandset]) -> None:
        super().__init__(script)
        self.phones = phones
        self.rung: list[str] = []
        self.joined = 0

    async def ring(self, number: str, *, ring_timeout: float) -> tuple[str, DoctorPhone | None]:
        assert ring_timeout == 25.0  # the IVR flow's own ring time
        self.rung.append(number)
        phone = self.phones.get(number)
        return ("answered" if phone else "no_answer"), phone

    async def join(
        self,
        doctor: DoctorPhone,  # noqa: ARG002
        *,
        max_seconds: float,  # noqa: ARG002
        record_to: Path | None = None,  # noqa: ARG002
    ) -> int:
        self.joined += 1
        return 90


@pytest.fixture
def services(engine: AsyncEngine, tmp_path: Path) -> IvrServices:
    return IvrServices(db=engine, clock=FakeClock(WEDNESDAY_9AM), data_dir=tmp_path)


async def consulting_doctor(services: IvrServices) -> int:
    ids = await seed_hospital(services.db)
    async with UnitOfWork(services.db) as uow:
        await consultations.update_settings(
            uow,
            settings=ConsultSettings(ids["doctor"], True, 600, FeeMode.FREE, 0),
            clock=services.clock,
        )
        await consultations.set_windows(
            uow, doctor_id=ids["doctor"], windows=[Window(2, time(8), time(12))]
        )
        await consultations.set_private_numbers(
            uow, doctor_id=ids["doctor"], numbers=[HOME, MOBILE_PRIVATE]
        )
    return ids["doctor"]


async def outcomes(services: IvrServices, doctor_id: int) -> list[Outcome]:
    async with UnitOfWork(services.db) as uow:
        found = await consultations.list_consultations(uow, doctor_id=doctor_id)
    return [c.outcome for c in found]


@pytest.mark.asyncio
async def test_accepted_consultation_skips_the_doctor_choice_and_hangs_up(
    services: IvrServices,
) -> None:
    doctor_id = await consulting_doctor(services)
    call = CallerLine([], {MOBILE_PRIVATE: DoctorHandset("1")})
    run = await DoctorConsultation(services)(call, doctor_id, patient_id=None)
    assert call.rung == [HOME, MOBILE_PRIVATE]  # in order; the second one accepts
    assert call.joined == 1
    assert not set(CHOICE_PROMPTS) & set(run.prompts)  # the agent chose: nobody is asked
    assert run.prompts[0] == "consult_connecting"
    assert "consult_ended" in run.prompts
    assert await outcomes(services, doctor_id) == [Outcome.COMPLETED]
    assert call.hung_up
    assert not run.back_to_agent
    assert not any(n in text for n in (HOME, MOBILE_PRIVATE) for text in call.spoken)


@pytest.mark.asyncio
async def test_busy_doctor_leads_to_the_voicemail_offer_as_in_the_ivr(
    services: IvrServices,
) -> None:
    doctor_id = await consulting_doctor(services)
    async with UnitOfWork(services.db) as uow:
        await consultations.start_consultation(
            uow, doctor_id=doctor_id, call_id="other-call", clock=services.clock
        )
    call = CallerLine(["2"], {HOME: DoctorHandset("1")})  # 2: no message, thanks
    run = await DoctorConsultation(services)(call, doctor_id, patient_id=None)
    assert call.rung == []
    assert run.prompts == ("consult_busy", "consult_offer_voicemail")
    assert call.hung_up


@pytest.mark.asyncio
async def test_no_answer_offers_voicemail_and_key_0_goes_back_to_an_agent(
    services: IvrServices,
) -> None:
    doctor_id = await consulting_doctor(services)
    call = CallerLine(["0"], {})
    run = await DoctorConsultation(services)(call, doctor_id, patient_id=None)
    assert call.rung == [HOME, MOBILE_PRIVATE]
    assert run.prompts[-2:] == ("consult_no_answer", "consult_offer_voicemail")
    assert await outcomes(services, doctor_id) == [Outcome.NO_ANSWER]
    assert run.back_to_agent  # the queue takes the caller back
    assert not call.hung_up
