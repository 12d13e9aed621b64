"""Tables of the campaigns context."""

from __future__ import annotations
