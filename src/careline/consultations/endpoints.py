"""HTTP routes of the consultations context."""

from __future__ import annotations

from fastapi import APIRouter

api = APIRouter(prefix="/api/v1/consultations", tags=["consultations"])
pages = APIRouter()
