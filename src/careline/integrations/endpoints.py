"""HTTP routes of the integrations context."""

from __future__ import annotations

from fastapi import APIRouter

api = APIRouter(prefix="/api/v1/integrations", tags=["integrations"])
pages = APIRouter()
