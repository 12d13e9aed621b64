"""Apply one inbound HL7 v2 message and build its acknowledgement.

Order of work: parse (AR if unreadable or unsupported), look the control id up (a message
applied before is answered with the first ACK and not applied again), apply it through the
services, then remember the control id and log the message and the answer. The services
commit as they go, so the control id is remembered after the change; a crash in between
makes a resent message apply again, which every handler tolerates (bookings carry the
HIS's number as idempotency key, patient updates are idempotent).
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

from careline.db.uow import UnitOfWork
from careline.integrations import service
from careline.integrations.booking_sync import HisBookingRules
from careline.integrations.hl7 import adt, siu
from careline.integrations.hl7.messages import (
    INTERNAL_ERROR,
    UNKNOWN_KEY,
    UNSUPPORTED_EVENT,
    UNSUPPORTED_MESSAGE_TYPE,
    UNSUPPORTED_PROCESSING_ID,
    Header,
    Hl7Message,
    Hl7Problem,
    app_error,
    build_ack,
    rejected,
)
from careline.integrations.model import (
    Direction,
    ExchangeEntry,
    IdentifierConflictError,
    Outcome,
    Protocol,
)
from careline.kit.clock import Clock
from careline.kit.errors import CarelineError
from careline.scheduling.model import BookingPolicy, Channel

log = structlog.get_logger(__name__)

Handler = Callable[[UnitOfWork, Hl7Message, HisBookingRules], Awaitable[None]]
OUTCOMES = {"AA": Outcome.ACCEPTED, "AE": Outcome.ERROR, "AR": Outcome.REJECTED}


async def _adt_upsert(uow: UnitOfWork, msg: Hl7Message, ctx: HisBookingRules) -> None:
    await adt.register_or_update(uow, msg, ctx.clock)


async def _adt_merge(uow: UnitOfWork, msg: Hl7Message, ctx: HisBookingRules) -> None:
    await adt.merge(uow, msg, ctx.clock)


HANDLERS: dict[tuple[str, str], Handler] = {
    ("ADT", "A04"): _adt_upsert,
    ("ADT", "A08"): _adt_upsert,
    ("ADT", "A28"): _adt_upsert,
    ("ADT", "A31"): _adt_upsert,
    ("ADT", "A40"): _adt_merge,
    ("SIU", "S12"): siu.book,
    ("SIU", "S13"): siu.reschedule,
    ("SIU", "S14"): siu.reschedule,
    ("SIU", "S15"): siu.cancel,
    ("SIU", "S26"): siu.no_show,
}


@dataclass(frozen=True, slots=True)
class InboundConfig:
    application: str = "CARELINE"
    facility: str = ""
    encoding: str = "utf-8"
    policy: BookingPolicy = field(default_factory=BookingPolicy)
    channel: Channel = Channel.WINDOW


class Hl7Inbound:
    """Turn received message bytes into acknowledgement bytes, applying the message."""

    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], clock: Clock, config: InboundConfig
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._config = config
        self._ids = itertools.count(1)

    async def handle(self, raw: bytes) -> bytes:
        """Apply one message; return the ACK to send back."""
        try:
            text = raw.decode(self._config.encoding)
        except UnicodeDecodeError:
            text = raw.decode(self._config.encoding, errors="replace")
        header: Header | None = None
        try:
            message = Hl7Message(text)
            header = message.header
            earlier = await self._earlier_answer(header)
            if earlier is not None:
                await self._log(header, text, Outcome.DUPLICATE, "", earlier)
                return earlier.encode(self._config.encoding)
            await self._apply(message)
        except Hl7Problem as problem:
            return await self._answer(header, text, problem)
        return await self._answer(header, text, None)

    async def _earlier_answer(self, header: Header) -> str | None:
        async with self._uow() as uow:
            return await service.already_processed(
                uow, sender=header.sender, control_id=header.control_id
            )

    async def _apply(self, message: Hl7Message) -> None:
        header = message.header
        if header.processing_id not in ("P", "T", "D", ""):
            raise rejected(UNSUPPORTED_PROCESSING_ID, "MSH-11 must be P, T or D.")
        if header.message_type not in {kind for kind, _ in HANDLERS}:
            raise rejected(UNSUPPORTED_MESSAGE_TYPE, "Careline accepts ADT and SIU messages.")
        handler = HANDLERS.get((header.message_type, header.trigger))
        if handler is None:
            raise rejected(UNSUPPORTED_EVENT, "Careline does not handle this trigger event.")
        context = HisBookingRules(self._clock, self._config.policy, self._config.channel)
        try:
            async with self._uow() as uow:
                await handler(uow, message, context)
        except IdentifierConflictError as exc:
            raise app_error("205", exc.message) from exc
        except CarelineError as exc:
            code = UNKNOWN_KEY if exc.status_code == 404 else INTERNAL_ERROR
            raise app_error(code, exc.message) from exc
        except Hl7Problem:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure must still be answered with AE
            log.exception("hl7.apply_failed", kind=header.kind, control_id=header.control_id)
            raise app_error(INTERNAL_ERROR, "Careline could not apply the message.") from exc

    async def _answer(self, header: Header | None, text: str, problem: Hl7Problem | None) -> bytes:
        code = problem.ack_code if problem else "AA"
        ack = build_ack(
            header,
            code=code,
            control_id=f"CL{self._clock.now():%Y%m%d%H%M%S}{next(self._ids):04d}",
            now=self._clock.now(),
            zone=self._clock.zone,
            application=self._config.application,
            facility=self._config.facility,
            problem=problem,
        )
        if header is not None and problem is None:
            async with self._uow() as uow:
                await service.mark_processed(
                    uow,
                    sender=header.sender,
                    control_id=header.control_id,
                    ack_code=code,
                    ack=ack,
                    clock=self._clock,
                )
        await self._log(header, text, OUTCOMES[code], problem.message if problem else "", ack)
        return ack.encode(self._config.encoding)

    async def _log(
        self, header: Header | None, text: str, outcome: Outcome, error: str, ack: str
    ) -> None:
        kind = header.kind if header else "unparsed"
        control_id = header.control_id if header else ""
        async with self._uow() as uow:
            for direction, payload, what in (
                (Direction.IN, text, kind),
                (Direction.OUT, ack, "ACK"),
            ):
                await service.record_exchange(
                    uow,
                    entry=ExchangeEntry(
                        direction=direction,
                        protocol=Protocol.HL7V2,
                        kind=what,
                        control_id=control_id,
                        outcome=outcome,
                        error=error,
                        payload=payload,
                    ),
                    clock=self._clock,
                )
