"""HTTP routes of the campaigns context."""

from __future__ import annotations

from fastapi import APIRouter

api = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])
pages = APIRouter()
