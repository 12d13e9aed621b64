"""Direct consultation on the phone line, with a scripted patient and doctor phones."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.consultations import service as consultations
from careline.consultations.line import DoctorPhone
from careline.consultations.model import ConsultSettings, FeeMode, Outcome, Window
from careline.db.uow import UnitOfWork
from careline.ivr.engine import IvrEngine
from careline.ivr.model import CallRecord
from careline.ivr.service import get_call_record
from careline.ivr.session import IvrServices
from careline.kit.clock import FakeClock
from careline.membership import service as membership
from careline.telephony.media import Prompt
from careline.telephony.media.prompt import write_wav
from careline.voicemail import inbox
from careline.voicemail import service as voicemail
from careline.voicemail.model import VoicemailBox
from tests.unit.ivr.fakes import PIN, FakeCall, a_member, seed_hospital

HOME, MOBILE_PRIVATE = "02161234567", "13712345678"
WEDNESDAY_9AM = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


class FakeDoctorPhone:
    """The doctor's phone: hears the whisper and answers with one key."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.heard: list[str] = []
        self.hung_up = False

    async def play(self, prompt: Prompt, *, barge_in: bool = True) -> str | None:  # noqa: ARG002
        self.heard.append(prompt.name)
        return None

    async def say(
        self,
        text: str,
        *,
        language: str | None = None,  # noqa: ARG002
        barge_in: bool = True,  # noqa: ARG002
    ) -> str | None:
        self.heard.append(text)
        return None

    async def collect(
        self,
        max_digits: int = 1,  # noqa: ARG002
        timeout: float = 5.0,  # noqa: ARG002
        terminator: str = "#",  # noqa: ARG002
    ) -> str:
        return self.key

    async def hangup(self) -> None:
        self.hung_up = True


class ConsultCall(FakeCall):
    """A patient's call whose B2BUA rings scripted doctor phones (None: no answer)."""

    def __init__(self, script: list[str], phones: dict[str, FakeDoctorPhone | None]) -> None:
        super().__init__(script)
        self.phones = phones
        self.rung: list[str] = []
        self.joined: list[FakeDoctorPhone] = []
        self.recorded_to: Path | None = None

    async def ring(self, number: str, *, ring_timeout: float) -> tuple[str, DoctorPhone | None]:
        assert ring_timeout == 25.0
        self.rung.append(number)
        phone = self.phones.get(number)
        return ("answered" if phone else "no_answer"), phone

    async def join(
        self, doctor: DoctorPhone, *, max_seconds: float, record_to: Path | None = None
    ) -> int:
        assert isinstance(doctor, FakeDoctorPhone)
        self.joined.append(doctor)
        if record_to is not None:  # what the bridge recorder would leave behind
            record_to.parent.mkdir(parents=True, exist_ok=True)
            write_wav(record_to, np.full(8000, 1000, dtype=np.int16))
        self.recorded_to = record_to
        return int(min(max_seconds, 125))


@pytest.fixture
def services(engine: AsyncEngine, tmp_path: Path) -> IvrServices:
    return IvrServices(db=engine, clock=FakeClock(WEDNESDAY_9AM), data_dir=tmp_path)


async def a_consulting_doctor(
    services: IvrServices, fee_mode: FeeMode = FeeMode.FREE, fee: int = 0
) -> int:
    ids = await seed_hospital(services.db)
    async with UnitOfWork(services.db) as uow:
        await consultations.update_settings(
            uow,
            settings=ConsultSettings(ids["doctor"], True, 600, fee_mode, fee),
            clock=services.clock,
        )
        await consultations.set_windows(
            uow, doctor_id=ids["doctor"], windows=[Window(2, time(8), time(12))]
        )
        await consultations.set_private_numbers(
            uow, doctor_id=ids["doctor"], numbers=[HOME, MOBILE_PRIVATE]
        )
    return ids["doctor"]


async def run(services: IvrServices, call: FakeCall) -> CallRecord:
    await IvrEngine(services)(call)
    async with UnitOfWork(services.db) as uow:
        return await get_call_record(uow, call_id=call.id)


def assert_number_hidden(call: FakeCall, record: CallRecord) -> None:
    for number in (HOME, MOBILE_PRIVATE, HOME[-4:], MOBILE_PRIVATE[-4:]):
        assert not any(number in text for text in call.spoken)
        assert number not in repr(record)


