"""Tables of the complaints context."""

from __future__ import annotations
