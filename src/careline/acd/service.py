"""Use cases of the acd context: queues, agent profiles, call records, callbacks, statistics."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import structlog

from careline.acd.model import (
    WRAP_UP_CODES,
    AcdError,
    AgentProfile,
    Callback,
    CallbackStatus,
    CallRecord,
    InvalidQueue,
    OpeningHours,
    Outcome,
    OverflowAction,
    QueueSpec,
    QueueStats,
    VoicemailSummary,
    parse_skills,
    queue_stats,
    validate_skills,
)
from careline.acd.repository import AcdRepository
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.kit.errors import NotFound
from careline.staff.audit import record_access

log = structlog.get_logger(__name__)
QUEUE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


class CallRecordNotFound(NotFound):
    error_id = "acd_call_not_found"


class NotYourCall(AcdError):
    status_code = 403
    error_id = "acd_not_your_call"


async def list_queues(uow: UnitOfWork) -> list[QueueSpec]:
    """Return every configured queue."""
    return await AcdRepository(uow.connection).queues()


async def get_queue(uow: UnitOfWork, *, name: str) -> QueueSpec:
    """Return a queue's rules; a queue nobody configured takes any agent, always open."""
    return await AcdRepository(uow.connection).queue(name) or QueueSpec(name)


async def save_queue(
    uow: UnitOfWork,
    *,
    name: str,
    skills: str = "",
    opens: str = "00:00",
    closes: str = "23:59",
    weekdays: str = "0123456",
    widen_after_seconds: int = 60,
    max_wait_seconds: int = 600,
    overflow: str = "callback",
) -> QueueSpec:
    """Create or change a queue from form values."""
    clean = name.strip().lower()
    if not clean or len(clean) > 40 or not set(clean) <= QUEUE_NAME_CHARS:
        raise InvalidQueue("A queue name uses lower-case letters, digits, - and _.", field="name")
    try:
        hours = OpeningHours(
            time.fromisoformat(opens),
            time.fromisoformat(closes).replace(second=59),
            frozenset(int(day) for day in weekdays if day in "0123456"),
        )
        spec = QueueSpec(
            clean,
            parse_skills(skills),
            float(widen_after_seconds),
            float(max_wait_seconds),
            OverflowAction(overflow),
            hours,
        )
    except ValueError:
        raise InvalidQueue("Check the opening hours, waits and overflow.") from None
    if spec.widen_after_seconds < 0 or spec.max_wait_seconds < 10:
        raise InvalidQueue("Check the opening hours, waits and overflow.")
    await AcdRepository(uow.connection).save_queue(spec)
    await uow.commit()
    return spec


async def get_profile(uow: UnitOfWork, *, staff_id: int) -> AgentProfile:
    """Return an agent's skills and queues (an empty profile when none was saved)."""
    return await AcdRepository(uow.connection).profile(staff_id) or AgentProfile(staff_id)


async def list_profiles(uow: UnitOfWork) -> list[AgentProfile]:
    """Return every saved agent profile."""
    return await AcdRepository(uow.connection).profiles()


async def save_profile(
    uow: UnitOfWork, *, staff_id: int, skills: dict[str, int], queues: list[str], clock: Clock
) -> AgentProfile:
    """Set an agent's skills with levels and default queues."""
    profile = AgentProfile(staff_id, validate_skills(skills), tuple(sorted(set(queues))))
    await AcdRepository(uow.connection).save_profile(profile, clock.now())
    await uow.commit()
    return profile


async def open_call_record(uow: UnitOfWork, *, record: CallRecord) -> None:
    """Store a call as it enters a queue."""
    await AcdRepository(uow.connection).add_record(record)
    await uow.commit()


async def update_call_record(uow: UnitOfWork, *, call_id: str, **values: Any) -> None:
    """Store what happened to a call (answered, ended, outcome, recording)."""
    if "outcome" in values:
        values["outcome"] = Outcome(values["outcome"]).value
    await AcdRepository(uow.connection).update_record(call_id, **values)
    await uow.commit()


