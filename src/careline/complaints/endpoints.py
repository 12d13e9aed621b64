"""HTTP face of the complaints context."""

from __future__ import annotations

from fastapi import APIRouter

api = APIRouter(prefix="/api/v1", tags=["complaints"])
pages = APIRouter(include_in_schema=False)
