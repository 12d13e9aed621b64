import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.staff.model import Role
from tests.conftest import PASSWORD, make_staff


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "form has no CSRF field"
    return match.group(1)


async def _sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    page = await client.get("/staff/sign-in")
    return await client.post(
        "/staff/sign-in",
        data={
            "username": username,
            "password": password,
            "csrf_token": _csrf(page.text),
            "next": "/staff",
        },
    )


@pytest.mark.asyncio
async def test_sign_in_page_is_chinese_by_default_and_english_on_request(
    client: httpx.AsyncClient,
) -> None:
    zh = await client.get("/staff/sign-in")
    assert "员工登录" in zh.text
    assert zh.headers["content-type"].startswith("text/html; charset=utf-8")
    en = await client.get("/staff/sign-in?lang=en")
    assert "Staff sign-in" in en.text
    assert "员工登录" not in en.text
    # The choice is remembered by cookie.
    again = await client.get("/staff/sign-in")
    assert "Staff sign-in" in again.text


@pytest.mark.asyncio
async def test_wrong_password_shows_the_form_again_with_the_username_kept(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await make_staff(engine, "admin.one", Role.ADMIN)
    reply = await _sign_in(client, "admin.one", "not-the-password")
    assert reply.status_code == 401
    assert "用户名或密码错误" in reply.text
    assert 'value="admin.one"' in reply.text


@pytest.mark.asyncio
async def test_sign_in_then_admin_adds_a_staff_account(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await make_staff(engine, "admin.one", Role.ADMIN)
    reply = await _sign_in(client, "admin.one", PASSWORD)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/staff"
    page = await client.get("/admin/staff")
    assert page.status_code == 200
    form = {
        "username": "new.agent",
        "display_name": "新坐席",
        "password": "a-long-password",
        "roles": ["agent"],
        "csrf_token": _csrf(page.text),
    }
    added = await client.post("/admin/staff", data=form)
    assert added.status_code == 303
    listing = await client.get("/admin/staff")
    assert "new.agent" in listing.text
    assert "新坐席" in listing.text


@pytest.mark.asyncio
async def test_form_post_without_csrf_token_is_refused(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await make_staff(engine, "admin.one", Role.ADMIN)
    await _sign_in(client, "admin.one", PASSWORD)
    form = {
        "username": "sneaky",
        "display_name": "X",
        "password": "a-long-password",
        "roles": ["agent"],
        "csrf_token": "forged",
    }
    refused = await client.post("/admin/staff", data=form)
    assert refused.status_code == 403
    listing = await client.get("/admin/staff")
    assert "sneaky" not in listing.text


@pytest.mark.asyncio
async def test_staff_page_redirects_to_sign_in_when_signed_out(client: httpx.AsyncClient) -> None:
    reply = await client.get("/admin/staff")
    assert reply.status_code == 303
    assert reply.headers["location"].startswith("/staff/sign-in")


@pytest.mark.asyncio
async def test_healthz_and_metrics(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["database"] == "up"
    await client.get("/staff/sign-in")
    metrics = await client.get("/metrics")
    assert 'careline_http_requests_total{method="GET",route="/staff/sign-in",status="200"}' in (
        metrics.text
    )


@pytest.mark.asyncio
async def test_admin_deactivates_an_account_and_it_can_no_longer_sign_in(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await make_staff(engine, "admin.one", Role.ADMIN)
    agent = await make_staff(engine, "agent.two", Role.AGENT)
    await _sign_in(client, "admin.one", PASSWORD)
    page = await client.get(f"/admin/staff/{agent.id}")
    saved = await client.post(
        f"/admin/staff/{agent.id}",
        data={"display_name": "Agent Two", "roles": ["agent"], "csrf_token": _csrf(page.text)},
    )
    assert saved.status_code == 303
    other = httpx.AsyncClient(transport=client._transport, base_url="http://careline.test")
    refused = await _sign_in(other, "agent.two", PASSWORD)
    assert refused.status_code == 401


@pytest.mark.asyncio
async def test_admin_cannot_lock_themselves_out(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    admin = await make_staff(engine, "admin.one", Role.ADMIN)
    await _sign_in(client, "admin.one", PASSWORD)
    page = await client.get(f"/admin/staff/{admin.id}")
    refused = await client.post(
        f"/admin/staff/{admin.id}",
        data={
            "display_name": "Admin",
            "roles": ["agent"],
            "active": "true",
            "csrf_token": _csrf(page.text),
        },
    )
    assert refused.status_code == 422
    assert "不能移除自己的管理员角色" in refused.text
    assert (await client.get("/admin/staff")).status_code == 200


@pytest.mark.asyncio
async def test_staff_pages_carry_the_hospital_name_once_the_profile_exists(
    settings: object, engine: AsyncEngine
) -> None:
    from careline.db.uow import UnitOfWork
    from careline.directory import admin
    from careline.directory.model import Hospital
    from careline.kit.clock import Clock
    from careline.web.app import create_app

    hospital = Hospital(name_zh="甲市中心医院", name_en="Jia City Central Hospital")

    async with UnitOfWork(engine) as uow:
        await admin.save_hospital(uow, hospital=hospital, now=Clock().now())
    app = create_app(settings, engine)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as http:
            page = await http.get("/staff/sign-in")
    assert f'class="brand" href="/">{hospital.name_zh}<' in page.text
    assert 'href="/portal"' in page.text
