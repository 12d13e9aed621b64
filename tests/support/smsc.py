"""Loopback SMS gateways for tests: an SMPP 3.4 SMSC, a CMPP 2.0 ISMG and a Tencent Cloud
SMS HTTP endpoint. Each decodes what it receives, answers as the real service does, pushes
delivery receipts, and can misbehave on demand (malformed answers, silence)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import smpplib.smpp  # type: ignore[import-untyped]

from careline.channels.sms import cmpp_codec as codec
from careline.channels.sms.segments import decode_payload, parse_udh
from careline.channels.sms.smpp import make_pdu


@dataclass
class ReceivedSegment:
    """One submitted segment as the gateway decoded it."""

    destination: str
    text: str
    alphabet: int
    udh: tuple[int, int, int] | None
    message_id: str


@dataclass
class _Base:
    """A TCP server on 127.0.0.1 with one writer per client and a behaviour switch."""

    mode: str = "normal"  # "normal", "malformed" (garbage answers), "silent" (no answers)
    auto_receipt: bool = True
    segments: list[ReceivedSegment] = field(default_factory=list)
    inbound_acks: int = 0
    keepalives: int = 0
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        try:
            while True:
                head = await reader.readexactly(4)
                length = int.from_bytes(head, "big")
                frame = head + await reader.readexactly(length - 4)
                self.on_frame(frame, writer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def on_frame(self, frame: bytes, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    def texts(self) -> list[tuple[str, str]]:
        """Reassemble concatenated segments: (destination, whole text) in order received."""
        whole: dict[tuple[str, int], list[ReceivedSegment]] = {}
        order: list[tuple[str, int]] = []
        for index, segment in enumerate(self.segments):
            key = (segment.destination, segment.udh[0] if segment.udh else -index)
            if key not in whole:
                order.append(key)
            whole.setdefault(key, []).append(segment)
        return [
            (
                key[0],
                "".join(s.text for s in sorted(whole[key], key=lambda s: s.udh[2] if s.udh else 0)),
            )
            for key in order
        ]


@dataclass
class CmppGateway(_Base):
    """A China Mobile ISMG stand-in speaking CMPP 2.0."""

    sp_id: str = "901234"
    shared_secret: str = "secret"
    logins: int = 0
    _connected: set[int] = field(default_factory=set)

    def on_frame(self, frame: bytes, writer: asyncio.StreamWriter) -> None:
        sequence, pdu = codec.decode(frame)
        match pdu:
            case codec.Connect():
                expected = codec.authenticator_source(
                    self.sp_id, self.shared_secret, f"{pdu.timestamp:010d}"
                )
                status = 0 if pdu.authenticator == expected and pdu.source_addr == self.sp_id else 3
                self.logins += status == 0
                auth = codec.authenticator_ismg(status, pdu.authenticator, self.shared_secret)
                writer.write(codec.encode(codec.ConnectResp(status, auth), sequence))
            case codec.Submit():
                self._submit(sequence, pdu, writer)
            case codec.DeliverResp():
                self.inbound_acks += 1
            case codec.ActiveTest():
                self.keepalives += 1
                writer.write(codec.encode(codec.ActiveTestResp(), sequence))
            case codec.Terminate():
                writer.write(codec.encode(codec.TerminateResp(), sequence))

    def _submit(self, sequence: int, pdu: codec.Submit, writer: asyncio.StreamWriter) -> None:
        msg_id = next(self._ids)
        udh = parse_udh(pdu.content) if pdu.tp_udhi else None
        text = decode_payload(pdu.content, pdu.msg_fmt, udhi=bool(pdu.tp_udhi))
        self.segments.append(
            ReceivedSegment(
                pdu.dest_terminal_ids[0], text, pdu.msg_fmt, udh[:3] if udh else None, str(msg_id)
            )
        )
        if self.mode == "silent":
            return
        if self.mode == "malformed":
            writer.write(b"\x00\x00\x00\x0d\x80\x00\x00\x04\x00\x00\x00\x01\xff")
            return
        writer.write(codec.encode(codec.SubmitResp(msg_id, 0), sequence))
        if self.auto_receipt and pdu.registered_delivery:
            self.push_report(writer, msg_id, pdu.dest_terminal_ids[0], "DELIVRD")

    def push_report(self, writer: asyncio.StreamWriter, msg_id: int, dest: str, stat: str) -> None:
        report = codec.StatusReport(msg_id, stat, "2611251200", "2611251201", dest, 1)
        deliver = codec.Deliver(
            next(self._ids), "10690000", dest, report.serialize(), msg_fmt=0, registered_delivery=1
        )
        writer.write(codec.encode(deliver, next(self._ids)))

    def push_mobile_originated(self, sender: str, text: str) -> None:
        deliver = codec.Deliver(next(self._ids), "10690000", sender, text.encode("utf-16-be"))
        self._writers[-1].write(codec.encode(deliver, next(self._ids)))


class _Sequencer:
    sequence = 0

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence


@dataclass
class SmppSmsc(_Base):
    """An SMSC stand-in speaking SMPP 3.4 to one transceiver."""

    system_id: str = "careline"
    password: str = "pw"
    binds: int = 0
    receipt_stat: str = "DELIVRD"

    def on_frame(self, frame: bytes, writer: asyncio.StreamWriter) -> None:
        pdu = smpplib.smpp.parse_pdu(frame, client=_Sequencer(), allow_unknown_opt_params=True)
        command = pdu.command
        if command == "bind_transceiver":
            ok = pdu.system_id == self.system_id.encode() and pdu.password == self.password.encode()
            self.binds += ok
            writer.write(
                make_pdu(
                    "bind_transceiver_resp",
                    pdu.sequence,
                    status=0 if ok else 0x0E,
                    system_id="smsc",
                )
            )
        elif command == "submit_sm":
            self._submit(pdu, writer)
        elif command == "deliver_sm_resp":
            self.inbound_acks += 1
        elif command == "enquire_link":
            self.keepalives += 1
            writer.write(make_pdu("enquire_link_resp", pdu.sequence))
        elif command == "unbind":
            writer.write(make_pdu("unbind_resp", pdu.sequence))

    def _submit(self, pdu: Any, writer: asyncio.StreamWriter) -> None:
        message_id = f"smsc{next(self._ids)}"
        udhi = bool(pdu.esm_class & 0x40)
        udh = parse_udh(pdu.short_message) if udhi else None
        self.segments.append(
            ReceivedSegment(
                pdu.destination_addr.decode(),
                decode_payload(pdu.short_message, pdu.data_coding, udhi=udhi),
                pdu.data_coding,
                udh[:3] if udh else None,
                message_id,
            )
        )
        if self.mode == "silent":
            return
        if self.mode == "malformed":
            writer.write(b"\x00\x00\x00\x10\x80\x00\x00\x04")  # header cut short, then garbage
            writer.write(b"\xff" * 12)
            return
        writer.write(make_pdu("submit_sm_resp", pdu.sequence, message_id=message_id))
        if self.auto_receipt and pdu.registered_delivery:
            receipt = (
                f"id:{message_id} sub:001 dlvr:001 submit date:2611251200 "
                f"done date:2611251201 stat:{self.receipt_stat} err:000 text:"
            ).encode()
            writer.write(
                make_pdu(
                    "deliver_sm",
                    next(self._ids),
                    esm_class=0x04,
                    source_addr=pdu.destination_addr.decode(),
                    destination_addr=pdu.source_addr.decode(),
                    short_message=receipt,
                    receipted_message_id=message_id,
                )
            )


def push_smpp_mobile_originated(smsc: SmppSmsc, sender: str, text: str) -> None:
    """Send a mobile-originated deliver_sm (UCS-2) to the bound client."""
    smsc._writers[-1].write(
        make_pdu(
            "deliver_sm",
            next(smsc._ids),
            source_addr=sender,
            destination_addr="10690001",
            data_coding=8,
            short_message=text.encode("utf-16-be"),
        )
    )


def tc3_expected_signature(
    secret_key: str, host: str, body: bytes, timestamp: int, signed_headers: str, content_type: str
) -> str:
    """Recompute Tencent Cloud's TC3-HMAC-SHA256 signature as the service does."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    headers = {"content-type": content_type, "host": host}
    canonical_headers = "".join(f"{name}:{headers[name]}\n" for name in signed_headers.split(";"))
    canonical = (
        f"POST\n/\n\n{canonical_headers}\n{signed_headers}\n{hashlib.sha256(body).hexdigest()}"
    )
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n"
        f"{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    key = ("TC3" + secret_key).encode()
    for part in (date, "sms", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class TencentSmsStandIn:
    """An HTTP endpoint answering SendSms as Tencent Cloud does, verifying the signature."""

    secret_id: str = "AKIDtest"
    secret_key: str = "key"
    requests: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in lines[1:] if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            answer = self._answer(headers, body)
            payload = json.dumps({"Response": answer}).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload
            )
            await writer.drain()
        finally:
            writer.close()

    def _answer(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        auth = headers.get("authorization", "")
        fields = dict(part.strip().split("=", 1) for part in auth.split(" ", 1)[-1].split(","))
        timestamp = int(headers.get("x-tc-timestamp", "0"))
        expected = tc3_expected_signature(
            self.secret_key,
            headers.get("host", ""),
            body,
            timestamp,
            fields.get("SignedHeaders", ""),
            headers.get("content-type", ""),
        )
        credential = fields.get("Credential", "")
        if (
            fields.get("Signature") != expected
            or not credential.startswith(self.secret_id + "/")
            or headers.get("x-tc-action") != "SendSms"
        ):
            self.rejected += 1
            return {
                "Error": {
                    "Code": "AuthFailure.SignatureFailure",
                    "Message": "The provided credentials could not be validated.",
                },
                "RequestId": "r-bad",
            }
        request = json.loads(body)
        self.requests.append(request)
        return {
            "SendStatusSet": [
                {
                    "SerialNo": f"2645:{len(self.requests)}",
                    "PhoneNumber": request["PhoneNumberSet"][0],
                    "Fee": 1,
                    "SessionContext": "",
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            ],
            "RequestId": f"r-{len(self.requests)}",
        }