async def get_call_record(uow: UnitOfWork, *, record_id: int) -> CallRecord:
    """Return one call record."""
    found = await AcdRepository(uow.connection).record_by_id(record_id)
    if found is None:
        raise CallRecordNotFound("No such call.")
    return found


async def wrap_up_call(
    uow: UnitOfWork, *, call_id: str, staff_id: int, code: str, notes: str
) -> CallRecord:
    """Store the agent's wrap-up code and notes on their call."""
    repo = AcdRepository(uow.connection)
    record = await repo.record(call_id)
    if record is None:
        raise CallRecordNotFound("No such call.")
    if record.agent_id != staff_id:
        raise NotYourCall("This call was taken by another agent.")
    if code not in WRAP_UP_CODES:
        raise InvalidQueue("Choose a wrap-up code from the list.", field="code")
    await repo.update_record(call_id, wrap_up_code=code, notes=notes.strip()[:2000])
    await uow.commit()
    return replace(record, wrap_up_code=code, notes=notes.strip()[:2000])


async def request_callback(
    uow: UnitOfWork, *, call_id: str, queue: str, number: str, clock: Clock
) -> Callback:
    """Store a caller's request to be called back (their place is their request time)."""
    callback = Callback(call_id, queue, number, clock.now())
    callback_id = await AcdRepository(uow.connection).add_callback(callback)
    await uow.commit()
    log.info("acd_callback_requested", queue=queue, callback_id=callback_id)
    return replace(callback, id=callback_id)


async def pending_callbacks(uow: UnitOfWork) -> list[Callback]:
    """Return callbacks nobody has taken yet, oldest first."""
    return await AcdRepository(uow.connection).callbacks((CallbackStatus.PENDING,))


async def open_callbacks(uow: UnitOfWork) -> list[Callback]:
    """Return callbacks not yet done (pending or offered), oldest first."""
    return await AcdRepository(uow.connection).callbacks(
        (CallbackStatus.PENDING, CallbackStatus.OFFERED)
    )


async def claim_callback(uow: UnitOfWork, *, callback_id: int, staff_id: int) -> bool:
    """Give a pending callback to one agent; False when another agent has it."""
    claimed = await AcdRepository(uow.connection).claim_callback(callback_id, staff_id)
    await uow.commit()
    return claimed


async def complete_callback(
    uow: UnitOfWork, *, callback_id: int, staff_id: int, clock: Clock
) -> None:
    """Mark a callback done by the agent who had it."""
    repo = AcdRepository(uow.connection)
    callback = await repo.callback(callback_id)
    if callback is None:
        raise CallRecordNotFound("No such call.")
    if callback.agent_id not in (None, staff_id):
        raise NotYourCall("This call was taken by another agent.")
    await repo.set_callback(
        callback_id, status=CallbackStatus.DONE.value, agent_id=staff_id, done_at=clock.now()
    )
    await uow.commit()


async def records_since(uow: UnitOfWork, *, since: datetime) -> list[CallRecord]:
    """Return call records offered since a time, oldest first."""
    return await AcdRepository(uow.connection).records_since(since)


def day_start(clock: Clock) -> datetime:
    """The start of today in the hospital's zone, as an aware datetime."""
    local = datetime.combine(clock.today(), time(0), tzinfo=clock.zone)
    return local


async def todays_stats(
    uow: UnitOfWork, *, clock: Clock, service_seconds: float
) -> dict[str, QueueStats]:
    """Today's statistics per queue."""
    by_queue: dict[str, list[CallRecord]] = {}
    for record in await records_since(uow, since=day_start(clock)):
        by_queue.setdefault(record.queue, []).append(record)
    return {
        name: queue_stats([r.facts() for r in rows], service_seconds=service_seconds)
        for name, rows in sorted(by_queue.items())
    }


