"""HTTP routes of the acd context: the REST API, the desk, the wallboard and the set-up."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from careline.acd import board, booking_pages, consult_pages, service
from careline.acd import pages as desk_pages
from careline.acd.model import format_skills
from careline.acd.schemas import (
    AgentBoard,
    AgentProfileRead,
    AgentProfileWrite,
    QueueBoard,
    QueueRead,
    QueueWrite,
    WallboardRead,
)
from careline.staff import service as staff_service
from careline.staff.model import Role, StaffMember
from careline.web.deps import AppClock, Uow, require_staff

api = APIRouter(prefix="/api/v1/acd", tags=["acd"])
pages = APIRouter()
pages.include_router(desk_pages.pages)
pages.include_router(board.pages)
pages.include_router(booking_pages.pages)
pages.include_router(consult_pages.pages)
Supervisor = Annotated[StaffMember, Depends(require_staff(Role.SUPERVISOR))]


@api.get("/queues", response_model=list[QueueRead])
async def list_queues(uow: Uow, _staff: Supervisor) -> list[QueueRead]:
    return [
        QueueRead(
            name=q.name,
            skills=dict(q.skills),
            opens=q.hours.opens.strftime("%H:%M"),
            closes=q.hours.closes.strftime("%H:%M"),
            weekdays="".join(str(d) for d in sorted(q.hours.weekdays)),
            widen_after_seconds=int(q.widen_after_seconds),
            max_wait_seconds=int(q.max_wait_seconds),
            overflow=q.overflow.value,
        )
        for q in await service.list_queues(uow)
    ]


@api.put("/queues/{name}", response_model=QueueRead)
async def put_queue(name: str, body: QueueWrite, uow: Uow, _staff: Supervisor) -> QueueRead:
    spec = await service.save_queue(
        uow,
        name=name,
        skills=format_skills(body.skills),
        opens=body.opens,
        closes=body.closes,
        weekdays=body.weekdays,
        widen_after_seconds=body.widen_after_seconds,
        max_wait_seconds=body.max_wait_seconds,
        overflow=body.overflow,
    )
    return QueueRead(
        name=spec.name, **body.model_dump(exclude={"skills"}), skills=dict(spec.skills)
    )


@api.put("/agents/{staff_id}", response_model=AgentProfileRead)
async def put_agent(
    staff_id: int, body: AgentProfileWrite, uow: Uow, _staff: Supervisor, clock: AppClock
) -> AgentProfileRead:
    await staff_service.get_staff(uow, staff_id=staff_id)
    profile = await service.save_profile(
        uow, staff_id=staff_id, skills=body.skills, queues=body.queues, clock=clock
    )
    return AgentProfileRead(
        staff_id=staff_id, skills=dict(profile.skills), queues=list(profile.queues)
    )


@api.get("/wallboard", response_model=WallboardRead)
async def wallboard(
    request: Request, uow: Uow, _staff: Supervisor, clock: AppClock
) -> WallboardRead:
    data = await board.wallboard_data(request, uow, clock)
    queues = []
    for q in data["queues"]:
        stats = q["stats"]
        queues.append(
            QueueBoard(
                name=q["name"],
                waiting=q["waiting"],
                longest_wait=q["longest_wait"],
                offered=stats.offered if stats else 0,
                answered=stats.answered if stats else 0,
                abandoned=stats.abandoned if stats else 0,
                asa_seconds=stats.asa_seconds if stats else 0.0,
                aht_seconds=stats.aht_seconds if stats else 0.0,
                abandonment_rate=stats.abandonment_rate if stats else 0.0,
                service_level=stats.service_level if stats else 1.0,
            )
        )
    agents = [AgentBoard(**{**a, "status": a["status"].value}) for a in data["agents"]]
    return WallboardRead(queues=queues, agents=agents, service_seconds=data["service_seconds"])
