"""A real ``careline serve`` with the HL7 listener configured answers MLLP and logs it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.integration.integrations.hl7world import adt, send
from tests.support.ports import free_port
from tests.support.server import careline_server


@pytest.mark.asyncio
async def test_serve_starts_the_hl7_listener(tmp_path: Path) -> None:
    port = free_port()
    with careline_server(tmp_path, CARELINE_HIS_MLLP_PORT=str(port)) as server:
        ack = None
        for _ in range(50):  # the listener starts with the background work
            try:
                ack = await send(port, adt("A04", "SV1", "SV1^^^HOSP^MR", name="周^九"))
                break
            except OSError:
                await asyncio.sleep(0.2)
        assert ack is not None
        assert (ack.value("MSA", 1), ack.value("MSA", 2)) == ("AA", "SV1")
        again = await send(port, adt("A08", "SV1", "SV1^^^HOSP^MR", name="周^十"))
        assert again.value("MSH", 10) == ack.value("MSH", 10)
    assert "周九" not in (server.data_dir / "serve.log").read_text(encoding="utf-8")
