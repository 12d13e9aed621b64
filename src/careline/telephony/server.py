"""The voice server: SIP endpoint, media engine, registrar and the calls running flows.

Inbound INVITEs from trusted sources (the trunk, loopback by default) run the entry flow;
anyone else must authenticate as an extension. Requests are routed to legs by Call-ID and
our tag. Limits: ``max_calls`` concurrent legs (503 beyond), ``max_call_seconds`` per call
(checked by one housekeeping loop, not a timer per call), RTP timeout (media engine).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

import structlog

from careline.telephony.access import AccessControl
from careline.telephony.calls import Call, DialOutcome, Flow, QueuePort, Speaker
from careline.telephony.legs import ALLOW, InboundLeg, Leg
from careline.telephony.line_report import LineReport
from careline.telephony.media import MediaEngine, NoFreeRtpPort
from careline.telephony.outbound import DialStatus, DialTarget, place_call
from careline.telephony.registrar import (
    ExtensionDirectory,
    InMemoryExtensionDirectory,
    Registrar,
)
from careline.telephony.sip.dialog import Dialog
from careline.telephony.sip.digest import DigestServer
from careline.telephony.sip.endpoint import (
    AckTimedOut,
    CancelReceived,
    Event,
    RequestReceived,
    SipEndpoint,
)
from careline.telephony.sip.message import (
    SipRequest,
    build_response,
    new_tag,
    parse_address,
    parse_uri,
    user_part,
)
from careline.telephony.sip.ratelimit import RateLimiter
from careline.telephony.sip.sdp import SdpError, SessionDescription, negotiate, parse_sdp
from careline.telephony.sip.stack import SipStack
from careline.telephony.sip.transaction import Address, ServerTransaction, TxState
from careline.telephony.trunk import TrunkSettings, is_diallable
from careline.telephony.trunk_check import TrunkState, watch_trunk

log = structlog.get_logger(__name__)
_KNOWN_METHODS = {"REGISTER", "SUBSCRIBE", "NOTIFY", "MESSAGE", "PUBLISH", "REFER", "PRACK"}
_SUPPORTED_EXTENSIONS: set[str] = set()


def _unsupported(request: SipRequest) -> list[str]:
    """Return the option tags in Require that Careline does not support (§8.2.2.3)."""
    tokens = [
        token.strip()
        for value in request.headers.get("require")
        for token in value.split(",")
        if token.strip()
    ]
    return [token for token in tokens if token.lower() not in _SUPPORTED_EXTENSIONS]


class VoiceServer:
    """Own the SIP socket, the media engine and every live call."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 5060,
        rtp_port_min: int = 20000,
        rtp_port_max: int = 29999,
        trunk: TrunkSettings | None = None,
        max_calls: int = 2000,
        max_call_seconds: float = 3600.0,
        rtp_timeout: float = 30.0,
        entry_flow: Flow | None = None,
        speaker: Speaker | None = None,
        extensions: ExtensionDirectory | None = None,
        queue: QueuePort | None = None,
        language: str = "zh-CN",
        trusted_sources: frozenset[str] | None = None,
        realm: str = "careline",
        digest_algorithms: tuple[str, ...] = ("MD5",),
        limiter: RateLimiter | None = None,
        media: MediaEngine | None = None,
        trunk_check_seconds: float = 0.0,
    ) -> None:
        self.host = host
        self.port = port
        self.trunk = trunk
        self.max_calls = max_calls
        self.max_call_seconds = max_call_seconds
        self.speaker = speaker
        self.queue = queue
        self.language = language
        self.default_caller_id = trunk.caller_id if trunk else ""
        self.entry_flow: Flow = entry_flow or _default_flow
        trusted = {"127.0.0.1"} if trusted_sources is None else set(trusted_sources)
        if trunk is not None:
            trusted.add(trunk.host)
        self.trusted_sources = frozenset(trusted)
        # A trusted source (trunk, proxy, loopback) carries every call of the line: blocking
        # it as a scanner would leave the line deaf for block_seconds. max_calls bounds it.
        self.limiter = limiter or RateLimiter(exempt=self.trusted_sources)
        self.media = media or MediaEngine(host, rtp_port_min, rtp_port_max, rtp_timeout=rtp_timeout)
        self.registrar = Registrar()
        self.access = AccessControl(
            extensions or InMemoryExtensionDirectory(),
            self.registrar,
            DigestServer(realm, algorithms=digest_algorithms),
            self.limiter,
        )
        self.stack = SipStack(SipEndpoint((host, port), limiter=self.limiter), self._on_event)
        self._legs: dict[str, Leg] = {}
        # For the operator (``telephony.line_report``): legs by direction and by how they
        # ended, and INVITEs refused before a leg existed, by SIP status.
        self.calls_started: Counter[str] = Counter()
        self.calls_ended: Counter[str] = Counter()
        self.calls_refused: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._housekeeping: asyncio.Task[None] | None = None
        # OPTIONS to the trunk every trunk_check_seconds (0: never), see ``trunk_check``.
        self.trunk_check_seconds = trunk_check_seconds
        self.trunk_state = TrunkState()
        self._trunk_watch: asyncio.Task[None] | None = None

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Start media, bind the SIP socket and the housekeeping loop."""
        await self.media.start()
        self.host, self.port = await self.stack.start(self.host, self.port)
        self._housekeeping = asyncio.get_running_loop().create_task(self._housekeep())
        if self.trunk is not None and self.trunk_check_seconds > 0:
            watch = watch_trunk(
                self.stack,
                self.trunk,
                self.host,
                self.contact,
                self.trunk_state,
                self.trunk_check_seconds,
            )
            self._trunk_watch = asyncio.get_running_loop().create_task(watch)
        log.info("voice_server_started", port=self.port)

    async def stop(self) -> None:
        """Hang up every call and release sockets."""
        for leg in list(self._legs.values()):
            leg.hangup("shutdown")
        for task in list(self._tasks) + [t for t in [self._housekeeping, self._trunk_watch] if t]:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.sleep(0)
        await self.stack.stop()
        await self.media.stop()

    @property
    def address(self) -> Address:
        return (self.host, self.port)

    @property
    def contact(self) -> str:
        return f"sip:careline@{self.host}:{self.port}"

    @property
    def active_calls(self) -> int:
        return len(self._legs)

    def report(self) -> LineReport:
        """Return this line's figures for the operator (``/metrics``)."""
        return LineReport.of(self)

    def forget(self, leg: Leg) -> None:
        """Drop a finished leg (called by the leg itself)."""
        if self._legs.get(leg.call_id) is leg:
            del self._legs[leg.call_id]
            self.calls_ended[leg.end_reason or "unknown"] += 1

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _housekeep(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            # In a method of its own: a loop variable left in this frame would keep the
            # last leg it saw alive while the loop sleeps, long after its call ended.
            self._housekeep_once(self.stack.now)

    def _housekeep_once(self, now: float) -> None:
        for leg in list(self._legs.values()):
            if leg.answered_at is not None and now - leg.answered_at > self.max_call_seconds:
                leg.hangup("max_duration")
        self.registrar.expire(now)
        self.limiter.prune(now)
        # A TCP phone is heard of at least at each registration refresh or within a
        # call: past both the longest expiry and the longest call, its connection to
        # the front is gone, and the address may come back as a UDP phone's.
        idle = max(self.max_call_seconds, self.registrar.max_expires) + 600
        self.stack.prune_stream_peers(now, idle)

    # ---- SIP events ------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        match event:
            case RequestReceived(request=request, source=source, transaction=txn):
                self._on_request(request, source, txn)
            case CancelReceived(invite=invite):
                leg = self._legs.get(invite.request.call_id or "")
                if isinstance(leg, InboundLeg):
                    leg.cancelled()
                else:
                    response = build_response(invite.request, 487, to_tag=new_tag())
                    self.stack.respond(invite, response)
            case AckTimedOut(call_id=call_id):
                leg = self._legs.get(call_id)
                if leg is not None:
                    leg.hangup("ack_timeout")
            case _:
                pass

    def _on_request(
        self, request: SipRequest, source: Address, txn: ServerTransaction | None
    ) -> None:
        leg = self._legs.get(request.call_id or "")
        if txn is None:
            if leg is not None:
                leg.on_request(request, None)
            return
        unsupported = _unsupported(request)
        if unsupported and request.method != "CANCEL":
            response = build_response(request, 420, to_tag=new_tag())
            response.headers.set_single("Unsupported", ", ".join(unsupported))
            self.stack.respond(txn, response)
            return
        to_tag = parse_address(request.headers.get_first("to") or "").tag
        if to_tag:
            if leg is not None and leg.dialog.local_tag == to_tag:
                leg.on_request(request, txn)
            else:
                self.stack.respond(txn, build_response(request, 481))
            return
        self._out_of_dialog(request, source, txn, leg)

    def _out_of_dialog(
        self, request: SipRequest, source: Address, txn: ServerTransaction, leg: Leg | None
    ) -> None:
        match request.method:
            case "INVITE" if leg is not None:
                # Same Call-ID, no To tag: a merged or looped request (§8.2.2.2).
                self.stack.respond(txn, build_response(request, 482, to_tag=new_tag()))
            case "INVITE":
                self._spawn(self._new_invite(request, source, txn))
            case "REGISTER":
                self._spawn(self.access.handle_register(self.stack, request, txn, source))
            case "OPTIONS":
                response = build_response(request, 200, to_tag=new_tag())
                response.headers.set_single("Allow", ALLOW + ", REGISTER")
                response.headers.set_single("Accept", "application/sdp")
                self.stack.respond(txn, response)
            case method if method in _KNOWN_METHODS or method in ALLOW:
                response = build_response(request, 405 if method != "BYE" else 481)
                response.headers.set_single("Allow", ALLOW + ", REGISTER")
                self.stack.respond(txn, response)
            case _:
                self.stack.respond(txn, build_response(request, 501))

    async def _new_invite(
        self, request: SipRequest, source: Address, txn: ServerTransaction
    ) -> None:
        refusal = self._refusal(request)
        if refusal:
            self.calls_refused[str(refusal)] += 1
            response = build_response(request, refusal, to_tag=new_tag())
            if refusal in (406, 415):
                response.headers.set_single("Accept", "application/sdp")
            if refusal == 503:
                response.headers.set_single("Retry-After", "5")
            self.stack.respond(txn, response)
            return
        if source[0] not in self.trusted_sources:
            if await self.access.authenticate(self.stack, request, txn, source) is None:
                return
        try:
            offer = negotiate(parse_sdp(request.text)) if request.body else None
        except SdpError:
            self.calls_refused["488"] += 1
            self.stack.respond(txn, build_response(request, 488, to_tag=new_tag()))
            return
        try:
            stream = await self.media.open_stream()
        except (OSError, NoFreeRtpPort):
            self.calls_refused["503"] += 1
            self.stack.respond(txn, build_response(request, 503, to_tag=new_tag()))
            return
        if txn.state != TxState.PROCEEDING:  # cancelled while we prepared
            stream.close()
            return
        dialog = Dialog.for_incoming(request, source, self.contact)
        sdp = SessionDescription(stream.local_host, stream.local_port)
        leg = InboundLeg(self, dialog, stream, sdp, txn, offer)
        self._legs[leg.call_id] = leg
        self.calls_started["inbound"] += 1
        log.info("call_started", call_id=leg.call_id, direction="inbound")
        leg.ring()
        call = Call(
            self,
            leg,
            direction="inbound",
            caller=user_part(request.headers.get_first("from") or ""),
            dialled=user_part(request.uri),
        )
        await self._run_flow(call)

    def _refusal(self, request: SipRequest) -> int:
        if len(self._legs) >= self.max_calls:
            return 503
        if request.body and "sdp" not in (request.content_type or "").lower():
            return 415
        accept = ",".join(request.headers.get("accept")).lower()
        if accept and "application/sdp" not in accept and "*/*" not in accept:
            return 406
        return 0

    async def _run_flow(self, call: Call) -> None:
        from careline.telephony.calls import CallEnded

        try:
            await self.entry_flow(call)
        except CallEnded:
            pass
        except Exception:
            log.exception("call_flow_failed", call_id=call.id)
        finally:
            if call.is_active:
                call.leg.hangup("flow_finished")

    # ---- outbound --------------------------------------------------------------------

    async def dial_leg(
        self,
        target: str,
        caller_id: str,
        ring_timeout: float,
        register: Callable[[Leg], None] | None = None,
    ) -> tuple[DialStatus, int, Leg | None]:
        """Ring an extension or a number; the new leg is routed here while it rings."""
        dial_target = self._target_for(target, caller_id)
        if dial_target is None:
            return DialStatus.FAILED, 404, None
        if len(self._legs) >= self.max_calls:
            return DialStatus.FAILED, 503, None

        def track(leg: Leg) -> None:
            self._legs[leg.call_id] = leg
            self.calls_started["outbound"] += 1
            if register is not None:
                register(leg)

        try:
            return await place_call(
                self, self.media, dial_target, ring_timeout=ring_timeout, register=track
            )
        except (OSError, NoFreeRtpPort):
            return DialStatus.FAILED, 503, None

    def _target_for(self, target: str, caller_id: str) -> DialTarget | None:
        if target.startswith("sip:"):
            uri = parse_uri(target)
            return DialTarget(target, (uri.host, uri.port or 5060), caller_id, self.host)
        binding = self.registrar.lookup(target, self.stack.now)
        if binding is not None:
            return DialTarget(binding.contact, binding.source, caller_id, self.host)
        if self.trunk is not None and is_diallable(target):
            credentials = (
                (self.trunk.username, self.trunk.password) if self.trunk.username else None
            )
            return DialTarget(
                self.trunk.uri_for(target),
                self.trunk.address,
                caller_id,
                self.trunk.host,
                credentials,
            )
        return None

    async def dial(
        self, number: str, *, caller_id: str | None = None, ring_timeout: float = 30.0
    ) -> DialOutcome:
        """Place an outbound call; the answered call is returned for a flow to drive."""
        status, code, leg = await self.dial_leg(
            number, caller_id or self.default_caller_id, ring_timeout
        )
        if leg is None:
            return DialOutcome(status, code)
        return DialOutcome(status, code, Call(self, leg, direction="outbound", dialled=number))


async def _default_flow(call: Call) -> None:
    from careline.telephony.flows.demo import demo_flow

    await demo_flow(call)


__all__ = ["VoiceServer"]
