"""The check-ups page: set a due date, import a CSV (errors by line), remove, roles."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.staff.model import Role
from tests.conftest import StaffClientFactory
from tests.integration.campaigns.helpers import add_patients, patient

pytestmark = pytest.mark.asyncio


async def test_supervisor_sets_imports_and_removes_due_dates(
    engine: AsyncEngine, staff_client: StaffClientFactory
) -> None:
    async with UnitOfWork(engine) as uow:
        await add_patients(uow, [patient(1), patient(2)])
    http = await staff_client(Role.SUPERVISOR)
    saved = await http.post(
        "/campaigns-checkups",
        data={"patient_id": "1", "kind": "糖化血红蛋白", "due_on": "2026-12-01"},
    )
    assert saved.status_code == 303
    bad = await http.post(
        "/campaigns-checkups/import",
        files={"file": ("due.csv", "patient_id,kind,due\n2,eye,2026-12-05\n7,eye,2026-13-01\n")},
    )
    assert bad.status_code == 422
    assert 'id="import-errors"' in bad.text
    assert "行 3:" in bad.text  # the page speaks Chinese by default
    assert "2026-12-05" not in bad.text  # nothing of the file was stored
    good = await http.post(
        "/campaigns-checkups/import",
        files={"file": ("due.csv", "\ufeffpatient_id,kind,due\n2,eye,2026-12-05\n".encode())},
    )
    assert good.status_code == 200
    assert 'id="import-result"' in good.text
    page = await http.get("/campaigns-checkups")
    assert "糖化血红蛋白" in page.text
    assert "2026-12-05" in page.text
    removed = await http.post("/campaigns-checkups/remove", data={"patient_id": "2", "kind": "eye"})
    assert removed.status_code == 303
    assert "2026-12-05" not in (await http.get("/campaigns-checkups")).text


async def test_the_form_refuses_an_unknown_patient_and_agents_are_kept_out(
    engine: AsyncEngine, staff_client: StaffClientFactory
) -> None:
    http = await staff_client(Role.SUPERVISOR)
    refused = await http.post(
        "/campaigns-checkups", data={"patient_id": "5", "kind": "eye", "due_on": "2026-12-01"}
    )
    assert refused.status_code == 422
    assert "没有此编号的患者。" in refused.text
    agent = await staff_client(Role.AGENT)
    assert (await agent.get("/campaigns-checkups")).status_code == 403
