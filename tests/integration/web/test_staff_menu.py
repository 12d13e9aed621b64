"""The staff menu offers each role its own work places, and no one else's."""

from __future__ import annotations

import pytest

from careline.staff.model import Role
from tests.conftest import StaffClientFactory

PLACES = {
    "/desk": {Role.AGENT, Role.SUPERVISOR},
    "/wallboard": {Role.SUPERVISOR},
    "/campaigns": {Role.SUPERVISOR},
    "/doctor/voicemail": {Role.DOCTOR},
    "/doctor/consultations": {Role.DOCTOR},
    "/doctor/voicemail-overdue": {Role.DEPARTMENT_HEAD},
    "/staff/integrations/exchange-log": {Role.ADMIN},
}


@pytest.mark.asyncio
@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.DOCTOR, Role.ADMIN])
async def test_menu_links_match_what_the_role_may_open(
    staff_client: StaffClientFactory, role: Role
) -> None:
    http = await staff_client(role)
    menu = (await http.get("/staff")).text
    for path, roles in PLACES.items():
        allowed = role in roles or role is Role.ADMIN  # an administrator holds every role
        assert (f'href="{path}"' in menu) == allowed, path
        if allowed:
            # The link leads to a page (a doctor's pages also need the account linked to a
            # doctor in the directory, which these bare accounts are not: 403 then).
            page = await http.get(path)
            assert page.status_code in {200, 403}, path
