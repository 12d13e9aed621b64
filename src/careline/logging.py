"""structlog JSON lines, with a last-line guard that masks phone and ID numbers."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Chinese resident IDs (18 chars), E.164 or bare mainland mobiles, and landlines with area code.
_SENSITIVE = re.compile(
    r"(?<![\w])(?:\d{17}[\dXx]|\+?\d{1,3}[ -]?1[3-9]\d{9}|1[3-9]\d{9}|\+\d{8,15}"
    r"|0\d{2,3}-?\d{7,8})(?![\w])"
)
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def mask_sensitive(
    _logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Mask anything shaped like a phone or ID number in events above debug."""
    if method == "debug":
        return event
    for key, value in event.items():
        if isinstance(value, str) and _SENSITIVE.search(value):
            event[key] = _SENSITIVE.sub("[masked]", value)
    return event


def configure_logging(level: str = "info", stream: Any = None) -> None:
    """Send structlog and stdlib logging to ``stream`` as JSON lines."""
    numeric = _LEVELS.get(level, logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            mask_sensitive,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stdout),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                mask_sensitive,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
