"""The ``/fhir`` routes: FHIR R4 JSON for system clients holding a bearer token."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from careline.db.uow import UnitOfWork
from careline.integrations import service
from careline.integrations.booking_sync import HisBookingRules
from careline.integrations.fhir import communication_request as requests
from careline.integrations.fhir import face
from careline.integrations.fhir.capability import capability_statement
from careline.integrations.fhir.communication import recent_communications
from careline.integrations.fhir.parse import identifiers_of
from careline.integrations.fhir.resources import Resource, bundle, operation_outcome
from careline.integrations.settings import booking_rules
from careline.kit.errors import CarelineError
from careline.scheduling.model import BookingPolicy

router = APIRouter(prefix="/fhir", tags=["fhir"])
FHIR_JSON = "application/fhir+json"
ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 409: "conflict"}

Count = Annotated[int | None, Query(alias="_count")]
Offset = Annotated[int | None, Query(alias="_offset")]
LastUpdated = Annotated[str | None, Query(alias="_lastUpdated")]


def _answer(body: Resource, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def _since(text: str | None) -> datetime | None:
    """Read ``_lastUpdated=geYYYY-MM-DDThh:mm:ss+zz:zz`` (only "ge"/"gt" are meaningful)."""
    if not text:
        return None
    value = text[2:] if text[:2] in ("ge", "gt") else text
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise face.FhirInvalid("_lastUpdated is not a FHIR date-time.") from exc


async def _guarded(
    request: Request, work: Callable[[UnitOfWork, str], Awaitable[Resource]], status: int = 200
) -> JSONResponse:
    """Authenticate the client, run the use case, answer errors as OperationOutcome."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    try:
        async with UnitOfWork(request.app.state.engine) as uow:
            client = await service.authenticate_client(uow, token=token)
            return _answer(await work(uow, client), status)
    except CarelineError as exc:
        code = ISSUE_CODES.get(exc.status_code, "processing")
        return _answer(operation_outcome(code, exc.message), exc.status_code)


def _searchset(
    request: Request, found: list[Resource], count: int | None, offset: int | None
) -> Resource:
    # Unpaged searches (the directory) pass no count and get no next link.
    page = face.Page.of(count, offset)
    next_url = None
    if count is not None and len(found) >= page.count:
        next_url = str(
            request.url.include_query_params(_count=page.count, _offset=page.offset + page.count)
        )
    return bundle(found, base=_base(request), self_url=str(request.url), next_url=next_url)


def _policy(request: Request) -> BookingPolicy:
    policy: BookingPolicy = getattr(request.app.state, "booking_policy", None) or BookingPolicy()
    return policy


def _rules(request: Request) -> HisBookingRules:
    return booking_rules(request.app.state.settings, request.app.state.clock, _policy(request))


@router.get("/metadata")
async def metadata(request: Request) -> JSONResponse:
    """Return the CapabilityStatement (public, as FHIR requires)."""
    return _answer(capability_statement(_base(request), request.app.state.clock.now()))


@router.get("/Patient/{resource_id}")
async def read_patient(request: Request, resource_id: str) -> JSONResponse:
    """Read one Patient."""
    return await _guarded(
        request, lambda uow, client: face.read_patient(uow, resource_id=resource_id, client=client)
    )


@router.get("/Patient")
async def search_patient(
    request: Request,
    identifier: str | None = None,
    name: str | None = None,
    last_updated: LastUpdated = None,
    count: Count = None,
    offset: Offset = None,
) -> JSONResponse:
    """Search Patients by ``identifier=system|value``, ``name`` or ``_lastUpdated``."""

    async def work(uow: UnitOfWork, client: str) -> Resource:
        wanted = None
        if identifier:
            system, _, value = identifier.rpartition("|")
            found = identifiers_of({"identifier": [{"system": system, "value": value}]})
            if not found:
                raise face.FhirInvalid("The identifier system is not one Careline keeps.")
            wanted = found[0]
        result = await face.search_patients(
            uow,
            client=client,
            identifier=wanted,
            name=name,
            since=_since(last_updated),
            page=face.Page.of(count, offset),
        )
        return _searchset(request, result, count or face.Page().count, offset)

    return await _guarded(request, work)


def _doctor_routes(kind: str) -> None:
    async def read(request: Request, resource_id: str) -> JSONResponse:
        return await _guarded(
            request,
            lambda uow, _client: face.read_doctor_resource(uow, kind=kind, resource_id=resource_id),
        )

    async def search(request: Request, identifier: str | None = None) -> JSONResponse:
        number = identifier.rpartition("|")[2] if identifier else None

        async def work(uow: UnitOfWork, _client: str) -> Resource:
            found = await face.search_doctor_resources(uow, kind=kind, number=number)
            return _searchset(request, found, None, None)

        return await _guarded(request, work)

    router.add_api_route(f"/{kind}/{{resource_id}}", read, methods=["GET"])
    router.add_api_route(f"/{kind}", search, methods=["GET"])


for _kind in face.DOCTOR_KINDS:
    _doctor_routes(_kind)


