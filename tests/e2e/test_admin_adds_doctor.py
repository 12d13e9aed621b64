"""An admin signs in, adds a doctor with a weekly schedule, and the public sees them."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import chromium
from tests.support.server import RunningServer, careline_server

ADMIN_PASSWORD = "e2e-admin-password"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> RunningServer:
    data_dir: Path = tmp_path_factory.mktemp("careline-e2e")
    with careline_server(data_dir) as running:
        demo = running.cli("demo", "--patients", "0")
        assert demo.returncode == 0, demo.stderr
        added = running.cli("user", "add", "e2e.admin", "--role", "admin", stdin=ADMIN_PASSWORD)
        assert added.returncode == 0, added.stderr
        yield running


def _sign_in(page: Page, server: RunningServer) -> None:
    page.goto(f"{server.url}/staff/sign-in")
    page.fill("#f-username", "e2e.admin")
    page.fill("#f-password", ADMIN_PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    expect(page).to_have_url(f"{server.url}/staff")


def test_admin_adds_a_doctor_who_appears_on_the_public_page_in_both_languages(
    server: RunningServer,
) -> None:
    # A weekday at least two days ahead, so it falls within the public week whatever the hour.
    clinic_day = date.today() + timedelta(days=2)
    with chromium() as browser:
        page = browser.new_page()
        _sign_in(page, server)
        page.goto(f"{server.url}/admin/directory/doctors/new")
        page.select_option("#f-department_id", index=1)
        page.fill("#f-name", "欧阳明")
        page.fill("#f-name_en", "Ouyang Ming")
        page.select_option("#f-title", "chief_physician")
        page.fill("#f-doctor_number", "9901")
        page.fill("#f-specialty_zh", "心律失常")
        page.fill("#f-specialty_en", "Arrhythmia")
        page.check("#f-active")
        page.select_option("#f-sessions-0-weekday", str(clinic_day.weekday()))
        page.select_option("#f-sessions-0-period", "morning")
        page.fill("#f-sessions-0-capacity", "20")
        page.fill("#f-sessions-0-registration_fee", "50")
        page.click("#doctor-save")
        expect(page.locator("#saved-notice")).to_be_visible()

        page.click("#public-page-link")
        expect(page.locator("#doctor-name")).to_contain_text("欧阳明")
        expect(page.locator("#doctor-title")).to_contain_text("主任医师")
        clinic_row = page.locator(f'#week-schedule tr[data-day="{clinic_day.isoformat()}"]')
        expect(clinic_row).to_contain_text("上午")
        expect(clinic_row).to_contain_text("¥50")

        page.click("#lang-switch")
        expect(page.locator("#doctor-name")).to_contain_text("Ouyang Ming")
        expect(page.locator("#doctor-title")).to_contain_text("Chief Physician")
        expect(clinic_row).to_contain_text("Morning")
        page.screenshot(path=str(server.data_dir / "doctor-en.png"), full_page=True)


def test_wrong_password_in_the_browser_shows_an_error_and_keeps_the_username(
    server: RunningServer,
) -> None:
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{server.url}/staff/sign-in")
        page.fill("#f-username", "e2e.admin")
        page.fill("#f-password", "not-the-password")
        page.click("#sign-in-form button[type=submit]")
        expect(page.locator(".error-box")).to_contain_text("用户名或密码错误")
        expect(page.locator("#f-username")).to_have_value("e2e.admin")
