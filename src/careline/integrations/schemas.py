"""Pydantic schemas of the integrations REST API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ClientTokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=80)


class ClientTokenRead(BaseModel):
    id: int
    name: str
    token: str  # shown once; only its SHA-256 is kept


class ExchangeRead(BaseModel):
    id: int
    at: datetime | None
    direction: str
    protocol: str
    kind: str
    control_id: str
    outcome: str
    error: str
    payload: str


class ConflictRead(BaseModel):
    id: int
    system: str
    value: str
    held_by_patient_id: int | None
    claimed_for_patient_id: int | None
    source: str
    created_at: datetime


class PushRead(BaseModel):
    id: int
    booking_id: int
    event: str
    target: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
