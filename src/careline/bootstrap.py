"""The one place that plugs real adapters together for a running Careline."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from careline.complaints.model import SlaPolicy
from careline.config import Settings
from careline.db.engine import make_engine
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.scheduling.model import BookingPolicy
from careline.scheduling.model import Channel as BookingChannel


@dataclass
class Careline:
    """What a process needs: settings, the database engine, the clock."""

    settings: Settings
    engine: AsyncEngine
    clock: Clock

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()


def complaint_policy(settings: Settings) -> SlaPolicy:
    """The complaint deadlines and escalation ladder the settings choose."""
    return SlaPolicy(
        first_response_working_days=settings.complaint_first_response_days,
        resolution_working_days=settings.complaint_resolution_days,
        multi_department_working_days=settings.complaint_multi_department_days,
        warning_hours=settings.complaint_warning_hours,
        escalation_step_working_days=settings.complaint_escalation_step_days,
        levels=tuple(settings.complaint_escalation_levels),
    )


def booking_policy(settings: Settings) -> BookingPolicy:
    """The booking rules the settings choose (unset pool shares keep the defaults)."""
    defaults = BookingPolicy()
    shares = dict(defaults.pool_shares)
    shares.update(
        {BookingChannel(name): share for name, share in settings.booking_pool_shares.items()}
    )
    return BookingPolicy(
        period_minutes=settings.booking_period_minutes,
        pool_shares=shares,
        pool_release_days_before=settings.booking_pool_release_days_before,
        pool_release_time=settings.booking_pool_release_time,
        window_days=settings.booking_window_days,
        daily_release_time=settings.booking_release_time,
        max_active_bookings=settings.booking_max_active,
        cancel_days_before=settings.booking_cancel_days_before,
        cancel_deadline_time=settings.booking_cancel_deadline_time,
        no_show_limit=settings.no_show_limit,
        no_show_window_days=settings.no_show_window_days,
        no_show_block_days=settings.no_show_block_days,
        offer_hold_minutes=settings.waitlist_hold_minutes,
    )


def bootstrap(settings: Settings, *, clock: Clock | None = None) -> Careline:
    """Create the data directory and the engine for ``settings``."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Careline(
        settings=settings,
        engine=make_engine(settings.resolved_database_url),
        clock=clock or Clock(settings.zone),
    )
