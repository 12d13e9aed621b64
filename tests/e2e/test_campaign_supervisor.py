"""A supervisor creates a survey campaign in the browser, previews, schedules and pauses it."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import chromium
from tests.support.server import RunningServer, careline_server

PASSWORD = "e2e-supervisor-password"
SURVEY = {
    "questions": [
        {"key": "overall", "kind": "scale", "text_zh": "请为本次就诊打分。"},
        {"key": "again", "kind": "yes_no", "text_zh": "您会推荐本院吗？"},
    ]
}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir: Path = tmp_path_factory.mktemp("careline-e2e-campaigns")
    with careline_server(data_dir) as running:
        demo = running.cli("demo", "--patients", "30")
        assert demo.returncode == 0, demo.stderr
        added = running.cli("user", "add", "e2e.sup", "--role", "supervisor", stdin=PASSWORD)
        assert added.returncode == 0, added.stderr
        yield running


def _sign_in(page: Page, server: RunningServer) -> None:
    page.goto(f"{server.url}/staff/sign-in")
    page.fill("#f-username", "e2e.sup")
    page.fill("#f-password", PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    expect(page).to_have_url(f"{server.url}/staff")


def test_supervisor_creates_schedules_pauses_and_resumes_a_survey(server: RunningServer) -> None:
    with chromium() as browser:
        page = browser.new_page()
        _sign_in(page, server)
        page.goto(f"{server.url}/campaigns")
        page.fill("#f-name", "门诊满意度调查")
        page.select_option("#f-kind", "survey")
        page.select_option("#f-audience", "everyone")
        page.fill("#f-body_zh", "{name}{title}您好，请评价您最近的就诊。")
        page.fill("#campaign-form #f-questions", json.dumps(SURVEY, ensure_ascii=False))
        page.click("#campaign-save")
        expect(page.locator("#audience-size")).to_contain_text("位患者")
        page.click("#campaign-start")
        expect(page.locator("#campaign-status")).to_contain_text("进行中")
        expect(page.locator("#progress-text")).to_contain_text("(0%)")
        page.click("#campaign-pause")
        expect(page.locator("#campaign-status")).to_contain_text("暂停")
        page.click("#campaign-resume")
        expect(page.locator("#campaign-status")).to_contain_text("进行中")
        csv = page.request.get(page.url + "/export.csv")
        assert csv.ok
        assert csv.text().lstrip("\ufeff").splitlines()[0].endswith("overall,again,comment")
        page.click("#lang-switch")
        expect(page.locator("#campaign-status")).to_contain_text("Running")
