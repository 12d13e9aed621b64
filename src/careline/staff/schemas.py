"""REST shapes of the staff context."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from careline.staff.model import Role


class SignInRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class SignInResponse(BaseModel):
    token: str
    csrf_token: str
    staff: StaffRead


class StaffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    roles: list[Role]
    active: bool
    doctor_id: int | None
    department_id: int | None


class StaffCreate(BaseModel):
    username: str = Field(min_length=3, max_length=32)
    display_name: str = Field(min_length=1, max_length=64)
    roles: list[Role] = Field(min_length=1)
    password: str = Field(min_length=10, max_length=256)
    doctor_id: int | None = None
    department_id: int | None = None


class StaffUpdate(BaseModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=64)
    roles: list[Role] | None = None
    active: bool | None = None


def staff_read(member: object) -> StaffRead:
    read = StaffRead.model_validate(member)
    read.roles = sorted(read.roles)
    return read


SignInResponse.model_rebuild()
