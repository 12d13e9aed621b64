"""Put a caller through from the desk to a doctor's phone consultation.

The agent only picks the doctor; the caller then goes through the very sequence the IVR's
``consult_doctor`` action runs (announcement with the recording notice, the doctor's numbers
rung in order through the trunk with the hospital's number, whisper, bridge on 1, charge,
voicemail offer or next opening). That action asks the caller to choose a doctor first, so
``PresetDoctorSession`` answers that one question with the agent's choice and lets every
other prompt reach the caller unchanged.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from careline.consultations import service as consultations
from careline.consultations.model import Availability
from careline.db.uow import UnitOfWork
from careline.directory import service as directory
from careline.directory.model import Doctor
from careline.ivr.session import AgentRequested, CallSession, EndOfCall, IvrCall, IvrServices
from careline.kit.clock import Clock
from careline.telephony.calls import CallEnded

log = structlog.get_logger(__name__)
CONSULT_ACTION = "consult_doctor"
HOW_PROMPT = "vm_doctor_how"  # the IVR's "by department (1) or by doctor number (2)"
NUMBER_PROMPT = "ask_doctor_number"
BY_NUMBER = "2"


@dataclass(frozen=True, slots=True)
class DoctorOption:
    """A doctor the desk may put a caller through to, with their availability now."""

    doctor_id: int
    name: str
    availability: Availability
    next_open_at: str = ""  # ISO local time, when outside hours


async def consult_options(
    uow: UnitOfWork, *, clock: Clock, language: str, doctors: Sequence[Doctor] | None = None
) -> list[DoctorOption]:
    """Doctors who take phone consultations and whether they can be reached now.

    ``doctors`` is the directory's list when the caller has already read it.
    """
    options = []
    # Only the few doctors who offer consultations are checked, so the pop stays quick.
    offering = set(await consultations.offering_doctors(uow))
    if doctors is None:
        doctors = await directory.list_doctors(uow)
    for doctor in doctors:
        if doctor.id not in offering:
            continue
        offer = await consultations.check_availability(uow, doctor_id=doctor.id, clock=clock)
        if offer.availability is Availability.NOT_OFFERED:
            continue
        options.append(
            DoctorOption(
                doctor.id, doctor.display_name(language), offer.availability, offer.next_open_at
            )
        )
    return options


async def consult_doctor_exists(uow: UnitOfWork, *, doctor_id: int, clock: Clock) -> bool:
    """True when the doctor takes phone consultations at all (in hours or not)."""
    offer = await consultations.check_availability(uow, doctor_id=doctor_id, clock=clock)
    return offer.availability is not Availability.NOT_OFFERED


@dataclass(frozen=True, slots=True)
class ConsultRun:
    """What the caller heard, and whether they go back to an agent (key 0, no reply, error)."""

    prompts: tuple[str, ...]
    back_to_agent: bool = False


class PresetDoctorSession(CallSession):
    """An IVR session whose doctor was already chosen by the agent (asked of nobody)."""

    doctor: Doctor | None = None

    async def choose(self, prompt_id: str, allowed: Collection[str], **values: Any) -> str:
        if prompt_id == HOW_PROMPT and self.doctor is not None and BY_NUMBER in allowed:
            return BY_NUMBER
        return await super().choose(prompt_id, allowed, **values)

    async def ask_digits(self, prompt_id: str, **kwargs: Any) -> str:
        if prompt_id == NUMBER_PROMPT and self.doctor is not None:
            number, self.doctor = self.doctor.doctor_number, None  # only the first question
            return number
        return await super().ask_digits(prompt_id, **kwargs)


class DoctorConsultation:
    """Runs the IVR's consultation sequence on a caller the desk put through."""

    def __init__(self, services: IvrServices, *, language: str = "zh-CN") -> None:
        from careline.ivr.engine import IvrEngine

        self.services = services
        self.engine = IvrEngine(services, default_language=language)

    def _args(self) -> Mapping[str, str]:
        flow = self.engine.store.current()
        node = next((n for n in flow.nodes.values() if n.action == CONSULT_ACTION), None)
        return node.args if node is not None else {}

    async def __call__(
        self, call: IvrCall, doctor_id: int, *, patient_id: int | None
    ) -> ConsultRun:
        """Run the consultation sequence on the caller's call; hang up when it is over."""
        from careline.ivr.consult_actions import consult_doctor

        async with UnitOfWork(self.services.db) as uow:
            doctor = await directory.get_doctor(uow, doctor_id=doctor_id)
        language = call.language if call.language in ("zh-CN", "en") else "zh-CN"
        session = PresetDoctorSession(call, self.engine.store.current(), self.services, language)
        session.recorded = self.engine.recorded_prompts()
        session.patient_id = patient_id
        session.doctor = doctor
        try:
            await consult_doctor(session, self._args())
        except AgentRequested as request:
            log.info("acd_consult_back_to_agent", call_id=call.id, reason=request.reason)
            return ConsultRun(tuple(session.prompts), back_to_agent=True)
        except (EndOfCall, CallEnded):  # said goodbye, or the caller hung up
            pass
        except Exception:  # a failing service must not leave the caller in silence
            log.exception("acd_consult_failed", doctor_id=doctor_id)
            return ConsultRun(tuple(session.prompts), back_to_agent=True)
        log.info("acd_consult_done", call_id=call.id, doctor_id=doctor_id)
        if getattr(call, "is_active", True):  # a caller who hung up needs no BYE
            await call.hangup()
        return ConsultRun(tuple(session.prompts))


__all__ = [
    "ConsultRun",
    "DoctorConsultation",
    "DoctorOption",
    "PresetDoctorSession",
    "consult_doctor_exists",
    "consult_options",
]
