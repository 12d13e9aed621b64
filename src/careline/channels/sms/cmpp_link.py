"""The CMPP connection: login, request matching, keep-alive and the gateway's requests."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from careline.channels.errors import SendFailed
from careline.channels.sms import cmpp_codec as codec
from careline.channels.sms.link import PduLink

if TYPE_CHECKING:
    from careline.channels.sms.cmpp import CmppClient, CmppConfig


class CmppLink(PduLink):
    """One CMPP 2.0 TCP link owned by a CmppClient."""

    def __init__(self, client: CmppClient, config: CmppConfig) -> None:
        super().__init__(
            config.host, config.port, timeout=config.timeout, keepalive=config.keepalive
        )
        self._client = client
        self._config = config
        self._frames = codec.FrameBuffer()

    def split_frames(self, data: bytes) -> list[bytes]:
        return self._frames.feed(data)

    async def handle_frame(self, frame: bytes) -> None:
        sequence, pdu = codec.decode(frame)
        match pdu:
            case codec.ConnectResp() | codec.SubmitResp() | codec.ActiveTestResp():
                self.resolve(sequence, pdu)
            case codec.TerminateResp():
                self.resolve(sequence, pdu)
            case codec.ActiveTest():
                self.write(codec.encode(codec.ActiveTestResp(), sequence))
            case codec.Deliver():
                # Store first, answer after: the gateway resends an unanswered DELIVER, so a
                # report that could not be stored comes again instead of being lost.
                if await self.pass_on(self._client.deliver(pdu)):
                    self.write(codec.encode(codec.DeliverResp(pdu.msg_id, 0), sequence))
            case codec.Terminate():
                self.write(codec.encode(codec.TerminateResp(), sequence))
                raise ValueError("the gateway ended the session")
            case _:
                raise ValueError(f"unexpected {type(pdu).__name__} from the gateway")

    async def login(self) -> None:
        self._frames = codec.FrameBuffer()
        timestamp = self._client.timestamp()
        auth = codec.authenticator_source(self._config.sp_id, self._config.shared_secret, timestamp)
        sequence = self.next_sequence()
        connect = codec.Connect(self._config.sp_id, auth, int(timestamp))
        response = await self.request(codec.encode(connect, sequence), sequence)
        if not isinstance(response, codec.ConnectResp):
            raise SendFailed("the gateway answered CONNECT with another PDU")
        if response.status != 0:
            reason = self._client.refusal(response.status)
            # A refused login is the account's fault, not the message's: keep it queued.
            raise SendFailed(f"the gateway refused the login: {reason}")

    async def ping(self) -> None:
        sequence = self.next_sequence()
        await self.request(codec.encode(codec.ActiveTest(), sequence), sequence)

    async def terminate(self) -> None:
        """Say TERMINATE, wait briefly for the answer, then drop the link."""
        if self.is_open:
            sequence = self.next_sequence()
            with contextlib.suppress(SendFailed):
                await self.request(codec.encode(codec.Terminate(), sequence), sequence)
        await self.close()
