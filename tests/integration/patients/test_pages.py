import re

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.staff.audit import access_history
from careline.staff.model import Role
from tests.conftest import StaffClientFactory

FORM = {
    "name": "张伟",
    "gender": "male",
    "birth_date": "1980-03-25",
    "phone_0": "138 0013 8000",
    "phone_label_0": "mobile",
    "address": "北京市东城区",
    "language": "zh-CN",
    "preferred_channel": "voice",
    "consent_source": "phone_call",
    "consent_sms": "1",
    "tags": "VIP",
    "notes": "青霉素过敏",
}


def created_id(location: str) -> int:
    match = re.fullmatch(r"/admin/patients/(\d+)", location)
    assert match, location
    return int(match.group(1))


@pytest.mark.asyncio
async def test_register_view_and_search_pages(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    agent = await staff_client(Role.AGENT)
    reply = await agent.post("/admin/patients/new", data=FORM)
    assert reply.status_code == 303
    patient_id = created_id(reply.headers["location"])

    view = await agent.get(f"/admin/patients/{patient_id}")
    assert view.status_code == 200
    assert "+8613800138000" in view.text
    assert "青霉素过敏" in view.text
    async with UnitOfWork(engine) as uow:
        history = await access_history(uow.connection, subject="patient", subject_id=patient_id)
    assert history[0]["action"] == "read"
    assert history[0]["context"] == f"GET /admin/patients/{patient_id}"

    listing = await agent.get("/admin/patients", params={"q": "zw", "lang": "en"})
    assert "1 patients found" in listing.text
    assert "+86 138****8000" in listing.text
    assert "+8613800138000" not in listing.text
    partial = await agent.get("/admin/patients", params={"q": "张"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.text
    assert "张伟" in partial.text


@pytest.mark.asyncio
async def test_form_errors_are_shown_per_field_and_nothing_typed_is_lost(
    staff_client: StaffClientFactory,
) -> None:
    agent = await staff_client(Role.AGENT)
    bad = {**FORM, "phone_1": "12345", "birth_date": "2023-02-30", "email": "nope"}
    reply = await agent.post("/admin/patients/new", data=bad)
    assert reply.status_code == 422
    page = reply.text
    assert "此电话号码不存在（号段无效）。" in page  # under the second phone
    assert "这不是有效的电子邮箱地址。" in page
    assert "出生日期请写成" in page
    for typed in ("北京市东城区", "12345", "2023-02-30", "nope", "青霉素过敏", "138 0013 8000"):
        assert typed in page
    listing = await agent.get("/admin/patients")
    assert "张伟" not in listing.text


@pytest.mark.asyncio
async def test_likely_duplicate_is_shown_before_registering(
    staff_client: StaffClientFactory,
) -> None:
    agent = await staff_client(Role.AGENT)
    first = created_id((await agent.post("/admin/patients/new", data=FORM)).headers["location"])
    held = await agent.post("/admin/patients/new", data={**FORM, "address": "另一个地址"})
    assert held.status_code == 409
    assert f"/admin/patients/{first}" in held.text
    assert 'name="confirmed_new"' in held.text
    assert "另一个地址" in held.text
    confirmed = await agent.post(
        "/admin/patients/new", data={**FORM, "address": "另一个地址", "confirmed_new": "1"}
    )
    assert confirmed.status_code == 303


@pytest.mark.asyncio
async def test_edit_page_is_prefilled_and_saves(staff_client: StaffClientFactory) -> None:
    agent = await staff_client(Role.AGENT)
    patient_id = created_id(
        (await agent.post("/admin/patients/new", data=FORM)).headers["location"]
    )
    edit = await agent.get(f"/admin/patients/{patient_id}/edit")
    assert 'value="+8613800138000"' in edit.text
    assert 'name="version" value="1"' in edit.text
    saved = await agent.post(
        f"/admin/patients/{patient_id}/edit", data={**FORM, "address": "上海市", "version": "1"}
    )
    assert saved.status_code == 303
    stale = await agent.post(
        f"/admin/patients/{patient_id}/edit", data={**FORM, "address": "广州市", "version": "1"}
    )
    assert stale.status_code == 409
    assert "广州市" in stale.text
    assert "上海市" in (await agent.get(f"/admin/patients/{patient_id}")).text


@pytest.mark.asyncio
async def test_supervisor_merges_from_the_duplicates_page(staff_client: StaffClientFactory) -> None:
    agent = await staff_client(Role.AGENT)
    supervisor = await staff_client(Role.SUPERVISOR)
    keep = created_id((await agent.post("/admin/patients/new", data=FORM)).headers["location"])
    other = {**FORM, "phone_0": "13900139000", "confirmed_new": "1"}
    dup = created_id((await agent.post("/admin/patients/new", data=other)).headers["location"])

    page = await supervisor.get(f"/admin/patients/{keep}/duplicates", params={"lang": "en"})
    assert f'name="duplicate_id" value="{dup}"' in page.text
    assert "same_name_and_birth_date" not in page.text  # shown translated
    unconfirmed = await supervisor.post(
        f"/admin/patients/{keep}/merge", data={"duplicate_id": str(dup)}
    )
    assert unconfirmed.status_code == 409
    assert 'name="merge"' not in (await agent.get(f"/admin/patients/{keep}/duplicates")).text
    forbidden = await agent.post(
        f"/admin/patients/{keep}/merge", data={"duplicate_id": str(dup), "confirm": "1"}
    )
    assert forbidden.status_code == 403
    merged = await supervisor.post(
        f"/admin/patients/{keep}/merge",
        data={"duplicate_id": str(dup), "confirm": "1", "reason": "same person"},
    )
    assert merged.status_code == 303
    view = await supervisor.get(f"/admin/patients/{keep}")
    assert "+8613900139000" in view.text
    old = await supervisor.get(f"/admin/patients/{dup}")
    assert f'href="/admin/patients/{keep}"' in old.text
