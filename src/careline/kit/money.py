"""Money is integer fen (1 yuan = 100 fen); these helpers only format and parse."""

from __future__ import annotations

import re

_YUAN = re.compile(r"^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$")


def format_yuan(fen: int) -> str:
    """Render fen as yuan with two decimals: 1250 -> '12.50'."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def parse_yuan(text: str) -> int:
    """Parse '12.5' or '12.50' or '12' yuan into fen; raise ValueError otherwise."""
    match = _YUAN.match(text)
    if not match:
        raise ValueError(f"not an amount in yuan: {text!r}")
    whole, frac = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(frac)
