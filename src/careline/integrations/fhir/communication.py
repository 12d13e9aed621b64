"""Calls and messages Careline made, as FHIR Communication resources."""

from __future__ import annotations

from careline.channels import service as channels
from careline.channels.model import MessageState, OutboundMessage
from careline.db.uow import UnitOfWork
from careline.integrations.fhir.resources import Resource, instant, validate
from careline.ivr import service as ivr
from careline.ivr.model import CallRecord

MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
MEDIUM = {"sms": "WRITTEN", "email": "EMAILWRIT", "fax": "FAXWRIT"}
STATUS = {
    MessageState.QUEUED: "in-progress",
    MessageState.SENT: "completed",
    MessageState.DELIVERED: "completed",
    MessageState.FAILED: "not-done",
}


def call_communication(record: CallRecord) -> Resource:
    """Return one IVR call as a Communication (the caller's number is left out)."""
    resource: Resource = {
        "resourceType": "Communication",
        "id": f"call-{record.id}",
        "identifier": [{"system": "urn:careline:call-id", "value": record.call_id}],
        "status": "completed",
        "category": [{"text": "phone call"}],
        "medium": [{"coding": [{"system": MODE, "code": "PHONE"}]}],
        "sent": instant(record.started_at),
        "payload": [{"contentString": f"IVR call, outcome {record.outcome.value}"}],
    }
    if record.patient_id is not None:
        resource["subject"] = {"reference": f"Patient/{record.patient_id}"}
    return resource


def message_communication(message: OutboundMessage) -> Resource:
    """Return one SMS, email or fax as a Communication."""
    resource: Resource = {
        "resourceType": "Communication",
        "id": f"msg-{message.id}",
        "status": STATUS[message.state],
        "category": [{"text": message.channel.value}],
        "medium": [{"coding": [{"system": MODE, "code": MEDIUM[message.channel.value]}]}],
        "recipient": [{"display": message.recipient}],
        "payload": [{"contentString": message.body or message.subject or "-"}],
    }
    if message.sent_at is not None:
        resource["sent"] = instant(message.sent_at)
    if message.delivered_at is not None:
        resource["received"] = instant(message.delivered_at)
    return resource


async def recent_communications(uow: UnitOfWork, *, limit: int) -> list[Resource]:
    """Return the newest calls and messages."""
    calls = await ivr.list_call_records(uow, limit=limit)
    messages = await channels.list_messages(uow, limit=limit)
    found = [call_communication(c) for c in calls] + [message_communication(m) for m in messages]
    return [validate(r) for r in found]
