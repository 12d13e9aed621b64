"""Write and read the audit log of staff access to patient records."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from careline.kit.clock import utcnow
from careline.staff.repository import AuditRepository


async def record_access(
    conn: AsyncConnection,
    *,
    staff_id: int | None,
    action: str,
    subject: str,
    subject_id: int | str,
    context: str,
) -> None:
    """Append one audit row: who did what to which record, and why."""
    await AuditRepository(conn).add(
        at=utcnow(),
        staff_id=staff_id,
        action=action,
        subject=subject,
        subject_id=str(subject_id),
        context=context,
    )


async def access_history(
    conn: AsyncConnection, *, subject: str, subject_id: int | str
) -> list[dict[str, Any]]:
    """Return the audit rows about one record, newest first."""
    return await AuditRepository(conn).for_subject(subject, str(subject_id))


async def recent_access(conn: AsyncConnection, *, limit: int, offset: int) -> list[dict[str, Any]]:
    """Return audit rows newest first, a page at a time."""
    return await AuditRepository(conn).recent(limit=limit, offset=offset)
