"""Tables of the integrations context."""

from __future__ import annotations
