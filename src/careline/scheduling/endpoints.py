"""HTTP face of the scheduling context."""

from __future__ import annotations

from fastapi import APIRouter

api = APIRouter(prefix="/api/v1", tags=["scheduling"])
pages = APIRouter(include_in_schema=False)