@pytest.mark.asyncio
async def test_second_number_accepts_and_the_card_is_charged(services: IvrServices) -> None:
    doctor_id = await a_consulting_doctor(services, FeeMode.PER_MINUTE, 1000)
    card = await a_member(services.db)
    doctor = FakeDoctorPhone("1")
    script = ["1", "4", "3", "2", "1001", card.card_number, PIN]
    call = ConsultCall(script, {HOME: None, MOBILE_PRIVATE: doctor})
    record = await run(services, call)
    assert call.rung == [HOME, MOBILE_PRIVATE]
    assert call.joined == [doctor]
    assert doctor.heard == ["医院热线咨询，按1接听。"]
    assert call.heard("每分钟十元")
    assert call.heard("通话将被录音")
    assert call.heard("已从会员卡扣除三十元")
    async with UnitOfWork(services.db) as uow:
        (done,) = await consultations.list_consultations(uow, doctor_id=doctor_id)
        balance = await membership.card_balance(uow, card_id=card.id)
    assert (done.outcome, done.seconds, done.charge_fen) == (Outcome.COMPLETED, 125, 3000)
    assert done.member_card_id == card.id
    assert balance == 20000 - 3000
    # The announced recording is kept with the record, under the data dir.
    assert call.recorded_to is not None
    assert done.recording_path is not None
    assert services.data_dir / done.recording_path == call.recorded_to
    assert done.recording_path.startswith("recordings/consultations/")
    assert_number_hidden(call, record)


@pytest.mark.asyncio
async def test_nobody_accepts_and_the_patient_leaves_a_message(services: IvrServices) -> None:
    doctor_id = await a_consulting_doctor(services)
    declined, silent = FakeDoctorPhone("2"), FakeDoctorPhone("")
    script = ["1", "4", "3", "2", "1001", "1", "2580"]
    call = ConsultCall(script, {HOME: declined, MOBILE_PRIVATE: silent})
    record = await run(services, call)
    assert declined.hung_up
    assert silent.hung_up
    assert call.joined == []
    assert "consult_no_answer" in record.prompts
    assert record.prompts.count("vm_left") == 2
    async with UnitOfWork(services.db) as uow:
        (attempt,) = await consultations.list_consultations(uow, doctor_id=doctor_id)
        messages = await voicemail.messages_for_doctor(uow, doctor_id=doctor_id)
    assert attempt.outcome is Outcome.NO_ANSWER
    assert attempt.charge_fen == 0
    assert attempt.recording_path is None  # nobody talked: nothing recorded
    assert len(messages) == 1
    assert_number_hidden(call, record)


@pytest.mark.asyncio
async def test_busy_doctor_is_offered_as_voicemail(services: IvrServices) -> None:
    doctor_id = await a_consulting_doctor(services)
    async with UnitOfWork(services.db) as uow:
        await consultations.start_consultation(
            uow, doctor_id=doctor_id, call_id="other-call", clock=services.clock
        )
    call = ConsultCall(["1", "4", "3", "2", "1001", "2"], {HOME: FakeDoctorPhone("1")})
    record = await run(services, call)
    assert call.rung == []
    assert "consult_busy" in record.prompts
    assert "consult_offer_voicemail" in record.prompts


@pytest.mark.asyncio
async def test_outside_hours_says_when_the_doctor_is_next_available(
    services: IvrServices,
) -> None:
    await a_consulting_doctor(services)
    assert isinstance(services.clock, FakeClock)
    services.clock.advance(4 * 3600)  # 13:00: the morning window is over
    call = ConsultCall(["1", "4", "3", "2", "1001", "2"], {HOME: FakeDoctorPhone("1")})
    record = await run(services, call)
    assert call.rung == []
    assert call.heard("下次可咨询的时间是十二月二日 星期三 上午八点")
    assert "consult_offer_voicemail" in record.prompts


@pytest.mark.asyncio
async def test_the_offered_voicemail_follows_the_doctors_box(services: IvrServices) -> None:
    doctor_id = await a_consulting_doctor(services)
    async with UnitOfWork(services.db) as uow:
        await inbox.update_box(
            uow,
            box=VoicemailBox(doctor_id, greeting_text="我是李医生，请留下您的问题。"),
            clock=services.clock,
        )
    call = ConsultCall(["1", "4", "3", "2", "1001", "1", "2580"], {})
    await run(services, call)
    assert call.heard("我是李医生，请留下您的问题。")
    async with UnitOfWork(services.db) as uow:
        await inbox.update_box(
            uow, box=VoicemailBox(doctor_id, accepting=False), clock=services.clock
        )
    closed = ConsultCall(["4", "3", "2", "1001", "1"], {})
    record = await run(services, closed)
    assert "vm_box_closed" in record.prompts
    assert "record_after_beep" not in record.prompts
    async with UnitOfWork(services.db) as uow:
        assert len(await voicemail.messages_for_doctor(uow, doctor_id=doctor_id)) == 1
