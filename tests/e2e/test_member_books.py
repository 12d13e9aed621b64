"""A member signs in to the portal, books, sees queue number and balance, cancels, is refunded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from careline.demo.members import DEMO_PIN
from tests.support.browser import chromium
from tests.support.server import RunningServer, careline_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def member_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, str]]:
    data_dir: Path = tmp_path_factory.mktemp("careline-portal")
    with careline_server(data_dir) as running:
        demo = running.cli("demo", "--patients", "3")
        assert demo.returncode == 0, demo.stderr
        # careline demo prints the member cards it issued (PIN 123456) once.
        cards = re.findall(r"^\s+(\d{16})$", demo.stdout, re.M)
        assert cards, demo.stdout
        yield running, cards[0]


def _open_doctor_with_free_place(page: Page, base: str) -> str:
    """Go to the first doctor with a free place two to six days ahead; return the day."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    days = [(today + timedelta(days=n)).isoformat() for n in range(2, 7)]
    links = page.locator('a[href^="/portal/doctors/"]')
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in hrefs:
        page.goto(f"{base}{href}")
        for day in days:
            if page.locator(f'section.session[data-day="{day}"] button.book').count():
                return day
    raise AssertionError("no doctor has a free place in the coming days")


def test_member_books_sees_queue_number_and_balance_then_cancels(
    member_server: tuple[RunningServer, str],
) -> None:
    server, card_number = member_server
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{server.url}/portal/sign-in?lang=en")
        page.fill("#f-card_number", card_number)
        page.fill("#f-pin", DEMO_PIN)
        page.click("#card-sign-in button[type=submit]")
        expect(page).to_have_url(f"{server.url}/portal")
        expect(page.locator("#balance")).to_have_text("500.00")

        day = _open_doctor_with_free_place(page, server.url)
        page.locator(f'section.session[data-day="{day}"] button.book').first.click()
        expect(page.locator("#queue-number")).to_have_text("1")
        fee = float(page.locator("#fee").inner_text())
        assert fee > 0
        expect(page.locator("#balance")).to_have_text(f"{500 - fee:.2f}")
        expect(page.locator("#status")).to_have_text("booked")

        page.click("#cancel-booking")
        expect(page.locator("#refunded")).to_be_visible()
        expect(page.locator("#balance")).to_have_text("500.00")
        expect(page.locator("#status")).to_have_text("cancelled")

        page.goto(f"{server.url}/portal/statement")
        expect(page.locator("#closing")).to_have_text("500.00")
        expect(page.locator("#entries")).to_contain_text("Registration fee")
