"""HTTP face of the staff context: sign-in, accounts, audit log."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from careline.kit.errors import NotFound, PermissionDenied
from careline.staff import extensions, service
from careline.staff.audit import recent_access
from careline.staff.model import InvalidStaffInput, Role, StaffError, StaffMember
from careline.staff.schemas import (
    SignInRequest,
    SignInResponse,
    StaffCreate,
    StaffRead,
    StaffUpdate,
    staff_read,
)
from careline.web.deps import (
    PRE_CSRF_COOKIE,
    SESSION_COOKIE,
    AppClock,
    AppSettings,
    CurrentStaff,
    Uow,
    render,
    require_staff,
)

api = APIRouter(prefix="/api/v1", tags=["staff"])
pages = APIRouter(include_in_schema=False)
Admin = Annotated[StaffMember, Depends(require_staff(Role.ADMIN))]


@api.post("/auth/sign-in", response_model=SignInResponse)
async def api_sign_in(
    body: SignInRequest, uow: Uow, settings: AppSettings, clock: AppClock
) -> SignInResponse:
    """Sign in and receive a bearer token."""
    signed = await service.sign_in(
        uow,
        username=body.username,
        password=body.password,
        clock=clock,
        max_attempts=settings.staff_lockout_attempts,
        lock_minutes=settings.staff_lockout_minutes,
        session_hours=settings.staff_session_hours,
    )
    return SignInResponse(
        token=signed.token, csrf_token=signed.csrf_token, staff=staff_read(signed.staff)
    )


@api.get("/staff/me", response_model=StaffRead)
async def api_me(staff: CurrentStaff) -> StaffRead:
    """Return the signed-in staff member."""
    return staff_read(staff)


@api.get("/staff", response_model=list[StaffRead])
async def api_list_staff(uow: Uow, _admin: Admin) -> list[StaffRead]:
    """List staff accounts (admin)."""
    return [staff_read(m) for m in await service.list_staff(uow)]


@api.post("/staff", response_model=StaffRead, status_code=201)
async def api_create_staff(
    body: StaffCreate, uow: Uow, clock: AppClock, _admin: Admin
) -> StaffRead:
    """Create a staff account (admin)."""
    member = await service.create_staff(
        uow,
        username=body.username,
        display_name=body.display_name,
        roles=frozenset(body.roles),
        password=body.password,
        clock=clock,
        doctor_id=body.doctor_id,
        department_id=body.department_id,
    )
    return staff_read(member)


@api.patch("/staff/{staff_id}", response_model=StaffRead)
async def api_update_staff(staff_id: int, body: StaffUpdate, uow: Uow, _admin: Admin) -> StaffRead:
    """Change a staff account (admin)."""
    member = await service.update_staff(
        uow,
        staff_id=staff_id,
        display_name=body.display_name,
        roles=frozenset(body.roles) if body.roles is not None else None,
        active=body.active,
    )
    return staff_read(member)


@pages.get("/staff/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, next: str = "/staff") -> HTMLResponse:
    return render(request, "staff/sign_in.html", {"next": _safe_next(next)})


@pages.post("/staff/sign-in", response_class=HTMLResponse)
async def sign_in_submit(
    request: Request,
    uow: Uow,
    settings: AppSettings,
    clock: AppClock,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/staff",
) -> Response:
    expected = request.cookies.get(PRE_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        raise PermissionDenied("The form expired; reload the page and try again.")
    try:
        signed = await service.sign_in(
            uow,
            username=username,
            password=password,
            clock=clock,
            max_attempts=settings.staff_lockout_attempts,
            lock_minutes=settings.staff_lockout_minutes,
            session_hours=settings.staff_session_hours,
        )
    except StaffError as exc:
        context = {"next": _safe_next(next), "username": username, "error": exc.message}
        return render(request, "staff/sign_in.html", context, status_code=exc.status_code)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        httponly=True,
        samesite="lax",
        max_age=settings.staff_session_hours * 3600,
    )
    return response


@pages.post("/staff/sign-out")
async def sign_out(request: Request, uow: Uow, _staff: CurrentStaff) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await service.sign_out(uow, token=token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@pages.get("/staff", response_class=HTMLResponse)
async def staff_home(request: Request, staff: CurrentStaff) -> HTMLResponse:
    return render(request, "staff/home.html", {"member": staff})


@pages.get("/admin/staff", response_class=HTMLResponse)
async def staff_list_page(request: Request, uow: Uow, _admin: Admin) -> HTMLResponse:
    members = await service.list_staff(uow)
    return render(request, "staff/list.html", {"members": members, "roles": list(Role)})


@pages.post("/admin/staff", response_class=HTMLResponse)
async def staff_add_page(
    request: Request,
    uow: Uow,
    clock: AppClock,
    _admin: Admin,
    username: Annotated[str, Form(max_length=64)],
    display_name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    roles: Annotated[list[Role], Form()],
) -> Response:
    try:
        await service.create_staff(
            uow,
            username=username,
            display_name=display_name,
            roles=frozenset(roles),
            password=password,
            clock=clock,
        )
    except StaffError as exc:
        members = await service.list_staff(uow)
        context = {
            "members": members,
            "roles": list(Role),
            "error": exc.message,
            "error_field": exc.field,
            "form": {"username": username, "display_name": display_name, "roles": roles},
        }
        return render(request, "staff/list.html", context, status_code=exc.status_code)
    return RedirectResponse("/admin/staff", status_code=303)


@pages.get("/admin/staff/{staff_id}", response_class=HTMLResponse)
async def staff_edit_page(request: Request, staff_id: int, uow: Uow, _admin: Admin) -> HTMLResponse:
    member = await service.get_staff(uow, staff_id=staff_id)
    return render(request, "staff/edit.html", {"member": member, "roles": list(Role)})


@pages.post("/admin/staff/{staff_id}", response_class=HTMLResponse)
async def staff_edit_submit(
    request: Request,
    staff_id: int,
    uow: Uow,
    admin: Admin,
    display_name: Annotated[str, Form(max_length=64)],
    roles: Annotated[list[Role], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    active: Annotated[bool, Form()] = False,
    new_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    try:
        if staff_id == admin.id and (not active or Role.ADMIN not in roles):
            raise InvalidStaffInput("You cannot remove your own admin role or deactivate yourself.")
        await service.update_staff(
            uow, staff_id=staff_id, display_name=display_name, roles=frozenset(roles), active=active
        )
        if new_password:
            await service.reset_password(uow, staff_id=staff_id, password=new_password)
    except StaffError as exc:
        member = await service.get_staff(uow, staff_id=staff_id)
        context = {"member": member, "roles": list(Role), "error": exc.message}
        return render(request, "staff/edit.html", context, status_code=exc.status_code)
    return RedirectResponse("/admin/staff", status_code=303)


@pages.get("/admin/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request,
    uow: Uow,
    _staff: Annotated[StaffMember, Depends(require_staff(Role.ADMIN, Role.SUPERVISOR))],
    page: int = 1,
) -> HTMLResponse:
    page = max(page, 1)
    rows = await recent_access(uow.connection, limit=100, offset=(page - 1) * 100)
    return render(request, "staff/audit.html", {"rows": rows, "page": page})


def _safe_next(target: str) -> str:
    """Only follow local paths after sign-in, never another site."""
    if target.startswith("/") and not target.startswith("//"):
        return target
    return "/staff"


# ---- SIP extensions (careline.staff.extensions) -----------------------------------------


class ExtensionSet(BaseModel):
    extension: str = Field(min_length=2, max_length=8)
    password: str = Field(min_length=1, max_length=128)


class ExtensionRead(BaseModel):
    staff_id: int
    extension: str
    realm: str
    updated_at: datetime


def _extension_read(record: extensions.SipExtension) -> ExtensionRead:
    return ExtensionRead(
        staff_id=record.staff_id,
        extension=record.extension,
        realm=record.realm,
        updated_at=record.updated_at,
    )


@api.get("/staff/me/extension", response_model=ExtensionRead)
async def api_my_extension(uow: Uow, staff: CurrentStaff) -> ExtensionRead:
    """Return the signed-in staff member's SIP extension."""
    record = await extensions.get_extension(uow, staff_id=staff.id)
    if record is None:
        raise NotFound("You have no SIP extension.")
    return _extension_read(record)


