"""A patient leaves feedback on the web; a handler takes it, replies and resolves it; the
patient receives both answers by email from a real SMTP server on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect

from careline.channels.model import find_ticket_token
from tests.support.browser import chromium
from tests.support.mailserver import ReceivedMail, SinkSmtpServer
from tests.support.ports import free_port
from tests.support.server import RunningServer, careline_server

HANDLER_PASSWORD = "e2e-handler-password"
PATIENT_EMAIL = "patient@example.com"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def mailbox() -> Iterator[SinkSmtpServer]:
    """The hospital's outgoing mail server: a real SMTP server on loopback."""
    sink = SinkSmtpServer()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, mailbox: SinkSmtpServer
) -> Iterator[RunningServer]:
    data_dir: Path = tmp_path_factory.mktemp("careline-complaints-e2e")
    with careline_server(
        data_dir,
        CARELINE_SMTP_HOST="127.0.0.1",
        CARELINE_SMTP_PORT=str(mailbox.port),
        CARELINE_SMTP_SENDER="complaints@hospital.test",
        CARELINE_CHANNEL_INTERVAL_SECONDS="0.5",
    ) as running:
        added = running.cli(
            "user", "add", "e2e.handler", "--role", "complaint_handler", stdin=HANDLER_PASSWORD
        )
        assert added.returncode == 0, added.stderr
        yield running


def _mail_for(mailbox: SinkSmtpServer, number: str, text: str) -> ReceivedMail:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for mail in list(mailbox.received):
            message = mail.message()
            body = message.get_body(preferencelist=("plain",))
            content = body.get_content() if body is not None else ""
            if find_ticket_token(str(message["Subject"])) == number and text in content:
                return mail
        time.sleep(0.2)
    raise AssertionError(f"no email about {number} containing {text!r}")


def _sign_in(page: Page, server: RunningServer) -> None:
    page.goto(f"{server.url}/staff/sign-in")
    page.fill("#f-username", "e2e.handler")
    page.fill("#f-password", HANDLER_PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    expect(page).to_have_url(f"{server.url}/staff")


def test_handler_takes_replies_and_resolves_and_the_patient_gets_the_emails(
    server: RunningServer, mailbox: SinkSmtpServer
) -> None:
    with chromium() as browser:
        patient = browser.new_page()
        patient.goto(f"{server.url}/feedback")
        patient.select_option("#f-kind", "complaint")
        patient.fill("#f-subject", "候诊时间太长")
        patient.fill("#f-body", "上午九点挂号，十二点还没有看上。")
        patient.fill("#f-contact_phone", "138 0013 8000")
        patient.fill("#f-contact_email", PATIENT_EMAIL)
        patient.select_option("#f-feedback_channel", "email")
        patient.click("#feedback-send")
        number = patient.locator("#ticket-number").inner_text().replace(" ", "")
        assert len(number) == 12

        handler = browser.new_page()
        _sign_in(handler, server)
        handler.goto(f"{server.url}/complaints")
        row = handler.locator(f'#queue tr[data-number="{number}"]')
        expect(row).to_contain_text("候诊时间太长")
        row.locator("button[type=submit]").click()
        expect(handler.locator("#ticket-status")).to_have_attribute("data-status", "in_progress")

        handler.fill("#reply-body", "您好，我们已联系门诊部核实。")
        handler.click("#reply-send")
        expect(handler.locator("#ticket-events")).to_contain_text("我们已联系门诊部核实")
        handler.fill("#resolve-body", "已增加上午号源并调整分诊流程。")
        handler.click("#resolve-send")
        expect(handler.locator("#ticket-status")).to_have_attribute("data-status", "resolved")

        reply = _mail_for(mailbox, number, "我们已联系门诊部核实")
        resolution = _mail_for(mailbox, number, "已增加上午号源")
        assert reply.recipients == [PATIENT_EMAIL]
        assert resolution.recipients == [PATIENT_EMAIL]

        patient.goto(f"{server.url}/feedback/status")
        patient.fill("#f-number", number)
        patient.fill("#f-phone", "13800138000")
        patient.click("#status-check")
        expect(patient.locator("#status-state")).to_contain_text("已办结")
