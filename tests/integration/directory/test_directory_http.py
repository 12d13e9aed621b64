"""The directory over HTTP: public JSON, admin writes, portal pages and admin forms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.config import Settings
from careline.db.uow import UnitOfWork
from careline.demo import DemoSummary, load_demo
from careline.kit.clock import FakeClock
from careline.staff.model import Role
from careline.web.app import create_app
from tests.conftest import StaffClientFactory

DOCTOR = {
    "department_id": 0,
    "name": "欧阳明",
    "name_en": "Ouyang Ming",
    "title": "associate_chief_physician",
    "doctor_number": "9001",
    "specialty_zh": "心律失常",
    "specialty_en": "Arrhythmia",
}


@pytest_asyncio.fixture
async def demo(engine: AsyncEngine) -> AsyncIterator[DemoSummary]:
    async with UnitOfWork(engine) as uow:
        yield await load_demo(uow, patients=0)


@pytest_asyncio.fixture
async def admin_http(staff_client: StaffClientFactory) -> httpx.AsyncClient:
    return await staff_client(Role.ADMIN)


@pytest.mark.asyncio
async def test_public_api_lists_hospital_departments_doctors(
    client: httpx.AsyncClient, demo: DemoSummary
) -> None:
    hospital = (await client.get("/api/v1/directory/hospital")).json()
    assert hospital["name_zh"] == "示范市第一人民医院"
    departments = (await client.get("/api/v1/directory/departments")).json()
    assert len(departments) == demo.departments
    cardiology = demo.department_ids["心血管内科"]
    detail = (await client.get(f"/api/v1/directory/departments/{cardiology}")).json()
    assert detail["name_en"] == "Cardiology"
    assert {d["department_id"] for d in detail["doctors"]} == {cardiology}
    assert detail["doctors"][0]["title_zh"] == "主任医师"
    doctors = (await client.get("/api/v1/directory/doctors")).json()
    assert len(doctors) == demo.doctors


@pytest.mark.asyncio
async def test_doctor_sessions_endpoint_covers_the_days_asked(
    client: httpx.AsyncClient, demo: DemoSummary
) -> None:
    doctor_id = demo.doctor_ids[0]
    reply = await client.get(
        f"/api/v1/directory/doctors/{doctor_id}/sessions", params={"from": "2026-11-23", "days": 14}
    )
    assert reply.status_code == 200
    sessions = reply.json()
    template = (await client.get(f"/api/v1/directory/doctors/{doctor_id}")).json()["sessions"]
    assert len(sessions) == 2 * len(template)
    days = {date.fromisoformat(s["day"]) for s in sessions}
    assert min(days) >= date(2026, 11, 23)
    assert max(days) <= date(2026, 11, 23) + timedelta(days=13)
    assert sessions[0]["registration_fee"] == 5000  # chief physician, 50 yuan
    too_long = await client.get(f"/api/v1/directory/doctors/{doctor_id}/sessions?days=90")
    assert too_long.status_code == 422


@pytest.mark.asyncio
async def test_drug_search_and_lookup_by_code(client: httpx.AsyncClient, demo: DemoSummary) -> None:
    page = (await client.get("/api/v1/directory/drugs", params={"q": "amxl"})).json()
    assert [d["name_zh"] for d in page["items"]] == ["阿莫西林胶囊"]
    code = page["items"][0]["code"]
    drug = (await client.get(f"/api/v1/directory/drugs/by-code/{code}")).json()
    assert drug["price"] == 1250
    assert (await client.get("/api/v1/directory/drugs/by-code/000")).status_code == 404
    everything = (await client.get("/api/v1/directory/drugs", params={"limit": 10})).json()
    assert (len(everything["items"]), everything["total"]) == (10, demo.drugs)


@pytest.mark.asyncio
async def test_articles_and_instructions_by_language(
    client: httpx.AsyncClient, demo: DemoSummary
) -> None:
    english = (await client.get("/api/v1/directory/articles?language=en")).json()
    assert english
    assert {a["language"] for a in english} == {"en"}
    instructions = (await client.get("/api/v1/directory/instructions?language=zh-CN")).json()
    assert [i["sort_order"] for i in instructions] == sorted(i["sort_order"] for i in instructions)


@pytest.mark.asyncio
async def test_writes_need_the_admin_role(
    client: httpx.AsyncClient, staff_client: StaffClientFactory, demo: DemoSummary
) -> None:
    body = {"name_zh": "康复医学科", "name_en": "Rehabilitation"}
    anonymous = await client.post("/api/v1/directory/departments", json=body)
    assert anonymous.status_code == 401
    agent = await staff_client(Role.AGENT)
    assert (await agent.post("/api/v1/directory/departments", json=body)).status_code == 403
    administrator = await staff_client(Role.ADMIN)
    created = await administrator.post("/api/v1/directory/departments", json=body)
    assert created.status_code == 201
    assert (await client.get(f"/api/v1/directory/departments/{created.json()['id']}")).json()[
        "name_en"
    ] == "Rehabilitation"
    assert (await agent.get("/api/v1/directory/documents")).status_code == 403


@pytest.mark.asyncio
async def test_api_creates_doctor_with_schedule_and_reports_field_errors(
    admin_http: httpx.AsyncClient, demo: DemoSummary
) -> None:
    department_id = demo.department_ids["心血管内科"]
    body = DOCTOR | {
        "department_id": department_id,
        "sessions": [{"weekday": 2, "period": "evening", "capacity": 15, "registration_fee": 3000}],
    }
    created = await admin_http.post("/api/v1/directory/doctors", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["sessions"][0]["period"] == "evening"
    bad = body | {"doctor_number": "9002", "sessions": [body["sessions"][0] | {"capacity": -1}]}
    refused = await admin_http.post("/api/v1/directory/doctors", json=bad)
    assert refused.status_code == 422
    assert refused.json()["error_id"] == "invalid_directory_input"
    assert refused.json()["field"] == "sessions-0-capacity"
    unknown = await admin_http.post(
        "/api/v1/directory/doctors", json=body | {"doctor_number": "9003", "department_id": 999}
    )
    assert unknown.json()["field"] == "department_id"


@pytest.mark.asyncio
async def test_portal_pages_show_names_in_the_chosen_language(
    client: httpx.AsyncClient, demo: DemoSummary
) -> None:
    home = await client.get("/")
    assert home.status_code == 200
    assert "示范市第一人民医院" in home.text
    assert "心血管内科" in home.text
    english = await client.get("/?lang=en")
    assert "Demo City First People&#39;s Hospital" in english.text
    assert "Cardiology" in english.text
    cardiology = demo.department_ids["心血管内科"]
    page = await client.get(f"/departments/{cardiology}?lang=en")
    assert page.status_code == 200
    assert 'id="week-schedule"' in page.text
    for path in ("/departments", "/doctors", "/drugs?q=amx", "/articles", "/instructions"):
        reply = await client.get(path)
        assert reply.status_code == 200, path
    assert "阿莫西林胶囊" in (await client.get("/drugs?q=amx")).text
    partial = await client.get("/drugs?q=amx", headers={"HX-Request": "true"})
    assert "阿莫西林胶囊" in partial.text
    assert "<html" not in partial.text
    assert "Booking and check-in" in (await client.get("/instructions?lang=en")).text


@pytest.mark.asyncio
async def test_admin_form_adds_doctor_with_schedule_shown_on_public_page(
    admin_http: httpx.AsyncClient, client: httpx.AsyncClient, demo: DemoSummary
) -> None:
    form = {k: str(v) for k, v in DOCTOR.items()} | {
        "department_id": str(demo.department_ids["眼科"]),
        "active": "on",
        "sessions-0-weekday": "0",
        "sessions-0-period": "morning",
        "sessions-0-capacity": "12",
        "sessions-0-registration_fee": "30",
        "sessions-0-clinic_type": "expert",
        "sessions-1-weekday": "",
        "sessions-1-period": "morning",
    }
    saved = await admin_http.post("/admin/directory/doctors", data=form)
    assert saved.status_code == 303
    doctor_path = saved.headers["location"].split("?")[0]
    doctor_id = int(doctor_path.rsplit("/", 1)[1])
    public_zh = await client.get(f"/doctors/{doctor_id}?lang=zh-CN")
    assert "欧阳明" in public_zh.text
    assert "副主任医师" in public_zh.text
    assert "周一" in public_zh.text
    public_en = await client.get(f"/doctors/{doctor_id}?lang=en")
    assert "Ouyang Ming" in public_en.text
    assert "Associate Chief Physician" in public_en.text
    assert "30.00" in public_en.text
    edit = await admin_http.get(doctor_path)
    assert 'name="sessions-0-capacity"' in edit.text
    assert 'value="12"' in edit.text


@pytest.mark.asyncio
async def test_refused_admin_form_keeps_input_and_shows_errors_per_field(
    admin_http: httpx.AsyncClient, demo: DemoSummary
) -> None:
    form = {k: str(v) for k, v in DOCTOR.items()} | {
        "department_id": str(demo.department_ids["眼科"]),
        "doctor_number": "12ab",
        "sessions-0-weekday": "1",
        "sessions-0-period": "afternoon",
        "sessions-0-capacity": "-5",
        "sessions-0-registration_fee": "abc",
    }
    refused = await admin_http.post("/admin/directory/doctors?lang=zh-CN", data=form)
    assert refused.status_code == 422
    assert 'value="欧阳明"' in refused.text
    assert 'value="-5"' in refused.text
    assert "请输入以元为单位的金额" in refused.text
    doctors = (await admin_http.get("/api/v1/directory/doctors", params={"q": "欧阳"})).json()
    assert doctors == []
    fixed = form | {"doctor_number": "9100", "sessions-0-registration_fee": "15"}
    second = await admin_http.post("/admin/directory/doctors?lang=zh-CN", data=fixed)
    assert second.status_code == 422
    assert "容量须在 0 到 1000 之间" in second.text
    assert 'name="sessions-0-capacity"' in second.text


@pytest.mark.asyncio
async def test_admin_generic_forms_save_drug_and_show_errors(
    admin_http: httpx.AsyncClient, client: httpx.AsyncClient, demo: DemoSummary
) -> None:
    listing = await admin_http.get("/admin/directory/drugs")
    assert listing.status_code == 200
    form = {
        "code": "990001",
        "name_zh": "测试片",
        "name_en": "Test Tablets",
        "specification": "10mg×10片",
        "unit": "盒",
        "price": "8.5",
        "category": "其他",
    }
    assert (await admin_http.post("/admin/directory/drugs", data=form)).status_code == 303
    drug = (await client.get("/api/v1/directory/drugs/by-code/990001")).json()
    assert drug["price"] == 850
    refused = await admin_http.post("/admin/directory/drugs", data=form | {"price": "-1"})
    assert refused.status_code == 422
    assert 'value="测试片"' in refused.text
    for slug in ("departments", "articles", "instructions", "documents"):
        assert (await admin_http.get(f"/admin/directory/{slug}")).status_code == 200, slug
        assert (await admin_http.get(f"/admin/directory/{slug}/new")).status_code == 200, slug
    assert (await admin_http.get("/admin/directory")).status_code == 200


@pytest.mark.asyncio
async def test_admin_adds_and_removes_leave_for_a_doctor(
    admin_http: httpx.AsyncClient, client: httpx.AsyncClient, demo: DemoSummary
) -> None:
    doctor_id = demo.doctor_ids[0]
    form = {"kind": "leave", "first_day": "2030-01-07", "last_day": "2030-01-08", "reason": "会议"}
    added = await admin_http.post(f"/admin/directory/doctors/{doctor_id}/exceptions", data=form)
    assert added.status_code == 303
    page = await admin_http.get(f"/admin/directory/doctors/{doctor_id}")
    assert "2030-01-07" in page.text
    backwards = form | {"first_day": "2030-01-09"}
    refused = await admin_http.post(
        f"/admin/directory/doctors/{doctor_id}/exceptions", data=backwards
    )
    assert refused.status_code == 422
    sessions = (
        await client.get(
            f"/api/v1/directory/doctors/{doctor_id}/sessions", params={"from": "2030-01-07"}
        )
    ).json()
    cancelled = [s for s in sessions if s["cancelled"]]
    assert all(s["cancel_reason"] == "leave" for s in cancelled)
    assert {s["day"] for s in cancelled} <= {"2030-01-07", "2030-01-08"}


@pytest.mark.asyncio
async def test_default_first_day_is_today_in_the_hospital_zone(
    settings: Settings, engine: AsyncEngine, demo: DemoSummary
) -> None:
    # 16:30 UTC on 25 November is already 00:30 on the 26th (a Thursday) in Shanghai.
    clock = FakeClock(datetime(2026, 11, 25, 16, 30, tzinfo=UTC))
    app = create_app(settings, engine, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://careline.test"
    ) as http:
        doctors = (await http.get("/api/v1/directory/doctors")).json()
        thursday_doctor = None
        for doctor in doctors:
            detail = (await http.get(f"/api/v1/directory/doctors/{doctor['id']}")).json()
            if any(s["weekday"] == 3 for s in detail["sessions"]):
                thursday_doctor = doctor["id"]
                break
        assert thursday_doctor is not None
        reply = await http.get(f"/api/v1/directory/doctors/{thursday_doctor}/sessions?days=1")
    sessions = reply.json()
    assert sessions
    assert {s["day"] for s in sessions} == {"2026-11-26"}


@pytest.mark.asyncio
async def test_hospital_closure_cancels_every_department(
    admin_http: httpx.AsyncClient, client: httpx.AsyncClient, demo: DemoSummary
) -> None:
    page = await admin_http.get("/admin/directory/closures")
    assert page.status_code == 200
    form = {"kind": "holiday", "department_id": "", "first_day": "2030-03-04", "reason": "院庆"}
    assert (await admin_http.post("/admin/directory/closures", data=form)).status_code == 303
    assert "院庆" in (await admin_http.get("/admin/directory/closures?lang=zh-CN")).text
    found = []
    for department_id in demo.department_ids.values():
        reply = await client.get(
            f"/api/v1/directory/departments/{department_id}/sessions",
            params={"from": "2030-03-04", "days": 1},
        )
        found.extend(reply.json())
    assert found
    assert {s["cancel_reason"] for s in found} == {"hospital_holiday"}
    refused = await admin_http.post(
        "/admin/directory/closures", data=form | {"department_id": "999"}
    )
    assert refused.status_code == 422
    assert "科室不存在" in refused.text
