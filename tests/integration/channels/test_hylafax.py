"""Faxes handed to a real HylaFAX server on loopback with the sendfax client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from careline.channels import service
from careline.channels.delivery import fax_delivery
from careline.channels.fax.hylafax import HylafaxConfig, HylafaxSender
from careline.channels.model import Channel, MessageState
from careline.db.uow import UnitOfWorkFactory
from careline.kit.clock import FakeClock
from tests.integration.channels.hylafax_server import HylafaxServer, hylafax_server
from tests.support.ports import free_port

pytestmark = pytest.mark.asyncio


@pytest.fixture
def hylafax() -> Iterator[HylafaxServer]:
    with hylafax_server() as server:
        yield server


async def test_fax_is_queued_on_the_hylafax_server(
    hylafax: HylafaxServer,
    uow_factory: UnitOfWorkFactory,
) -> None:
    clock = FakeClock()
    sender = HylafaxSender(HylafaxConfig(host="127.0.0.1", port=hylafax.port, timeout=20))
    async with uow_factory() as uow:
        queued = await service.queue_fax(
            uow,
            number="010-8888-6666",
            title="肠镜检查须知",
            body="检查前一天晚餐后禁食。",
            clock=clock,
        )
        await service.deliver_due_messages(
            uow, channel=Channel.FAX, deliver=fax_delivery(sender), clock=clock
        )
        sent = await service.get_message(uow, message_id=queued.id)
    assert (sent.state, sent.provider) == (MessageState.SENT, "hylafax")
    assert sent.provider_message_id is not None
    job = hylafax.job(sent.provider_message_id)
    assert job["number"] == "+861088886666"
    documents = list((hylafax.spool / "docq").glob("doc*.tif*"))
    assert len(documents) == 1
    assert documents[0].read_bytes()[:2] in (b"II", b"MM")


async def test_unreachable_server_keeps_the_fax_queued(uow_factory: UnitOfWorkFactory) -> None:
    clock = FakeClock()
    sender = HylafaxSender(HylafaxConfig(host="127.0.0.1", port=free_port(), timeout=20))
    async with uow_factory() as uow:
        queued = await service.queue_fax(
            uow, number="010-8888-6666", title="须知", body="x", clock=clock
        )
        await service.deliver_due_messages(
            uow, channel=Channel.FAX, deliver=fax_delivery(sender), clock=clock
        )
        waiting = await service.get_message(uow, message_id=queued.id)
    assert (waiting.state, waiting.attempts) == (MessageState.QUEUED, 1)
    assert waiting.last_error is not None
    assert waiting.last_error.startswith("sendfax failed")
