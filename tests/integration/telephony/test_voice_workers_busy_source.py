"""Two voice workers keep answering the one loopback source that carries every call.

A 200-caller run from SIPp sends more requests a second from one address than the
per-source token bucket allows; the workers then blocked that address and dropped every
later INVITE. Here a raw client floods both workers with OPTIONS (in batches, each
answered before the next, so no datagram is lost on loopback), then places a call on each.
"""

from __future__ import annotations

import asyncio

import uvloop

from careline.telephony.sip.dispatch import owner_by_hash
from careline.telephony.workers import VoicePool
from tests.integration.telephony.sipclient import Dialogue, RawSip, sdp

RTP_RANGE = (43400, 43799)
BATCHES, BATCH = 8, 50  # 400 requests: well past burst (60) + strikes (10) per worker


async def _flood(phone: RawSip, server: tuple[str, int]) -> int:
    """Send OPTIONS batch by batch; return how many were answered 200."""
    answered = 0
    for _ in range(BATCHES):
        for _ in range(BATCH):
            dialogue = Dialogue(phone, server)  # a new Call-ID each: spread over both workers
            dialogue.send(dialogue.request("OPTIONS"))
        for _ in range(BATCH):
            reply = await phone.next(timeout=5.0)
            if reply is None:
                return answered  # a worker went deaf: nothing more will come
            answered += reply.startswith(b"SIP/2.0 200")
    return answered


async def _answers_call(phone: RawSip, server: tuple[str, int], worker: int) -> bool:
    dialogue = Dialogue(phone, server)
    while owner_by_hash(dialogue.call_id.encode(), 2) != worker:
        dialogue = Dialogue(phone, server)
    dialogue.send(dialogue.request("INVITE", body=sdp(phone.port)))
    try:
        answer = await phone.expect("200", timeout=5.0)
    except AssertionError:
        return False
    dialogue.learn_tag(answer)
    dialogue.ack(1)
    dialogue.send(dialogue.request("BYE"))
    await phone.expect("200", timeout=5.0)
    return True


def test_workers_keep_answering_a_busy_trusted_source() -> None:
    async def main() -> None:
        pool = VoicePool(
            2, host="127.0.0.1", port=0, rtp_port_min=RTP_RANGE[0], rtp_port_max=RTP_RANGE[1]
        )
        await pool.start()
        phone = await RawSip.open()
        try:
            assert await _flood(phone, pool.address) == BATCHES * BATCH
            assert [await _answers_call(phone, pool.address, w) for w in (0, 1)] == [True, True]
            assert min(pool.front.dispatcher.routed) > 0  # the flood reached both workers
        finally:
            phone.close()
            await pool.stop()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())
