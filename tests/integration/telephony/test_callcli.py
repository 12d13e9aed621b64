"""``careline call``: a test call placed at a running Careline keys digits and records."""

from __future__ import annotations

from pathlib import Path

import pytest
import uvloop

from careline.config import Settings
from careline.telephony.callcli import CallReport, call_and_listen, digit_plan, place_test_call
from careline.telephony.calls import Call
from careline.telephony.outbound import DialStatus
from tests.integration.telephony.phones import frames_with, prompt, voice_server
from tests.support.baresip import read_wav, tone
from tests.support.ports import free_port_range

pytestmark = pytest.mark.sip


def test_digit_plan_reads_pauses_and_refuses_junk() -> None:
    assert digit_plan("1,2#") == ["1", ",", "2", "#"]
    with pytest.raises(ValueError, match="digits"):
        digit_plan("1x")


def test_test_call_keys_digits_and_records_what_it_hears(tmp_path: Path) -> None:
    received: list[str] = []
    reports: list[CallReport] = []
    lines: list[str] = []

    async def flow(call: Call) -> None:
        await call.answer()
        await call.play(prompt(tone(440.0, 0.8)), barge_in=False)
        received.append(await call.collect(max_digits=2, timeout=5.0))
        await call.play(prompt(tone(900.0, 0.5)), barge_in=False)
        await call.hangup()

    async def scenario() -> None:
        low, high = free_port_range(20)
        async with voice_server(flow) as server:
            reports.append(
                await call_and_listen(
                    f"sip:100@127.0.0.1:{server.port}",
                    digits="4,2",
                    record=tmp_path / "heard.wav",
                    seconds=8.0,
                    rtp_port_min=low,
                    rtp_port_max=high,
                    echo=lines.append,
                )
            )

    uvloop.run(scenario())
    (report,) = reports
    assert received == ["42"]
    assert (report.status, report.sip_code) == (DialStatus.ANSWERED, 200)
    assert lines[0] == "answered (200)"
    assert "hung_up hangup" in report.events
    heard = read_wav(tmp_path / "heard.wav")
    assert frames_with(heard, 440.0) >= 30
    assert frames_with(heard, 900.0) >= 15


def test_command_exit_code_says_whether_the_call_was_answered(tmp_path: Path) -> None:
    codes: list[int] = []

    async def refuse(call: Call) -> None:
        call.leg.hangup("busy")  # type: ignore[attr-defined]

    async def scenario() -> None:
        low, high = free_port_range(20)
        settings = Settings(data_dir=tmp_path, rtp_port_min=low, rtp_port_max=high)
        async with voice_server(refuse) as server:
            uri = f"sip:100@127.0.0.1:{server.port}"
            codes.append(await place_test_call(settings, uri, seconds=1.0, echo=lambda _: None))

    uvloop.run(scenario())
    assert codes == [1]
