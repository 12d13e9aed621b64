"""Two voice worker processes behind one SIP port, driven by a raw UDP SIP client."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from typing import Any

import uvloop

from careline.telephony.sip.dispatch import owner_by_hash
from careline.telephony.workers import VoicePool, port_slices
from tests.integration.telephony.sipclient import Dialogue, RawSip, sdp

RTP_RANGE = (43000, 43399)


class _Phone(RawSip):
    """The raw client, remembering which address each SIP datagram came from."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: set[tuple[str, int]] = set()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if data[:1].isalpha():  # SIP; the server's RTP comes to this port too
            self.sources.add((str(addr[0]), int(addr[1])))
            super().datagram_received(data, addr)


def _call_ids(worker: int, count: int) -> list[str]:
    found = [
        f"wk{n}@127.0.0.1"
        for n in range(200)
        if owner_by_hash(f"wk{n}@127.0.0.1".encode(), 2) == worker
    ]
    return found[:count]


async def _call(phone: _Phone, server: tuple[str, int], call_id: str, *, compact: bool) -> int:
    """Place a call, hang it up; return the RTP port the server answered with."""
    dialogue = Dialogue(phone, server)
    dialogue.call_id = call_id
    invite = dialogue.request("INVITE", body=sdp(phone.port))
    if compact:
        invite = invite.replace(b"\r\nCall-ID: ", b"\r\ni: ")
    dialogue.send(invite)
    answer = await phone.expect("200", timeout=10.0)
    dialogue.learn_tag(answer)
    dialogue.ack(1)
    match = re.search(rb"m=audio (\d+)", answer)
    assert match is not None
    dialogue.send(dialogue.request("BYE"))
    # Only the worker holding the dialog can accept the BYE; any other would answer 481.
    bye_answer = await phone.expect("200", timeout=10.0)
    assert b"BYE" in bye_answer
    return int(match.group(1))


def _worker_of(rtp_port: int) -> int:
    return _worker_of_range(rtp_port, RTP_RANGE)


def _worker_of_range(rtp_port: int, rtp_range: tuple[int, int]) -> int:
    slices = port_slices(*rtp_range, 2)
    return next(i for i, (low, high) in enumerate(slices) if low <= rtp_port <= high)


def test_calls_spread_by_call_id_and_stay_on_their_worker() -> None:
    async def main() -> None:
        pool = VoicePool(
            2,
            host="127.0.0.1",
            port=0,
            rtp_port_min=RTP_RANGE[0],
            rtp_port_max=RTP_RANGE[1],
            realtime_priority=1,
        )
        await pool.start()
        # Real-time scheduling where the system allows it (root or CAP_SYS_NICE).
        policy = os.SCHED_RR if os.geteuid() == 0 else os.SCHED_OTHER
        policies = [os.sched_getscheduler(p.pid or 0) for p in pool.processes]
        assert [each & ~os.SCHED_RESET_ON_FORK for each in policies] == [policy] * 2
        assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the main process is left alone
        loop = asyncio.get_running_loop()
        _, phone = await loop.create_datagram_endpoint(_Phone, local_addr=("127.0.0.1", 0))
        try:
            placed: dict[str, int] = {}
            for worker in (0, 1):
                for index, call_id in enumerate(_call_ids(worker, 2)):
                    rtp = await _call(phone, pool.address, call_id, compact=index == 1)
                    placed[call_id] = _worker_of(rtp)
            assert placed == {cid: owner_by_hash(cid.encode(), 2) for cid in placed}
            assert set(placed.values()) == {0, 1}
            assert phone.sources == {pool.address}  # every answer came from the SIP port
            assert len({p.pid for p in pool.processes}) == 2
            assert all(p.is_alive() for p in pool.processes)
        finally:
            phone.close()
            await pool.stop()
        assert pool.processes == []

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())


def test_the_line_reports_every_workers_calls() -> None:
    async def main() -> None:
        pool = VoicePool(2, host="127.0.0.1", port=0, rtp_port_min=43400, rtp_port_max=43599)
        await pool.start()
        loop = asyncio.get_running_loop()
        _, phone = await loop.create_datagram_endpoint(_Phone, local_addr=("127.0.0.1", 0))
        try:
            for worker in (0, 1):
                for call_id in _call_ids(worker, 2):
                    await _call(phone, pool.address, call_id, compact=False)
            # Each worker reports every second: wait for both reports to count their calls.
            async with asyncio.timeout(10):
                while (report := pool.report()).calls_ended.get("hangup", 0) < 4:
                    await asyncio.sleep(0.1)
        finally:
            phone.close()
            await pool.stop()
        assert report.calls_started == {"inbound": 4}
        assert report.calls_ended == {"hangup": 4}
        assert report.calls_active == 0
        assert all(each is not None and each.media_ticks > 0 for each in pool.front.reports)
        assert report.media_ticks == sum(each.media_ticks for each in pool.front.reports if each)

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())


def test_a_worker_that_dies_is_started_again_and_answers_its_share() -> None:
    async def main() -> None:
        pool = VoicePool(2, host="127.0.0.1", port=0, rtp_port_min=43600, rtp_port_max=43799)
        await pool.start()
        loop = asyncio.get_running_loop()
        _, phone = await loop.create_datagram_endpoint(_Phone, local_addr=("127.0.0.1", 0))
        first, second = _call_ids(0, 2)
        try:
            await _call(phone, pool.address, first, compact=False)
            async with asyncio.timeout(10):  # worker 0 has reported its call
                while pool.report().calls_started.get("inbound", 0) < 1:
                    await asyncio.sleep(0.1)
            dead = pool.processes[0]
            os.kill(dead.pid or 0, signal.SIGKILL)
            async with asyncio.timeout(30):
                while pool.restarts < 1:
                    await asyncio.sleep(0.1)
                # Requests are dropped until the new worker has announced itself, and a
                # phone retransmits: here the test sends the call again until answered.
                while True:
                    try:
                        rtp = await _call(phone, pool.address, second, compact=False)
                        break
                    except AssertionError:
                        await asyncio.sleep(0.2)
            new = pool.processes[0]
            assert new.pid != dead.pid
            assert new.is_alive()
            assert _worker_of_range(rtp, (43600, 43799)) == 0
            async with asyncio.timeout(10):
                while (report := pool.report()).calls_started.get("inbound", 0) < 2:
                    await asyncio.sleep(0.1)
        finally:
            phone.close()
            await pool.stop()
        # The dead worker's call is still counted: the line's counters never go down.
        assert report.calls_started == {"inbound": 2}
        assert report.worker_restarts == 1

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())
