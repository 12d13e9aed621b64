"""Tell patients about offers from the waiting list and stopped clinics (SMS and email)."""

from __future__ import annotations

import structlog

from careline.channels import service as channels
from careline.channels.errors import ChannelError
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.money import format_yuan
from careline.patients.model import PhoneLabel
from careline.patients.repository import PatientRepository
from careline.scheduling.model import Booking, BookingSession, WaitlistEntry

log = structlog.get_logger(__name__)

_OFFER = (
    "【预约】您候补的门诊有空位，已为您保留至{until}，请登录预约平台确认。",
    "A place has opened in the clinic you were waiting for; it is held for you until "
    "{until}. Sign in to confirm it.",
)
_STOPPED = (
    "【停诊通知】{day}{period}的门诊因故停诊，您的预约（序号{queue}）已取消，挂号费{fee}已退回会员卡。",
    "Clinic cancelled: the clinic of {day} ({period}) will not take place. Your booking "
    "(number {queue}) is cancelled and the fee of {fee} is refunded to your card.",
)
_PERIODS = {"morning": ("上午", "morning"), "afternoon": ("下午", "afternoon")}


async def _send(
    uow: UnitOfWork, patient_id: int, texts: tuple[str, str], clock: Clock, **values: str
) -> None:
    patient = await PatientRepository(uow.connection).get(patient_id)
    if patient is None:
        return
    english = patient.language != "zh-CN"
    text = texts[1 if english else 0].format(**values)
    mobiles = [p.number for p in patient.phones if p.label is PhoneLabel.MOBILE]
    try:
        if mobiles:
            await channels.queue_sms(uow, to=mobiles[0], text=text, clock=clock)
        if patient.email:
            subject = "Careline" if english else "预约通知"
            await channels.queue_email(
                uow, to=patient.email, subject=subject, text=text, clock=clock
            )
    except ChannelError as exc:
        log.warning("scheduling.notify_failed", patient_id=patient_id, error=exc.error_id)


async def tell_offer(uow: UnitOfWork, *, entry: WaitlistEntry, clock: Clock) -> None:
    """Tell a waiting patient that a place is held for them."""
    assert entry.offer_expires_at is not None
    until = entry.offer_expires_at.astimezone(clock.zone)
    await _send(uow, entry.patient_id, _OFFER, clock, until=f"{until:%m-%d %H:%M}")


async def tell_stopped(
    uow: UnitOfWork, *, booking: Booking, session: BookingSession, clock: Clock
) -> None:
    """Tell a booked patient that the clinic is stopped and the fee refunded."""
    patient = await PatientRepository(uow.connection).get(booking.patient_id)
    english = patient is not None and patient.language != "zh-CN"
    period = _PERIODS.get(session.period, ("晚上", "evening"))[1 if english else 0]
    await _send(
        uow,
        booking.patient_id,
        _STOPPED,
        clock,
        day=session.day.isoformat(),
        period=period,
        queue=str(booking.queue_number),
        fee=format_yuan(booking.fee),
    )
