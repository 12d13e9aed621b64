"""Tables of the membership context."""

from __future__ import annotations
