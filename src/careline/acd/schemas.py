"""REST shapes of the acd context."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class QueueWrite(BaseModel):
    skills: dict[str, int] = Field(default_factory=dict)
    opens: str = "00:00"
    closes: str = "23:59"
    weekdays: str = "0123456"
    widen_after_seconds: int = 60
    max_wait_seconds: int = 600
    overflow: str = "callback"


class QueueRead(QueueWrite):
    name: str


class AgentProfileWrite(BaseModel):
    skills: dict[str, int] = Field(default_factory=dict)
    queues: list[str] = Field(default_factory=list)


class AgentProfileRead(AgentProfileWrite):
    staff_id: int


class QueueBoard(BaseModel):
    name: str
    waiting: int
    longest_wait: int
    offered: int
    answered: int
    abandoned: int
    asa_seconds: float
    aht_seconds: float
    abandonment_rate: float
    service_level: float


class AgentBoard(BaseModel):
    staff_id: int
    name: str
    status: str
    reason: str
    since: datetime | None
    queues: list[str]


class WallboardRead(BaseModel):
    queues: list[QueueBoard]
    agents: list[AgentBoard]
    service_seconds: int
