"""The line checks its trunk with OPTIONS: a real carrier (baresip) answers, silence does not."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import numpy as np
import pytest
import uvloop

from careline.telephony.calls import Call
from careline.telephony.line_report import LineReport
from careline.telephony.trunk import TrunkSettings
from tests.integration.telephony.phones import CODECS, phone, voice_server

pytestmark = pytest.mark.sip


async def _idle(call: Call) -> None:
    await call.hangup()


async def _until_checked(read: object, timeout: float) -> LineReport:
    async with asyncio.timeout(timeout):
        while (report := read()).trunk_reachable is None:  # type: ignore[operator]
            await asyncio.sleep(0.05)
    return report


def test_a_carrier_that_answers_options_is_reachable(tmp_path: Path) -> None:
    async def scenario() -> tuple[LineReport, list[dict[str, object]]]:
        account = f"<sip:13900000001@127.0.0.1>;regint=0;{CODECS}"
        async with phone(tmp_path, "carrier", account, np.zeros(8000)) as carrier:
            trunk = TrunkSettings("127.0.0.1", carrier.sip_port)
            async with voice_server(_idle, trunk=trunk, trunk_check_seconds=0.2) as server:
                return await _until_checked(server.report, 10.0), carrier.events

    report, events = uvloop.run(scenario())
    assert report.trunk_reachable is True
    assert report.trunk_round_trip is not None
    assert 0 < report.trunk_round_trip < 5.0
    assert not [e for e in events if e.get("type") == "CALL_INCOMING"]  # OPTIONS, no call


def test_a_trunk_that_never_answers_is_unreachable() -> None:
    async def scenario() -> LineReport:
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # takes requests, answers none
        silent.bind(("127.0.0.1", 0))
        try:
            trunk = TrunkSettings("127.0.0.1", silent.getsockname()[1])
            async with voice_server(_idle, trunk=trunk, trunk_check_seconds=0.2) as server:
                report = await _until_checked(server.report, 10.0)
                assert silent.recv(4096).startswith(b"OPTIONS sip:127.0.0.1:")
                return report
        finally:
            silent.close()

    report = uvloop.run(scenario())
    assert report.trunk_reachable is False
    assert report.trunk_round_trip is None
