"""HTTP routes of voicemail (the doctors' side comes with its own pages)."""

from __future__ import annotations

from fastapi import APIRouter

api = APIRouter(prefix="/api/v1/voicemail", tags=["voicemail"])
pages = APIRouter()
