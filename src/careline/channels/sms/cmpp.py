"""CMPP 2.0 client: an SmsSender for China Mobile's ISMG gateway (codec in cmpp_codec)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import structlog

from careline.channels.errors import SendFailed
from careline.channels.ports import (
    DeliveryReport,
    InboundSms,
    InboundSmsCallback,
    ReportCallback,
    SmsAccepted,
    SmsRequest,
    SmsSender,
)
from careline.channels.sms import cmpp_codec as codec
from careline.channels.sms.cmpp_link import CmppLink
from careline.channels.sms.segments import Alphabet, decode_payload, split_text

log = structlog.get_logger(__name__)

# CONNECT_RESP statuses 1-5 (CMPP 2.0 section 7.4.2); none is cured by retrying quickly.
_CONNECT_REFUSALS = {
    1: "bad message structure",
    2: "illegal source address",
    3: "authentication failed",
    4: "version too high",
}


@dataclass(frozen=True, slots=True)
class CmppConfig:
    """Account of the hospital (the SP) at the gateway."""

    host: str
    port: int
    sp_id: str
    shared_secret: str
    src_id: str
    service_id: str = ""
    timeout: float = 10.0
    keepalive: float = 60.0
    zone: str = "Asia/Shanghai"


def _terminal_id(e164: str) -> str:
    # Chinese gateways expect national mobile numbers ("13800138000"); others keep the code.
    digits = e164.lstrip("+")
    return digits[2:] if digits.startswith("86") else digits


class CmppClient(SmsSender):
    """Send SMS over CMPP 2.0 with status reports; receive mobile-originated texts."""

    name = "cmpp"

    def __init__(
        self,
        config: CmppConfig,
        *,
        on_report: ReportCallback | None = None,
        on_inbound: InboundSmsCallback | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self._link = CmppLink(self, config)
        self.on_report = on_report
        self.on_inbound = on_inbound
        self._now = now or (lambda: datetime.now(ZoneInfo(config.zone)))

    def timestamp(self) -> str:
        """Return the CONNECT timestamp for now, in the gateway's zone."""
        return codec.timestamp_of(self._now())

    async def send(self, request: SmsRequest) -> SmsAccepted:
        """Submit every segment of ``request``; return the gateway's Msg_Ids."""
        await self._link.ensure_open()
        alphabet, segments = split_text(
            request.text, random.randint(0, 255), alphabet=Alphabet.UCS2
        )
        ids: list[str] = []
        for segment in segments:
            submit = codec.Submit(
                dest_terminal_ids=(_terminal_id(request.to),),
                content=segment.payload,
                msg_fmt=int(alphabet),
                src_id=self.config.src_id,
                msg_src=self.config.sp_id,
                service_id=self.config.service_id,
                pk_total=segment.total,
                pk_number=segment.number,
                tp_udhi=1 if segment.has_udh else 0,
            )
            sequence = self._link.next_sequence()
            response = await self._link.request(codec.encode(submit, sequence), sequence)
            if not isinstance(response, codec.SubmitResp):
                raise SendFailed("the gateway answered SUBMIT with another PDU")
            if response.result != 0:
                # Result 8 is flow control: worth retrying; the others reject the message.
                raise SendFailed(
                    f"the gateway refused the message (Result {response.result})",
                    retryable=response.result == 8,
                )
            ids.append(str(response.msg_id))
        return SmsAccepted(self.name, tuple(ids))

    async def deliver(self, deliver: codec.Deliver) -> None:
        """Pass a DELIVER on as a delivery report or an inbound text."""
        report = deliver.status_report()
        if report is not None:
            if self.on_report is not None:
                await self.on_report(
                    DeliveryReport(
                        self.name, str(report.msg_id), report.stat == "DELIVRD", report.stat
                    )
                )
            return
        if self.on_inbound is not None:
            text = decode_payload(deliver.content, deliver.msg_fmt, udhi=deliver.tp_udhi == 1)
            await self.on_inbound(
                InboundSms(self.name, deliver.src_terminal_id, deliver.dest_id, text)
            )

    @staticmethod
    def refusal(status: int) -> str:
        """Return why a CONNECT was refused."""
        return _CONNECT_REFUSALS.get(status, f"status {status}")

    async def close(self) -> None:
        """Say TERMINATE and drop the link."""
        await self._link.terminate()
