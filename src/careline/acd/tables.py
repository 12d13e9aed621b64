"""Tables of the acd context."""

from __future__ import annotations