async def hourly_counts(uow: UnitOfWork, *, clock: Clock) -> list[tuple[int, int, int]]:
    """Today's (hour, answered, abandoned) in the hospital's zone."""
    counts = {hour: [0, 0] for hour in range(24)}
    for record in await records_since(uow, since=day_start(clock)):
        hour = record.offered_at.astimezone(clock.zone).hour
        if record.outcome == Outcome.ANSWERED:
            counts[hour][0] += 1
        elif record.outcome == Outcome.ABANDONED:
            counts[hour][1] += 1
    return [(hour, a, b) for hour, (a, b) in counts.items()]


CSV_FIELDS = (
    "id",
    "call_id",
    "queue",
    "offered_at",
    "answered_at",
    "ended_at",
    "agent_id",
    "outcome",
    "wrap_up_code",
    "notes",
    "patient_id",
    "recording",
)


async def export_csv(uow: UnitOfWork, *, since: datetime, staff_id: int) -> str:
    """Call records since a time as CSV (caller numbers left out; the export is audited)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    rows = await records_since(uow, since=since)
    for r in rows:
        writer.writerow(
            [
                r.id,
                r.call_id,
                r.queue,
                r.offered_at.isoformat(),
                r.answered_at.isoformat() if r.answered_at else "",
                r.ended_at.isoformat() if r.ended_at else "",
                r.agent_id or "",
                r.outcome.value,
                r.wrap_up_code,
                r.notes,
                r.patient_id or "",
                "yes" if r.recording_path else "",
            ]
        )
    await record_access(
        uow.connection,
        staff_id=staff_id,
        action="export",
        subject="acd_call_records",
        subject_id="all",
        context=f"/wallboard/calls.csv ({len(rows)} rows)",
    )
    await uow.commit()
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class CallerHistory:
    """What the desk shows of a caller: past calls and, per matched patient, bookings, tickets."""

    calls: list[CallRecord] = field(default_factory=list)
    bookings: list[Any] = field(default_factory=list)
    tickets: list[Any] = field(default_factory=list)
    voicemails: list[VoicemailSummary] = field(default_factory=list)


async def caller_history(uow: UnitOfWork, *, caller: str, patient_ids: list[int]) -> CallerHistory:
    """Past calls of this number or patients, their bookings and tickets."""
    from careline.complaints import service as complaints
    from careline.scheduling import service as scheduling

    calls = await AcdRepository(uow.connection).records_of_caller(caller, patient_ids)
    bookings: list[Any] = []
    tickets: list[Any] = []
    voicemails: list[VoicemailSummary] = []
    for patient_id in patient_ids[:3]:
        bookings.extend(await scheduling.bookings_of_patient(uow, patient_id=patient_id))
        tickets.extend(await complaints.list_patient_tickets(uow, patient_id=patient_id))
        voicemails.extend(await patient_voicemails(uow, patient_id=patient_id))
    return CallerHistory(
        calls=calls, bookings=bookings[-10:], tickets=tickets[-10:], voicemails=voicemails[:10]
    )


async def patient_voicemails(uow: UnitOfWork, *, patient_id: int) -> list[VoicemailSummary]:
    """Messages the patient left for doctors, newest first (read-only over voicemail)."""
    return await AcdRepository(uow.connection).voicemails_of_patient(patient_id)


async def purge_recordings(uow: UnitOfWork, *, clock: Clock, retention_days: int) -> int:
    """Delete recordings older than the retention period; the call records stay."""
    repo = AcdRepository(uow.connection)
    old = await repo.recordings_before(clock.now() - timedelta(days=retention_days))
    for record in old:
        if record.recording_path:
            Path(record.recording_path).unlink(missing_ok=True)
        await repo.update_record(record.call_id, recording_path=None)
    await uow.commit()
    if old:
        log.info("acd_recordings_purged", count=len(old))
    return len(old)
