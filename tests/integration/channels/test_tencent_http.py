"""The Tencent Cloud SMS adapter against a loopback endpoint that checks its TC3 signature."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from careline.channels import service
from careline.channels.delivery import sms_delivery
from careline.channels.model import Channel, MessageState
from careline.channels.sms.http import TencentSmsConfig, TencentSmsSender
from careline.db.uow import UnitOfWorkFactory
from careline.kit.clock import FakeClock
from tests.support.smsc import TencentSmsStandIn

pytestmark = pytest.mark.asyncio
VALUES = {"department": "内科", "date": "11月26日", "time": "09:30"}


@pytest_asyncio.fixture
async def cloud() -> AsyncIterator[TencentSmsStandIn]:
    server = TencentSmsStandIn(secret_id="AKIDcareline", secret_key="k3y")
    await server.start()
    yield server
    await server.stop()


def _sender(cloud: TencentSmsStandIn, secret_key: str = "k3y") -> TencentSmsSender:
    config = TencentSmsConfig(
        secret_id="AKIDcareline",
        secret_key=secret_key,
        sdk_app_id="1400000001",
        sign_name="示例医院",
        template_ids={"appointment_reminder": "123456"},
        endpoint=f"http://127.0.0.1:{cloud.port}",
    )
    return TencentSmsSender(config)


async def _send(
    uow_factory: UnitOfWorkFactory, sender: TencentSmsSender, *, template: str | None
) -> int:
    clock = FakeClock()
    async with uow_factory() as uow:
        if template:
            queued = await service.queue_sms(
                uow, to="+8613800138000", template=template, values=VALUES, clock=clock
            )
        else:
            queued = await service.queue_sms(
                uow, to="+8613800138000", text="free text", clock=clock
            )
        await service.deliver_due_messages(
            uow, channel=Channel.SMS, deliver=sms_delivery(sender), clock=clock
        )
        return queued.id


async def test_signed_template_request_is_accepted(
    cloud: TencentSmsStandIn,
    uow_factory: UnitOfWorkFactory,
) -> None:
    sender = _sender(cloud)
    try:
        message_id = await _send(uow_factory, sender, template="appointment_reminder")
    finally:
        await sender.close()
    assert cloud.rejected == 0
    assert cloud.requests == [
        {
            "PhoneNumberSet": ["+8613800138000"],
            "SmsSdkAppId": "1400000001",
            "SignName": "示例医院",
            "TemplateId": "123456",
            "TemplateParamSet": ["内科", "11月26日", "09:30"],
        }
    ]
    async with uow_factory() as uow:
        sent = await service.get_message(uow, message_id=message_id)
    assert (sent.state, sent.provider, sent.provider_message_id) == (
        MessageState.SENT,
        "tencent",
        "2645:1",
    )


async def test_wrong_key_fails_the_signature_check(
    cloud: TencentSmsStandIn,
    uow_factory: UnitOfWorkFactory,
) -> None:
    sender = _sender(cloud, secret_key="other")
    try:
        message_id = await _send(uow_factory, sender, template="appointment_reminder")
    finally:
        await sender.close()
    assert cloud.rejected == 1
    async with uow_factory() as uow:
        failed = await service.get_message(uow, message_id=message_id)
    assert (failed.state, failed.last_error) == (
        MessageState.FAILED,
        "Tencent Cloud refused the request: AuthFailure.SignatureFailure",
    )


async def test_text_without_a_registered_template_is_not_sent(
    cloud: TencentSmsStandIn,
    uow_factory: UnitOfWorkFactory,
) -> None:
    sender = _sender(cloud)
    try:
        message_id = await _send(uow_factory, sender, template=None)
    finally:
        await sender.close()
    assert cloud.requests == []
    async with uow_factory() as uow:
        failed = await service.get_message(uow, message_id=message_id)
    assert failed.state is MessageState.FAILED
