"""Build the process's ACD: the live centre for the desk and the queue port for the phones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from careline.acd.center import AcdCenter, acd_policy
from careline.acd.consult import DoctorConsultation
from careline.acd.voice import AcdQueue

if TYPE_CHECKING:
    from careline.bootstrap import Careline


@dataclass
class Acd:
    center: AcdCenter
    queue: AcdQueue

    async def stop(self) -> None:
        await self.center.stop()


def start_acd(careline: Careline, app: Any | None = None) -> Acd:
    """Create and start the centre; hand it to the web app (``app.state.acd_center``)."""
    center = AcdCenter(careline.uow, careline.clock, policy=acd_policy(careline.settings))
    center.start()
    if app is not None:
        app.state.acd_center = center
    queue = AcdQueue(
        center,
        recordings_dir=careline.settings.data_dir / "recordings",
        consultation=_consultation(careline),
    )
    return Acd(center, queue)


def _consultation(careline: Careline) -> DoctorConsultation:
    """The IVR's consultation sequence, for callers the desk puts through to a doctor."""
    from careline.ivr.runtime import speech_for
    from careline.ivr.session import IvrServices

    services = IvrServices(
        db=careline.engine,
        clock=careline.clock,
        data_dir=careline.settings.data_dir,
        speech=speech_for(careline),
    )
    return DoctorConsultation(services, language=careline.settings.language)


__all__ = ["Acd", "start_acd"]
