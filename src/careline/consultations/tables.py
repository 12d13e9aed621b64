"""Tables of the consultations context."""

from __future__ import annotations