@router.get("/HealthcareService/{resource_id}")
async def read_service(request: Request, resource_id: str) -> JSONResponse:
    """Read a department."""
    return await _guarded(
        request, lambda uow, _client: face.read_service(uow, resource_id=resource_id)
    )


@router.get("/HealthcareService")
async def search_service(request: Request, name: str | None = None) -> JSONResponse:
    """List departments."""

    async def work(uow: UnitOfWork, _client: str) -> Resource:
        return _searchset(request, await face.search_services(uow, name=name), None, None)

    return await _guarded(request, work)


@router.get("/Slot")
async def search_slot(request: Request, schedule: str, status: str | None = None) -> JSONResponse:
    """Search a Schedule's Slots (``schedule=Schedule/<doctor>``), free or busy."""
    doctor = schedule.rpartition("/")[2]

    async def work(uow: UnitOfWork, _client: str) -> Resource:
        if not doctor.isdigit():
            raise face.FhirInvalid("schedule must be Schedule/<id>.")
        found = await face.search_slots(
            uow, doctor_id=int(doctor), rules=_rules(request), status=status
        )
        return _searchset(request, found, None, None)

    return await _guarded(request, work)


@router.get("/Communication")
async def search_communication(request: Request, count: Count = None) -> JSONResponse:
    """Return the newest calls and messages Careline made."""

    async def work(uow: UnitOfWork, _client: str) -> Resource:
        found = await recent_communications(uow, limit=face.Page.of(count, 0).count)
        return _searchset(request, found, None, None)

    return await _guarded(request, work)


@router.get("/CommunicationRequest/{resource_id}")
async def read_communication_request(request: Request, resource_id: str) -> JSONResponse:
    """Read one planned campaign call or message."""

    async def work(uow: UnitOfWork, _client: str) -> Resource:
        found = None
        if resource_id.isdigit():
            found = await requests.read_request(uow, attempt_id=int(resource_id))
        if found is None:
            raise face.FhirNotFound()
        return found

    return await _guarded(request, work)


@router.get("/CommunicationRequest")
async def search_communication_request(
    request: Request,
    patient: str | None = None,
    status: str | None = None,
    occurrence: Annotated[list[str] | None, Query()] = None,
    count: Count = None,
    offset: Offset = None,
) -> JSONResponse:
    """Search planned campaign contacts by ``patient``, ``status`` and ``occurrence``."""
    patient_id = patient.rpartition("/")[2] if patient else None

    async def work(uow: UnitOfWork, _client: str) -> Resource:
        if patient_id is not None and not patient_id.isdigit():
            raise face.FhirInvalid("patient must be Patient/<id>.")
        page = face.Page.of(count, offset)
        found = await requests.search_requests(
            uow,
            patient_id=int(patient_id) if patient_id else None,
            status=status,
            occurrence=requests.occurrence_bounds(occurrence or [], request.app.state.clock.zone),
            limit=page.count,
            offset=page.offset,
        )
        return _searchset(request, found, page.count, offset)

    return await _guarded(request, work)


@router.get("/Appointment/{resource_id}")
async def read_appointment(request: Request, resource_id: str) -> JSONResponse:
    """Read one Appointment."""
    return await _guarded(
        request, lambda uow, _client: face.read_appointment(uow, resource_id=resource_id)
    )


@router.get("/Appointment")
async def search_appointment(
    request: Request,
    patient: str | None = None,
    status: str | None = None,
    last_updated: LastUpdated = None,
    count: Count = None,
    offset: Offset = None,
) -> JSONResponse:
    """Search Appointments by ``patient=Patient/<id>``, ``status`` and ``_lastUpdated``."""
    patient_id = patient.rpartition("/")[2] if patient else None

    async def work(uow: UnitOfWork, _client: str) -> Resource:
        if patient_id is not None and not patient_id.isdigit():
            raise face.FhirInvalid("patient must be Patient/<id>.")
        found = await face.search_appointments(
            uow,
            patient_id=int(patient_id) if patient_id else None,
            since=_since(last_updated),
            status=status,
            page=face.Page.of(count, offset),
        )
        return _searchset(request, found, count or face.Page().count, offset)

    return await _guarded(request, work)


async def _body(request: Request) -> Resource:
    try:
        body: Any = json.loads(await request.body())
    except ValueError as exc:
        raise face.FhirInvalid("The body is not JSON.") from exc
    if not isinstance(body, dict) or body.get("resourceType") != "Appointment":
        raise face.FhirInvalid("The body must be an Appointment.")
    return body


@router.post("/Appointment")
async def create_appointment(request: Request) -> JSONResponse:
    """Book from an Appointment."""

    async def work(uow: UnitOfWork, _client: str) -> Resource:
        return await face.create_appointment(
            uow, resource=await _body(request), rules=_rules(request)
        )

    return await _guarded(request, work, status=201)


@router.put("/Appointment/{resource_id}")
async def update_appointment(request: Request, resource_id: str) -> JSONResponse:
    """Cancel through an Appointment with status "cancelled"."""

    async def work(uow: UnitOfWork, _client: str) -> Resource:
        return await face.update_appointment(
            uow, resource_id=resource_id, resource=await _body(request), rules=_rules(request)
        )

    return await _guarded(request, work)
