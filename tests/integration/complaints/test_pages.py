"""Handlers' pages and the public status page, through the real app."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.channels import service as channels
from careline.complaints import service
from careline.complaints.model import (
    FeedbackChannel,
    TicketDraft,
    TicketKind,
    TicketSource,
    TicketStatus,
)
from careline.db.uow import UnitOfWork
from careline.kit.clock import Clock
from careline.patients import service as patients
from careline.patients.validation import PatientInput
from careline.staff.audit import access_history
from careline.staff.model import Role
from tests.conftest import StaffClientFactory

pytestmark = pytest.mark.asyncio


async def _ticket(engine: AsyncEngine, **overrides: object) -> int:
    values: dict[str, object] = {
        "kind": TicketKind.COMPLAINT,
        "source": TicketSource.IVR,
        "subject": "护士态度差",
        "body": "夜班护士不耐烦",
        "contact_phone": "13800138000",
        "contact_email": "wang@example.com",
        "feedback_channel": FeedbackChannel.EMAIL,
    }
    values.update(overrides)
    async with UnitOfWork(engine) as uow:
        ticket = await service.open_ticket(uow, draft=TicketDraft(**values), clock=Clock())  # type: ignore[arg-type]
    return ticket.id


async def test_handler_takes_replies_and_resolves_from_the_pages(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    ticket_id = await _ticket(engine)
    http = await staff_client(Role.COMPLAINT_HANDLER)
    queue = await http.get("/complaints")
    assert queue.status_code == 200
    assert f'href="/complaints/{ticket_id}"' in queue.text
    assert (await http.post(f"/complaints/{ticket_id}/take")).status_code == 303
    reply = await http.post(f"/complaints/{ticket_id}/reply", data={"body": "正在调查"})
    assert reply.status_code == 303
    await http.post(f"/complaints/{ticket_id}/note", data={"body": "内部：已联系护士长"})
    done = await http.post(f"/complaints/{ticket_id}/resolve", data={"body": "已批评教育"})
    assert done.status_code == 303
    page = await http.get(f"/complaints/{ticket_id}")
    assert 'data-status="resolved"' in page.text
    assert "内部：已联系护士长" in page.text
    async with UnitOfWork(engine) as uow:
        sent = await channels.list_messages(uow)
    bodies = " ".join(m.body for m in sent)
    # Replies went out; the internal note did not.
    assert "正在调查" in bodies
    assert "已批评教育" in bodies
    assert "已联系护士长" not in bodies


async def test_refused_action_shows_the_reason_on_the_ticket(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    ticket_id = await _ticket(engine)
    http = await staff_client(Role.COMPLAINT_HANDLER)
    refused = await http.post(f"/complaints/{ticket_id}/escalate", data={"reason": ""})
    assert refused.status_code == 409
    assert "reason" in refused.text.lower() or "原因" in refused.text


async def test_agents_may_not_see_the_complaint_queue(staff_client: StaffClientFactory) -> None:
    http = await staff_client(Role.AGENT)
    assert (await http.get("/complaints")).status_code == 403


async def test_desk_intake_refuses_an_invalid_phone_and_keeps_the_text(
    staff_client: StaffClientFactory,
) -> None:
    http = await staff_client(Role.COMPLAINT_HANDLER)
    page = await http.post(
        "/complaints/new",
        data={
            "kind": "complaint",
            "body": "停车难",
            "contact_phone": "12345",
            "feedback_channel": "sms",
        },
    )
    assert page.status_code == 422
    assert "停车难" in page.text
    created = await http.post(
        "/complaints/new",
        data={
            "kind": "suggestion",
            "body": "停车难",
            "contact_phone": "13800138000",
            "feedback_channel": "sms",
        },
    )
    assert created.status_code == 303


async def test_reading_the_patient_on_a_ticket_is_audited(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    async with UnitOfWork(engine) as uow:
        patient = await patients.register_patient(
            uow,
            data=PatientInput(name="王芳", phones=[("13800138000", "mobile")]),
            staff_id=None,
            clock=Clock(),
        )
    patient_id = patient.id
    first = await _ticket(engine, patient_id=patient_id)
    await _ticket(engine, patient_id=patient_id, subject="又一次")
    http = await staff_client(Role.COMPLAINT_HANDLER)
    page = await http.get(f"/complaints/{first}")
    assert "又一次" in page.text  # the patient's other ticket
    async with UnitOfWork(engine) as uow:
        rows = await access_history(uow.connection, subject="patient", subject_id=patient_id)
    assert any("complaint ticket" in str(row["context"]) for row in rows)


async def test_recording_is_served_only_from_the_data_dir(
    staff_client: StaffClientFactory, engine: AsyncEngine, settings: object
) -> None:
    data_dir: Path = settings.data_dir  # type: ignore[attr-defined]
    (data_dir / "recordings").mkdir(parents=True, exist_ok=True)
    (data_dir / "recordings" / "m1.wav").write_bytes(b"RIFF0000WAVE")
    inside = await _ticket(engine, recording_path="recordings/m1.wav")
    outside = await _ticket(engine, recording_path="../../../etc/passwd")
    http = await staff_client(Role.COMPLAINT_HANDLER)
    played = await http.get(f"/complaints/{inside}/recording")
    assert played.status_code == 200
    assert played.content == b"RIFF0000WAVE"
    assert (await http.get(f"/complaints/{outside}/recording")).status_code == 404
    assert 'src="/complaints/' in (await http.get(f"/complaints/{inside}")).text


async def test_reports_chart_and_csv(staff_client: StaffClientFactory, engine: AsyncEngine) -> None:
    await _ticket(engine, category="服务态度")
    await _ticket(engine, category="服务态度")
    http = await staff_client(Role.SUPERVISOR)
    page = await http.get("/complaints-reports")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "服务态度: 2" in page.text
    csv = await http.get("/complaints-reports.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "complaint office,服务态度,complaint,new,2" in csv.text


async def test_supervisor_sees_escalated_tickets(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    ticket_id = await _ticket(engine)
    http = await staff_client(Role.SUPERVISOR)
    await http.post(f"/complaints/{ticket_id}/escalate", data={"reason": "媒体关注"})
    page = await http.get("/complaints-supervision")
    assert 'id="escalated"' in page.text


async def _csrf(http: httpx.AsyncClient, path: str) -> str:
    page = await http.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def test_public_status_check_needs_the_matching_phone(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    ticket_id = await _ticket(engine)
    async with UnitOfWork(engine) as uow:
        number = (await service.get_ticket(uow, ticket_id=ticket_id)).number
    token = await _csrf(client, "/feedback/status")
    ok = await client.post(
        "/feedback/status", data={"number": number, "phone": "138-0013-8000", "csrf_token": token}
    )
    assert ok.status_code == 200
    assert 'id="status-state"' in ok.text
    wrong = await client.post(
        "/feedback/status", data={"number": number, "phone": "13900139000", "csrf_token": token}
    )
    assert wrong.status_code == 404
    assert 'id="status-state"' not in wrong.text
    typo = await client.post(
        "/feedback/status",
        data={
            "number": number[:-1] + str((int(number[-1]) + 1) % 10),
            "phone": "13800138000",
            "csrf_token": token,
        },
    )
    assert typo.status_code == 422


async def test_public_web_form_opens_a_ticket(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    token = await _csrf(client, "/feedback")
    done = await client.post(
        "/feedback",
        data={
            "kind": "praise",
            "body": "李医生很耐心",
            "contact_phone": "13800138000",
            "feedback_channel": "sms",
            "csrf_token": token,
        },
    )
    assert done.status_code == 200
    async with UnitOfWork(engine) as uow:
        [ticket] = await service.list_queue(uow, department_id=None)
    assert (ticket.source, ticket.kind, ticket.status) == (
        TicketSource.WEB,
        TicketKind.PRAISE,
        TicketStatus.NEW,
    )
    assert ticket.number[:6] in done.text


async def test_rest_api_creates_and_reads_a_ticket(staff_client: StaffClientFactory) -> None:
    http = await staff_client(Role.AGENT)
    created = await http.post(
        "/api/v1/complaints",
        json={
            "kind": "report",
            "body": "有人收红包",
            "contact_phone": "13800138000",
            "feedback_channel": "sms",
        },
    )
    assert created.status_code == 201
    number = created.json()["number"]
    assert created.json()["contact_phone_masked"] == "+86 138****8000"
    handler = await staff_client(Role.COMPLAINT_HANDLER)
    read = await handler.get(f"/api/v1/complaints/{number}")
    assert read.json()["source"] == "api"
    bad = await handler.get("/api/v1/complaints/123456789012")
    assert bad.status_code == 422
    assert bad.json()["error_id"] == "invalid_ticket_number"


async def test_supervisor_adds_a_rule_that_routes_the_next_ticket(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    http = await staff_client(Role.SUPERVISOR)
    refused = await http.post("/complaints-rules", data={"keywords": "停车"})
    assert refused.status_code == 422
    added = await http.post(
        "/complaints-rules",
        data={"priority": "5", "keywords": "停车，车位", "target_department_id": "4"},
    )
    assert added.status_code == 303
    assert "停车, 车位" in (await http.get("/complaints-rules")).text
    ticket_id = await _ticket(engine, body="没有车位")
    async with UnitOfWork(engine) as uow:
        ticket = await service.get_ticket(uow, ticket_id=ticket_id)
    assert ticket.queue_department_id == 4
    handler = await staff_client(Role.COMPLAINT_HANDLER)
    assert (await handler.get("/complaints-rules")).status_code == 403


async def test_handler_uploads_an_attachment_and_a_huge_one_is_listed_as_refused(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    ticket_id = await _ticket(engine)
    http = await staff_client(Role.COMPLAINT_HANDLER)
    small = await http.post(
        f"/complaints/{ticket_id}/attachments",
        files={"file": ("发票.pdf", b"%PDF small", "application/pdf")},
    )
    assert small.status_code == 303
    huge = await http.post(
        f"/complaints/{ticket_id}/attachments",
        files={"file": ("scan.tif", b"\0" * (service.MAX_ATTACHMENT_BYTES + 1), "image/tiff")},
    )
    assert huge.status_code == 303
    async with UnitOfWork(engine) as uow:
        kept, refused = await service.list_attachments(uow, ticket_id=ticket_id)
    assert (kept.filename, kept.refused_reason) == ("发票.pdf", None)
    assert (refused.size, refused.refused_reason) == (
        service.MAX_ATTACHMENT_BYTES + 1,
        "attachment too large",
    )
    download = await http.get(f"/complaints/attachments/{kept.id}")
    assert download.content == b"%PDF small"
    assert (await http.get(f"/complaints/attachments/{refused.id}")).status_code == 404


async def test_department_head_sees_only_their_own_queue(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    office_ticket = await _ticket(engine, subject="办公室工单")
    head = await staff_client(Role.DEPARTMENT_HEAD)
    page = await head.get("/complaints?queue=office")
    assert page.status_code == 200
    assert f'href="/complaints/{office_ticket}"' not in page.text


async def test_queue_flags_tickets_whose_deadline_is_near(
    staff_client: StaffClientFactory, engine: AsyncEngine
) -> None:
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from careline.complaints.tables import complaint_tickets

    soon = await _ticket(engine, subject="明天到期")
    later = await _ticket(engine, subject="下周到期")
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        for ticket_id, due in ((soon, now + timedelta(hours=3)), (later, now + timedelta(days=4))):
            await conn.execute(
                sa.update(complaint_tickets)
                .where(complaint_tickets.c.id == ticket_id)
                .values(resolution_due_at=due)
            )
    http = await staff_client(Role.COMPLAINT_HANDLER)
    rows = re.findall(r"<tr data-number=.*?</tr>", (await http.get("/complaints")).text, re.S)
    flagged = [row for row in rows if "即将到期" in row]
    assert len(rows) == 2
    assert len(flagged) == 1
    assert "明天到期" in flagged[0]
