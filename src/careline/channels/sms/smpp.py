"""SMPP 3.4 client: an SmsSender speaking to an SMSC as a transceiver, with receipts.

smpplib's own ``Client`` blocks on its socket, which would take a thread per bind and
make timeouts and cancellation awkward. Careline keeps smpplib for what it is good at —
building and parsing PDUs (``smpplib.smpp.make_pdu``/``parse_pdu``) — and drives them
from the shared asyncio link, so one event loop owns every connection.
"""

from __future__ import annotations

import random
import re
import struct
from dataclasses import dataclass
from typing import Any

import smpplib.consts  # type: ignore[import-untyped]
import smpplib.smpp  # type: ignore[import-untyped]

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
from careline.channels.sms.link import PduLink
from careline.channels.sms.segments import decode_payload, split_text

ESM_UDHI = 0x40
ESM_DELIVERY_RECEIPT = 0x04
MAX_PDU_LENGTH = 65536
# "id:0123 sub:001 dlvr:001 submit date:... done date:... stat:DELIVRD err:000 text:..."
_RECEIPT = re.compile(rb"id:(?P<id>\S+).*?stat:(?P<stat>\w+)", re.DOTALL)
# SMSC statuses that mean the message will not come back as a retryable failure.
_RETRYABLE_STATUSES = {0x08, 0x14, 0x58, 0x45}  # system error, queue full, throttled, submit failed


@dataclass(frozen=True, slots=True)
class SmppConfig:
    """Bind account at the SMSC and the sender address shown to patients."""

    host: str
    port: int
    system_id: str
    password: str
    source_addr: str
    system_type: str = ""
    timeout: float = 10.0
    keepalive: float = 30.0


class _Sequencer:
    """What smpplib's PDU classes expect from a client: a sequence source."""

    sequence = 0

    def next_sequence(self) -> int:
        self.sequence = (self.sequence + 1) & 0x7FFFFFFF
        return self.sequence


def make_pdu(command: str, sequence: int, *, status: int = 0, **fields: Any) -> bytes:
    """Build one SMPP PDU with smpplib and return its bytes."""
    pdu = smpplib.smpp.make_pdu(command, client=_Sequencer(), **fields)
    # smpplib keeps the values it set itself in __init__ over keyword arguments.
    pdu.sequence = sequence
    pdu.status = status
    return bytes(pdu.generate())


def parse_pdu(frame: bytes) -> Any:
    """Parse one SMPP PDU with smpplib; raise ValueError when it is malformed."""
    if len(frame) < 16:
        raise ValueError("SMPP PDU shorter than its header")
    try:
        pdu = smpplib.smpp.parse_pdu(frame, client=_Sequencer(), allow_unknown_opt_params=True)
    except (
        smpplib.exceptions.UnknownCommandError,
        struct.error,
        IndexError,
        KeyError,
        TypeError,
        AttributeError,
    ) as exc:
        raise ValueError(f"SMPP PDU cannot be parsed: {exc}") from exc
    if pdu is None:
        raise ValueError("unknown SMPP command id")
    return pdu


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    return value if isinstance(value, bytes) else str(value).encode("latin-1")


# message_state TLV values (SMPP 3.4 section 5.2.28) for receipts without a "stat:" text.
_MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}


def parse_receipt(pdu: Any) -> DeliveryReport | None:
    """Read a delivery receipt: the receipted_message_id/message_state TLVs or the text."""
    found = _RECEIPT.search(_as_bytes(pdu.short_message))
    message_id = _as_bytes(pdu.receipted_message_id).decode("ascii", errors="replace")
    if not message_id and found is not None:
        message_id = found.group("id").decode("ascii", errors="replace")
    if not message_id:
        return None
    if found is not None:
        stat = found.group("stat").decode("ascii", errors="replace")
    else:
        stat = _MESSAGE_STATES.get(pdu.message_state or 0, "UNKNOWN")
    return DeliveryReport(SmppClient.name, message_id, stat == "DELIVRD", stat)


