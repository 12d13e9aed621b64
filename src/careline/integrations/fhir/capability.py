"""The CapabilityStatement served at ``/fhir/metadata``."""

from __future__ import annotations

from datetime import datetime

from careline.integrations.fhir.resources import Resource, validate

READ_SEARCH = [{"code": "read"}, {"code": "search-type"}]
RESOURCES: dict[str, tuple[list[dict[str, str]], list[tuple[str, str]]]] = {
    "Patient": (
        READ_SEARCH,
        [("identifier", "token"), ("name", "string"), ("_lastUpdated", "date")],
    ),
    "Practitioner": (READ_SEARCH, [("identifier", "token")]),
    "PractitionerRole": (READ_SEARCH, [("identifier", "token")]),
    "HealthcareService": (READ_SEARCH, [("name", "string")]),
    "Schedule": (READ_SEARCH, [("identifier", "token")]),
    "Slot": (READ_SEARCH[1:], [("schedule", "reference"), ("status", "token")]),
    "Communication": (READ_SEARCH[1:], []),
    "CommunicationRequest": (
        READ_SEARCH,
        [("patient", "reference"), ("status", "token"), ("occurrence", "date")],
    ),
    "Appointment": (
        [*READ_SEARCH, {"code": "create"}, {"code": "update"}],
        [("patient", "reference"), ("status", "token"), ("_lastUpdated", "date")],
    ),
}


def capability_statement(base: str, now: datetime) -> Resource:
    """Return what Careline's FHIR face supports."""
    resources = [
        {
            "type": kind,
            "interaction": interactions,
            "searchParam": [{"name": name, "type": kind_} for name, kind_ in params],
        }
        for kind, (interactions, params) in RESOURCES.items()
    ]
    return validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": now.date().isoformat(),
            "kind": "instance",
            "software": {"name": "Careline"},
            "implementation": {"description": "Careline contact center", "url": base},
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "rest": [
                {
                    "mode": "server",
                    "security": {
                        "service": [{"text": "Bearer token issued to each system client"}]
                    },
                    "resource": resources,
                }
            ],
        }
    )
