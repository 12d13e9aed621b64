"""SIP extensions of staff: HA1 storage, uniqueness, deactivation, cache, API and pages."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.kit.clock import FakeClock
from careline.staff import extensions, service
from careline.staff.model import InvalidStaffInput, Role
from careline.telephony.runtime import DatabaseExtensionDirectory
from tests.conftest import StaffClientFactory, make_staff

SIP_PASSWORD = "desk-phone-2001"


@pytest.mark.asyncio
async def test_password_is_stored_only_as_rfc8760_ha1(any_engine: AsyncEngine) -> None:
    member = await make_staff(any_engine, "wang.fang", Role.AGENT)
    async with UnitOfWork(any_engine) as uow:
        await extensions.set_extension(
            uow, staff_id=member.id, extension="2001", password=SIP_PASSWORD, clock=FakeClock()
        )
    async with UnitOfWork(any_engine) as uow:
        stored = await extensions.get_extension(uow, staff_id=member.id)
    assert stored is not None
    secret = f"2001:careline:{SIP_PASSWORD}".encode()
    assert stored.ha1_md5 == hashlib.md5(secret).hexdigest()
    assert stored.ha1_sha256 == hashlib.sha256(secret).hexdigest()
    assert SIP_PASSWORD not in repr(stored)


@pytest.mark.asyncio
async def test_extension_numbers_are_unique_and_digits(engine: AsyncEngine) -> None:
    first = await make_staff(engine, "wang.fang", Role.AGENT)
    second = await make_staff(engine, "zhao.lei", Role.DOCTOR)
    clock = FakeClock()
    async with UnitOfWork(engine) as uow:
        await extensions.set_extension(
            uow, staff_id=first.id, extension="2001", password=SIP_PASSWORD, clock=clock
        )
    async with UnitOfWork(engine) as uow:
        with pytest.raises(extensions.ExtensionTaken):
            await extensions.set_extension(
                uow, staff_id=second.id, extension="2001", password=SIP_PASSWORD, clock=clock
            )
        for bad in ("20a1", "0201", "7", "123456789"):
            with pytest.raises(InvalidStaffInput):
                await extensions.set_extension(
                    uow, staff_id=second.id, extension=bad, password=SIP_PASSWORD, clock=clock
                )
        with pytest.raises(InvalidStaffInput):
            await extensions.set_extension(
                uow, staff_id=second.id, extension="2002", password="short", clock=clock
            )


@pytest.mark.asyncio
async def test_directory_serves_ha1_of_active_staff_only(engine: AsyncEngine) -> None:
    member = await make_staff(engine, "wang.fang", Role.AGENT)
    async with UnitOfWork(engine) as uow:
        await extensions.set_extension(
            uow, staff_id=member.id, extension="2001", password=SIP_PASSWORD, clock=FakeClock()
        )
    now = [0.0]
    secrets = extensions.ExtensionSecrets(
        lambda: UnitOfWork(engine), ttl=10.0, monotonic=lambda: now[0]
    )
    expected = hashlib.sha256(f"2001:careline:{SIP_PASSWORD}".encode()).hexdigest()
    assert await secrets.ha1_for("2001", "careline", "SHA-256") == expected
    assert await secrets.ha1_for("2001", "other-realm", "SHA-256") is None
    assert await secrets.ha1_for("2999", "careline", "MD5") is None

    async with UnitOfWork(engine) as uow:
        await service.update_staff(uow, staff_id=member.id, active=False)
    # Within the cache lifetime the old answer stands; after it the account is refused.
    assert await secrets.ha1_for("2001", "careline", "SHA-256") == expected
    now[0] = 10.5
    assert await secrets.ha1_for("2001", "careline", "SHA-256") is None


class CountingUnitOfWork(UnitOfWork):
    opened = 0

    async def __aenter__(self) -> UnitOfWork:
        CountingUnitOfWork.opened += 1
        return await super().__aenter__()


@pytest.mark.asyncio
async def test_concurrent_lookups_share_one_query(engine: AsyncEngine) -> None:
    member = await make_staff(engine, "wang.fang", Role.AGENT)
    async with UnitOfWork(engine) as uow:
        await extensions.set_extension(
            uow, staff_id=member.id, extension="2001", password=SIP_PASSWORD, clock=FakeClock()
        )
    CountingUnitOfWork.opened = 0
    secrets = extensions.ExtensionSecrets(lambda: CountingUnitOfWork(engine))
    found = await asyncio.gather(*(secrets.lookup("2001") for _ in range(5)))
    assert all(record is not None and record.extension == "2001" for record in found)
    await secrets.lookup("2001")
    assert CountingUnitOfWork.opened == 1


@pytest.mark.asyncio
async def test_runtime_directory_adapts_the_database_to_the_telephony_port(
    engine: AsyncEngine,
) -> None:
    member = await make_staff(engine, "wang.fang", Role.DOCTOR)
    async with UnitOfWork(engine) as uow:
        await extensions.set_extension(
            uow, staff_id=member.id, extension="3001", password=SIP_PASSWORD, clock=FakeClock()
        )

    class Careline:
        def uow(self) -> UnitOfWork:
            return UnitOfWork(engine)

    directory = DatabaseExtensionDirectory(Careline())  # type: ignore[arg-type]
    expected = hashlib.md5(f"3001:careline:{SIP_PASSWORD}".encode()).hexdigest()
    assert await directory.ha1_for("3001", "careline", "MD5") == expected


@pytest.mark.asyncio
async def test_admin_sets_extension_by_api_and_staff_sees_their_own(
    staff_client: StaffClientFactory,
) -> None:
    admin = await staff_client(Role.ADMIN)
    agent = await staff_client(Role.AGENT)
    agent_id = (await agent.get("/api/v1/staff/me")).json()["id"]
    assert (await agent.get("/api/v1/staff/me/extension")).status_code == 404

    body = {"extension": "2001", "password": SIP_PASSWORD}
    refused = await agent.put(f"/api/v1/staff/{agent_id}/extension", json=body)
    assert refused.status_code == 403
    created = await admin.put(f"/api/v1/staff/{agent_id}/extension", json=body)
    assert created.status_code == 200, created.text
    assert created.json()["extension"] == "2001"
    assert SIP_PASSWORD not in created.text
    assert "ha1" not in created.text

    mine = await agent.get("/api/v1/staff/me/extension")
    assert mine.json()["extension"] == "2001"
    page = await agent.get("/staff/extension")
    assert page.status_code == 200
    assert "2001" in page.text

    taken = await admin.put(
        f"/api/v1/staff/{(await admin.get('/api/v1/staff/me')).json()['id']}/extension",
        json=body,
    )
    assert taken.status_code == 409
    assert (await admin.delete(f"/api/v1/staff/{agent_id}/extension")).status_code == 204
    assert (await agent.get("/api/v1/staff/me/extension")).status_code == 404


@pytest.mark.asyncio
async def test_admin_page_sets_and_resets_the_extension(staff_client: StaffClientFactory) -> None:
    admin = await staff_client(Role.ADMIN)
    doctor = await staff_client(Role.DOCTOR)
    doctor_id = (await doctor.get("/api/v1/staff/me")).json()["id"]
    url = f"/admin/staff/{doctor_id}/extension"
    assert "extension-form" in (await admin.get(url)).text

    saved = await admin.post(url, data={"extension": "3001", "sip_password": SIP_PASSWORD})
    assert saved.status_code == 303
    assert "3001" in (await admin.get(url)).text

    bad = await admin.post(url, data={"extension": "3001", "sip_password": "short"})
    assert bad.status_code == 422
    assert "SIP 密码至少需要 10 个字符" in bad.text  # the page speaks the default zh-CN
    assert (await doctor.get(url)).status_code == 403
