import io
import json

import structlog

from careline.logging import configure_logging


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_phone_and_id_numbers_are_masked_above_debug() -> None:
    stream = io.StringIO()
    configure_logging("debug", stream=stream)
    log = structlog.get_logger("t")
    log.info("caller", number="+8613812345678", text="id 110101199003074514 called 13912345678")
    log.debug("caller_debug", number="+8613812345678")
    info, debug = _lines(stream)
    assert info["number"] == "[masked]"
    assert "110101199003074514" not in str(info["text"])
    assert "13912345678" not in str(info["text"])
    assert debug["number"] == "+8613812345678"


def test_log_lines_are_json_with_level_and_time() -> None:
    stream = io.StringIO()
    configure_logging("info", stream=stream)
    structlog.get_logger("t").warning("disk_low", free_mb=12)
    structlog.get_logger("t").debug("hidden")
    (line,) = _lines(stream)
    assert line["event"] == "disk_low"
    assert line["level"] == "warning"
    assert "timestamp" in line
