"""All SQL of the staff context."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.staff.model import Credentials, Role, StaffMember

if TYPE_CHECKING:
    from careline.staff.extensions import SipExtension
from careline.staff.tables import (
    audit_log,
    staff_members,
    staff_sessions,
    staff_sip_extensions,
)


def _member(row: Any) -> StaffMember:
    return StaffMember(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        roles=frozenset(Role(r) for r in row.roles.split(",") if r),
        active=row.active,
        doctor_id=row.doctor_id,
        department_id=row.department_id,
        language=row.language,
    )


class StaffRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(
        self,
        *,
        username: str,
        display_name: str,
        roles: frozenset[Role],
        password_hash: str,
        now: datetime,
        doctor_id: int | None = None,
        department_id: int | None = None,
        language: str = "zh-CN",
    ) -> int:
        result = await self.conn.execute(
            staff_members.insert().values(
                username=username,
                display_name=display_name,
                roles=",".join(sorted(roles)),
                password_hash=password_hash,
                active=True,
                doctor_id=doctor_id,
                department_id=department_id,
                language=language,
                failed_attempts=0,
                created_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    async def get(self, staff_id: int) -> StaffMember | None:
        row = (
            await self.conn.execute(staff_members.select().where(staff_members.c.id == staff_id))
        ).first()
        return _member(row) if row else None

    async def by_username(self, username: str) -> StaffMember | None:
        row = (
            await self.conn.execute(
                staff_members.select().where(staff_members.c.username == username)
            )
        ).first()
        return _member(row) if row else None

    async def exists(self, username: str) -> bool:
        return await self.by_username(username) is not None

    async def list(self) -> list[StaffMember]:
        rows = await self.conn.execute(staff_members.select().order_by(staff_members.c.username))
        return [_member(row) for row in rows]

    async def credentials(self, username: str) -> Credentials | None:
        row = (
            await self.conn.execute(
                sa.select(
                    staff_members.c.id,
                    staff_members.c.password_hash,
                    staff_members.c.failed_attempts,
                    staff_members.c.locked_until,
                ).where(staff_members.c.username == username, staff_members.c.active.is_(True))
            )
        ).first()
        if row is None:
            return None
        return Credentials(row.id, row.password_hash, row.failed_attempts, row.locked_until)

    async def record_failure(
        self, staff_id: int, *, attempts: int, locked_until: datetime | None
    ) -> None:
        await self.conn.execute(
            staff_members.update()
            .where(staff_members.c.id == staff_id)
            .values(failed_attempts=attempts, locked_until=locked_until)
        )

    async def record_sign_in(self, staff_id: int, now: datetime) -> None:
        await self.conn.execute(
            staff_members.update()
            .where(staff_members.c.id == staff_id)
            .values(failed_attempts=0, locked_until=None, last_sign_in_at=now)
        )

    async def update(self, staff_id: int, **values: Any) -> None:
        if "roles" in values:
            values["roles"] = ",".join(sorted(values["roles"]))
        await self.conn.execute(
            staff_members.update().where(staff_members.c.id == staff_id).values(**values)
        )

    async def count(self) -> int:
        return int(
            (
                await self.conn.execute(sa.select(sa.func.count()).select_from(staff_members))
            ).scalar_one()
        )


class SessionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(
        self, *, token_hash: str, staff_id: int, csrf_token: str, now: datetime, expires: datetime
    ) -> None:
        await self.conn.execute(
            staff_sessions.insert().values(
                token_hash=token_hash,
                staff_id=staff_id,
                csrf_token=csrf_token,
                created_at=now,
                expires_at=expires,
            )
        )

    async def find(self, token_hash: str, now: datetime) -> tuple[StaffMember, str] | None:
        row = (
            await self.conn.execute(
                sa.select(staff_members, staff_sessions.c.csrf_token)
                .join(staff_sessions, staff_sessions.c.staff_id == staff_members.c.id)
                .where(
                    staff_sessions.c.token_hash == token_hash,
                    staff_sessions.c.expires_at > now,
                    staff_members.c.active.is_(True),
                )
            )
        ).first()
        return (_member(row), row.csrf_token) if row else None

    async def delete(self, token_hash: str) -> None:
        await self.conn.execute(
            staff_sessions.delete().where(staff_sessions.c.token_hash == token_hash)
        )

    async def delete_for(self, staff_id: int) -> None:
        await self.conn.execute(
            staff_sessions.delete().where(staff_sessions.c.staff_id == staff_id)
        )


class AuditRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(
        self,
        *,
        at: datetime,
        staff_id: int | None,
        action: str,
        subject: str,
        subject_id: str,
        context: str,
    ) -> None:
        await self.conn.execute(
            audit_log.insert().values(
                at=at,
                staff_id=staff_id,
                action=action,
                subject=subject,
                subject_id=subject_id,
                context=context[:256],
            )
        )

    async def for_subject(self, subject: str, subject_id: str) -> list[dict[str, Any]]:
        rows = await self.conn.execute(
            sa.select(audit_log, staff_members.c.username)
            .outerjoin(staff_members, staff_members.c.id == audit_log.c.staff_id)
            .where(audit_log.c.subject == subject, audit_log.c.subject_id == subject_id)
            .order_by(audit_log.c.id.desc())
        )
        return [dict(row._mapping) for row in rows]

    async def recent(self, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        rows = await self.conn.execute(
            sa.select(audit_log, staff_members.c.username)
            .outerjoin(staff_members, staff_members.c.id == audit_log.c.staff_id)
            .order_by(audit_log.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [dict(row._mapping) for row in rows]


class ExtensionRepository:
    """SQL of the SIP extensions (``careline.staff.extensions``)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    @staticmethod
    def _extension(row: Any) -> SipExtension:
        # Imported here: the extensions module imports this one for its service functions.
        from careline.staff.extensions import SipExtension

        return SipExtension(
            staff_id=row.staff_id,
            extension=row.extension,
            realm=row.realm,
            ha1_md5=row.ha1_md5,
            ha1_sha256=row.ha1_sha256,
            updated_at=row.updated_at,
        )

    async def for_staff(self, staff_id: int) -> SipExtension | None:
        result = await self.conn.execute(
            sa.select(staff_sip_extensions).where(staff_sip_extensions.c.staff_id == staff_id)
        )
        row = result.first()
        return self._extension(row) if row else None

    async def by_extension(self, extension: str) -> SipExtension | None:
        result = await self.conn.execute(
            sa.select(staff_sip_extensions).where(staff_sip_extensions.c.extension == extension)
        )
        row = result.first()
        return self._extension(row) if row else None

    async def active_by_extension(self, extension: str) -> SipExtension | None:
        query = (
            sa.select(staff_sip_extensions)
            .join(staff_members, staff_members.c.id == staff_sip_extensions.c.staff_id)
            .where(
                staff_sip_extensions.c.extension == extension,
                staff_members.c.active.is_(True),
            )
        )
        row = (await self.conn.execute(query)).first()
        return self._extension(row) if row else None

    async def save(self, record: SipExtension) -> None:
        values = {
            "extension": record.extension,
            "realm": record.realm,
            "ha1_md5": record.ha1_md5,
            "ha1_sha256": record.ha1_sha256,
            "updated_at": record.updated_at,
        }
        table = staff_sip_extensions
        result = await self.conn.execute(
            table.update().where(table.c.staff_id == record.staff_id).values(**values)
        )
        if result.rowcount == 0:
            await self.conn.execute(table.insert().values(staff_id=record.staff_id, **values))

    async def delete(self, staff_id: int) -> None:
        await self.conn.execute(
            staff_sip_extensions.delete().where(staff_sip_extensions.c.staff_id == staff_id)
        )
