"""HTTP face of the membership context."""

from __future__ import annotations

from fastapi import APIRouter

api = APIRouter(prefix="/api/v1", tags=["membership"])
pages = APIRouter(include_in_schema=False)