@api.get("/staff/{staff_id}/extension", response_model=ExtensionRead)
async def api_get_extension(staff_id: int, uow: Uow, _admin: Admin) -> ExtensionRead:
    """Return a staff member's SIP extension (admin)."""
    record = await extensions.get_extension(uow, staff_id=staff_id)
    if record is None:
        raise NotFound("This staff member has no SIP extension.")
    return _extension_read(record)


@api.put("/staff/{staff_id}/extension", response_model=ExtensionRead)
async def api_set_extension(
    staff_id: int, body: ExtensionSet, uow: Uow, clock: AppClock, _admin: Admin
) -> ExtensionRead:
    """Set or reset a staff member's extension and SIP password (admin)."""
    record = await extensions.set_extension(
        uow, staff_id=staff_id, extension=body.extension, password=body.password, clock=clock
    )
    return _extension_read(record)


@api.delete("/staff/{staff_id}/extension", status_code=204)
async def api_remove_extension(staff_id: int, uow: Uow, _admin: Admin) -> Response:
    """Take a staff member's extension away (admin)."""
    await extensions.remove_extension(uow, staff_id=staff_id)
    return Response(status_code=204)


@pages.get("/staff/extension", response_class=HTMLResponse)
async def my_extension_page(request: Request, uow: Uow, staff: CurrentStaff) -> HTMLResponse:
    record = await extensions.get_extension(uow, staff_id=staff.id)
    return render(request, "staff/extension_mine.html", {"member": staff, "record": record})


@pages.get("/admin/staff/{staff_id}/extension", response_class=HTMLResponse)
async def extension_page(request: Request, staff_id: int, uow: Uow, _admin: Admin) -> HTMLResponse:
    member = await service.get_staff(uow, staff_id=staff_id)
    record = await extensions.get_extension(uow, staff_id=staff_id)
    return render(request, "staff/extension_edit.html", {"member": member, "record": record})


@pages.post("/admin/staff/{staff_id}/extension", response_class=HTMLResponse)
async def extension_submit(
    request: Request,
    staff_id: int,
    uow: Uow,
    clock: AppClock,
    _admin: Admin,
    extension: Annotated[str, Form(max_length=16)] = "",
    sip_password: Annotated[str, Form(max_length=256)] = "",
    remove: Annotated[bool, Form()] = False,
) -> Response:
    member = await service.get_staff(uow, staff_id=staff_id)
    try:
        if remove:
            await extensions.remove_extension(uow, staff_id=staff_id)
        else:
            await extensions.set_extension(
                uow, staff_id=staff_id, extension=extension, password=sip_password, clock=clock
            )
    except StaffError as exc:
        record = await extensions.get_extension(uow, staff_id=staff_id)
        context = {"member": member, "record": record, "error": exc.message, "form": extension}
        return render(request, "staff/extension_edit.html", context, status_code=exc.status_code)
    return RedirectResponse(f"/admin/staff/{staff_id}/extension?saved=1", status_code=303)
