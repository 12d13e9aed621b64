"""HTTP routes of the acd context."""

from __future__ import annotations

from fastapi import APIRouter

api = APIRouter(prefix="/api/v1/acd", tags=["acd"])
pages = APIRouter()
