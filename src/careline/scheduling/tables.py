"""Tables of the scheduling context."""

from __future__ import annotations
