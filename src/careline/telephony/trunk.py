"""The SIP trunk that carries calls to and from the public telephone network."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIALLABLE = re.compile(r"^\+?[0-9*#]{1,32}$")


@dataclass(frozen=True)
class TrunkSettings:
    """Where the carrier's SIP server is and how we authenticate to it."""

    host: str
    port: int = 5060
    username: str = ""
    password: str = ""
    caller_id: str = ""

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def uri_for(self, number: str) -> str:
        """Return the Request-URI that asks the trunk to ring a number."""
        if not _DIALLABLE.match(number):
            raise ValueError("not a diallable number")
        return f"sip:{number}@{self.host}:{self.port}"


def is_diallable(number: str) -> bool:
    """Return True when a string is a phone number the trunk can dial."""
    return bool(_DIALLABLE.match(number))


__all__ = ["TrunkSettings", "is_diallable"]
