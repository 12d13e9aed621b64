"""A complaint's answer read to the patient by a call through the trunk (real baresip)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
import uvloop

from careline.telephony.calls import Call
from careline.telephony.feedback_calls import VoiceFeedbackDialer, trunk_number
from careline.telephony.media import Prompt
from careline.telephony.outbound import DialStatus
from careline.telephony.server import VoiceServer
from careline.telephony.trunk import TrunkSettings
from tests.integration.telephony.phones import CODECS, frames_with, phone
from tests.support.baresip import tone
from tests.support.ports import free_port_range

pytestmark = pytest.mark.sip
PATIENT = "13900000001"
ANSWER_HZ = 800.0
spoken: list[tuple[str, str]] = []


async def _speaker(text: str, language: str) -> Prompt:
    """Stand in for speech: each text becomes 1.5 s of a tone (synthesis is tested apart)."""
    spoken.append((text, language))
    return Prompt(pcm=tone(ANSWER_HZ, 1.5).astype(np.int16), name="answer")


async def _idle(call: Call) -> None:
    await call.wait_ended()


def test_patient_hears_the_answer_twice_from_the_hospital_number(tmp_path: Path) -> None:
    statuses: list[DialStatus] = []
    heard: list[np.ndarray] = []

    async def scenario() -> None:
        account = f"<sip:{PATIENT}@127.0.0.1>;regint=0;answermode=auto;{CODECS}"
        async with phone(tmp_path, "patient", account, np.zeros(8000 * 10)) as patient:
            low, high = free_port_range(20)
            server = VoiceServer(
                host="127.0.0.1",
                port=0,
                rtp_port_min=low,
                rtp_port_max=high,
                entry_flow=_idle,
                speaker=_speaker,
                trunk=TrunkSettings("127.0.0.1", patient.sip_port, caller_id="02150000000"),
            )
            await server.start()
            try:
                dialer = VoiceFeedbackDialer(server, ring_timeout=10)
                await dialer.queue_call(
                    to="+86 139 0000 0001",
                    text="您的投诉已处理。",
                    language="zh-CN",
                    reference="261125000011",
                )
                statuses.extend(await dialer.wait_idle())
                incoming = await patient.wait_event("CALL_CLOSED", timeout=20)
                assert "02150000000" in str(incoming)
            finally:
                await server.stop()
            heard.append(patient.heard())

    spoken.clear()
    uvloop.run(scenario())
    assert statuses == [DialStatus.ANSWERED]
    assert spoken == [("您的投诉已处理。", "zh-CN")] * 2
    # Two readings of 1.5 s each reached the phone.
    assert frames_with(heard[0], ANSWER_HZ) * 0.02 > 2.4


def test_a_number_that_cannot_be_dialled_is_refused_at_once() -> None:
    async def scenario() -> None:
        dialer = VoiceFeedbackDialer(VoiceServer.__new__(VoiceServer))
        with pytest.raises(ValueError, match="."):
            await dialer.queue_call(to="12345", text="x", language="zh-CN", reference="1")

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("e164", "digits"),
    [
        ("+8613900000001", "13900000001"),
        ("+862150000000", "02150000000"),
        ("+14155550100", "0014155550100"),
    ],
)
def test_trunk_numbers_are_national_at_home_and_international_abroad(
    e164: str, digits: str
) -> None:
    assert trunk_number(e164) == digits