class SmppLink(PduLink):
    """One SMPP transceiver bind owned by an SmppClient."""

    def __init__(self, client: SmppClient, config: SmppConfig) -> None:
        super().__init__(
            config.host, config.port, timeout=config.timeout, keepalive=config.keepalive
        )
        self._client = client
        self._config = config
        self._buffer = bytearray()

    def split_frames(self, data: bytes) -> list[bytes]:
        self._buffer += data
        frames: list[bytes] = []
        while len(self._buffer) >= 4:
            length = int.from_bytes(self._buffer[:4], "big")
            if length < 16 or length > MAX_PDU_LENGTH:
                self._buffer.clear()
                raise ValueError("impossible command_length; the stream is out of step")
            if len(self._buffer) < length:
                break
            frames.append(bytes(self._buffer[:length]))
            del self._buffer[:length]
        return frames

    async def handle_frame(self, frame: bytes) -> None:
        pdu = parse_pdu(frame)
        if pdu.is_response():
            self.resolve(pdu.sequence, pdu)
        elif pdu.command == "deliver_sm":
            # Answered only once stored: the SMSC redelivers what is not acknowledged.
            if await self.pass_on(self._client.deliver(pdu)):
                self.write(make_pdu("deliver_sm_resp", pdu.sequence, message_id=""))
        elif pdu.command == "enquire_link":
            self.write(make_pdu("enquire_link_resp", pdu.sequence))
        elif pdu.command == "unbind":
            self.write(make_pdu("unbind_resp", pdu.sequence))
            raise ValueError("the SMSC unbound")
        else:
            self.write(
                make_pdu("generic_nack", pdu.sequence, status=smpplib.consts.SMPP_ESME_RINVCMDID)
            )

    async def login(self) -> None:
        self._buffer = bytearray()
        sequence = self.next_sequence()
        frame = make_pdu(
            "bind_transceiver",
            sequence,
            system_id=self._config.system_id,
            password=self._config.password,
            system_type=self._config.system_type,
        )
        response = await self.request(frame, sequence)
        if response.command != "bind_transceiver_resp" or response.status != 0:
            # A refused bind is the account's fault, not the message's: keep it queued.
            raise SendFailed(f"the SMSC refused the bind (status {response.status})")

    async def ping(self) -> None:
        sequence = self.next_sequence()
        await self.request(make_pdu("enquire_link", sequence), sequence)


class SmppClient(SmsSender):
    """Send SMS over SMPP 3.4 asking for delivery receipts; receive mobile-originated texts."""

    name = "smpp"

    def __init__(
        self,
        config: SmppConfig,
        *,
        on_report: ReportCallback | None = None,
        on_inbound: InboundSmsCallback | None = None,
    ) -> None:
        self.config = config
        self._link = SmppLink(self, config)
        self.on_report = on_report
        self.on_inbound = on_inbound

    async def send(self, request: SmsRequest) -> SmsAccepted:
        """Submit every segment of ``request``; return the SMSC's message ids."""
        await self._link.ensure_open()
        alphabet, segments = split_text(request.text, random.randint(0, 255))
        ids: list[str] = []
        for segment in segments:
            sequence = self._link.next_sequence()
            frame = make_pdu(
                "submit_sm",
                sequence,
                source_addr_ton=5 if not self.config.source_addr.isdigit() else 1,
                source_addr_npi=0 if not self.config.source_addr.isdigit() else 1,
                source_addr=self.config.source_addr,
                dest_addr_ton=1,
                dest_addr_npi=1,
                destination_addr=request.to.lstrip("+"),
                esm_class=ESM_UDHI if segment.has_udh else 0,
                registered_delivery=1,
                data_coding=int(alphabet),
                short_message=segment.payload,
            )
            response = await self._link.request(frame, sequence)
            if response.status != 0:
                raise SendFailed(
                    f"the SMSC refused the message (status 0x{response.status:x})",
                    retryable=response.status in _RETRYABLE_STATUSES,
                )
            ids.append(_as_bytes(response.message_id).decode("ascii", errors="replace"))
        return SmsAccepted(self.name, tuple(ids))

    async def deliver(self, pdu: Any) -> None:
        """Pass a deliver_sm on as a delivery receipt or an inbound text."""
        message = _as_bytes(pdu.short_message)
        if (pdu.esm_class or 0) & ESM_DELIVERY_RECEIPT:
            report = parse_receipt(pdu)
            if report is not None and self.on_report is not None:
                await self.on_report(report)
            return
        if self.on_inbound is not None:
            text = decode_payload(
                message, pdu.data_coding or 0, udhi=bool((pdu.esm_class or 0) & ESM_UDHI)
            )
            sender = _as_bytes(pdu.source_addr).decode("ascii", errors="replace")
            recipient = _as_bytes(pdu.destination_addr).decode("ascii", errors="replace")
            await self.on_inbound(InboundSms(self.name, sender, recipient, text))

    async def close(self) -> None:
        """Unbind politely and drop the link."""
        if self._link.is_open:
            sequence = self._link.next_sequence()
            try:
                await self._link.request(make_pdu("unbind", sequence), sequence)
            except SendFailed:
                pass
        await self._link.close()
