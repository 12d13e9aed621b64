"""All SQL of the patients context."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from careline.patients.model import (
    Consent,
    ConsentSource,
    ConsentTopic,
    ContactChannel,
    Gender,
    MergeRecord,
    Patient,
    PatientDetails,
    PatientLanguage,
    Phone,
    PhoneLabel,
)
from careline.patients.queries import (
    BY_ID_NUMBER,
    BY_IDS,
    BY_PHONE,
    CHILDREN,
    search_condition,
)
from careline.patients.search import SearchTerms
from careline.patients.tables import (
    patient_consents,
    patient_merges,
    patient_phones,
    patient_tags,
    patients,
)
from careline.patients.validation import name_keys


def _row_values(details: PatientDetails) -> dict[str, Any]:
    full, initials = name_keys(details.name)
    return {
        "name": details.name,
        "name_pinyin": full,
        "name_initials": initials,
        "gender": details.gender.value,
        "birth_date": details.birth_date,
        "lunar_birthday": details.lunar_birthday,
        "id_number": details.id_number,
        "email": details.email,
        "address": details.address,
        "guardian_id": details.guardian_id,
        "language": details.language.value,
        "preferred_channel": details.preferred_channel.value,
        "notes": details.notes,
    }


class PatientRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    # -- writing -------------------------------------------------------------------------

    async def add(self, details: PatientDetails, *, now: datetime) -> int:
        """Insert a patient with phones, tags and consents; return its id."""
        result = await self.conn.execute(
            patients.insert().values(
                **_row_values(details), version=1, created_at=now, updated_at=now
            )
        )
        assert result.inserted_primary_key is not None
        patient_id = int(result.inserted_primary_key[0])
        await self._write_children(patient_id, details)
        return patient_id

    async def update(
        self, patient_id: int, details: PatientDetails, *, now: datetime, version: int
    ) -> bool:
        """Replace a patient's details if it is still at ``version``; False if it moved on."""
        result = await self.conn.execute(
            patients.update()
            .where(patients.c.id == patient_id, patients.c.version == version)
            .values(**_row_values(details), version=version + 1, updated_at=now)
        )
        if result.rowcount != 1:
            return False
        for table in (patient_phones, patient_tags, patient_consents):
            await self.conn.execute(table.delete().where(table.c.patient_id == patient_id))
        await self._write_children(patient_id, details)
        return True

    async def _write_children(self, patient_id: int, details: PatientDetails) -> None:
        if details.phones:
            await self.conn.execute(
                patient_phones.insert(),
                [
                    {
                        "patient_id": patient_id,
                        "e164": p.number,
                        "label": p.label.value,
                        "position": i,
                    }
                    for i, p in enumerate(details.phones)
                ],
            )
        if details.tags:
            await self.conn.execute(
                patient_tags.insert(),
                [
                    {"patient_id": patient_id, "tag": t, "position": i}
                    for i, t in enumerate(details.tags)
                ],
            )
        if details.consents:
            await self.conn.execute(
                patient_consents.insert(),
                [
                    {
                        "patient_id": patient_id,
                        "topic": c.topic.value,
                        "granted": c.granted,
                        "at": c.at,
                        "source": c.source.value,
                    }
                    for c in details.consents
                ],
            )

    async def bulk_add(self, batch: Sequence[PatientDetails], *, now: datetime) -> list[int]:
        """Insert many patients with phones and tags in three executemany round trips.

        Ids are reserved up front so the inserts need no RETURNING (which SQLite would run
        row by row). Meant for loading demo data and benchmarks, not for concurrent writers.
        """
        if not batch:
            return []
        ids = await self._reserve_ids(len(batch))
        rows = [
            {**_row_values(d), "id": pid, "version": 1, "created_at": now, "updated_at": now}
            for pid, d in zip(ids, batch, strict=True)
        ]
        await self.conn.execute(patients.insert(), rows)
        phone_rows = [
            {"patient_id": pid, "e164": p.number, "label": p.label.value, "position": i}
            for pid, d in zip(ids, batch, strict=True)
            for i, p in enumerate(d.phones)
        ]
        if phone_rows:
            await self.conn.execute(patient_phones.insert(), phone_rows)
        tag_rows = [
            {"patient_id": pid, "tag": t, "position": i}
            for pid, d in zip(ids, batch, strict=True)
            for i, t in enumerate(d.tags)
        ]
        if tag_rows:
            await self.conn.execute(patient_tags.insert(), tag_rows)
        return ids

    async def _reserve_ids(self, count: int) -> list[int]:
        if self.conn.dialect.name == "postgresql":
            # Drawing from the sequence keeps later ordinary inserts from colliding.
            query = sa.text(
                "SELECT nextval(pg_get_serial_sequence('patients', 'id'))"
                " FROM generate_series(1, :count)"
            )
            return [int(row[0]) for row in await self.conn.execute(query, {"count": count})]
        highest = (await self.conn.execute(sa.select(sa.func.max(patients.c.id)))).scalar()
        start = int(highest or 0) + 1
        return list(range(start, start + count))

    # -- reading -------------------------------------------------------------------------

    async def get(self, patient_id: int) -> Patient | None:
        found = await self.get_many([patient_id])
        return found[0] if found else None

    async def get_many(self, ids: Sequence[int]) -> list[Patient]:
        """Return the patients with these ids, in the order given."""
        if not ids:
            return []
        rows = (await self.conn.execute(BY_IDS, {"ids": list(ids)})).all()
        by_id = {p.id: p for p in await self._hydrate(rows)}
        return [by_id[i] for i in ids if i in by_id]

    async def get_by_id_number(self, id_number: str) -> Patient | None:
        rows = (await self.conn.execute(BY_ID_NUMBER, {"id_number": id_number})).all()
        found = await self._hydrate(rows)
        return found[0] if found else None

    async def find_by_phone(self, e164: str) -> list[Patient]:
        """Return the active patients reachable at this E.164 number."""
        rows = (await self.conn.execute(BY_PHONE, {"e164": e164})).all()
        return await self._hydrate(rows)

    async def find_same_name(
        self, name: str, *, birth_date: Any = None, phones: Iterable[str] = ()
    ) -> list[Patient]:
        """Return active patients with this exact name and the birth date or a phone."""
        conditions = []
        if birth_date is not None:
            conditions.append(patients.c.birth_date == birth_date)
        numbers = list(phones)
        if numbers:
            conditions.append(
                patients.c.id.in_(
                    sa.select(patient_phones.c.patient_id).where(patient_phones.c.e164.in_(numbers))
                )
            )
        if not conditions:
            return []
        query = patients.select().where(
            patients.c.name == name, patients.c.merged_into_id.is_(None), sa.or_(*conditions)
        )
        return await self._hydrate((await self.conn.execute(query.limit(50))).all())

    async def wards_of(self, guardian_id: int) -> list[Patient]:
        """Return the active patients who have this guardian."""
        query = patients.select().where(
            patients.c.guardian_id == guardian_id, patients.c.merged_into_id.is_(None)
        )
        return await self._hydrate((await self.conn.execute(query.order_by(patients.c.id))).all())

    async def search(
        self, terms: SearchTerms, *, limit: int, offset: int, card_patient_ids: Sequence[int] = ()
    ) -> tuple[list[Patient], int]:
        """Return one page of active patients matching ``terms`` and the total count."""
        condition, order = search_condition(self.conn.dialect.name, terms, card_patient_ids)
        where = sa.and_(patients.c.merged_into_id.is_(None), condition)
        total = (
            await self.conn.execute(sa.select(sa.func.count()).select_from(patients).where(where))
        ).scalar_one()
        rows = (
            await self.conn.execute(
                patients.select()
                .where(where)
                .order_by(*order, patients.c.id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        return await self._hydrate(rows), int(total)

    async def _hydrate(self, rows: Sequence[Any]) -> list[Patient]:
        if not rows:
            return []
        phones: dict[int, list[Phone]] = defaultdict(list)
        tags: dict[int, list[str]] = defaultdict(list)
        consents: dict[int, list[Consent]] = defaultdict(list)
        for child in await self.conn.execute(CHILDREN, {"ids": [row.id for row in rows]}):
            if child.kind == "p":
                phones[child.patient_id].append(Phone(child.a, PhoneLabel(child.b)))
            elif child.kind == "t":
                tags[child.patient_id].append(child.a)
            else:
                consents[child.patient_id].append(
                    Consent(
                        ConsentTopic(child.a), bool(child.granted), child.at, ConsentSource(child.b)
                    )
                )
        return [
            _patient(row, tuple(phones[row.id]), tuple(tags[row.id]), tuple(consents[row.id]))
            for row in rows
        ]

    # -- merging -------------------------------------------------------------------------

    async def mark_merged(
        self,
        duplicate_id: int,
        survivor_id: int,
        *,
        now: datetime,
        clear_id_number: bool,
        version: int,
    ) -> bool:
        """Point the duplicate (and anything merged into it) at the survivor; move links.

        False (and nothing changed) when the duplicate moved past ``version`` meanwhile.
        """
        values: dict[str, Any] = {
            "merged_into_id": survivor_id,
            "merged_at": now,
            "updated_at": now,
            "version": patients.c.version + 1,
        }
        if clear_id_number:
            values["id_number"] = None
        result = await self.conn.execute(
            patients.update()
            .where(
                patients.c.id == duplicate_id,
                patients.c.version == version,
                patients.c.merged_into_id.is_(None),
            )
            .values(**values)
        )
        if result.rowcount != 1:
            return False
        await self.conn.execute(
            patients.update()
            .where(patients.c.merged_into_id == duplicate_id)
            .values(merged_into_id=survivor_id)
        )
        await self.conn.execute(
            patients.update()
            .where(patients.c.guardian_id == duplicate_id, patients.c.id != survivor_id)
            .values(guardian_id=survivor_id)
        )
        for table in (patient_phones, patient_tags):
            await self.conn.execute(table.delete().where(table.c.patient_id == duplicate_id))
        return True

    async def add_merge_record(
        self,
        *,
        survivor_id: int,
        duplicate_id: int,
        staff_id: int | None,
        now: datetime,
        reason: str,
        moved: dict[str, object],
    ) -> int:
        result = await self.conn.execute(
            patient_merges.insert().values(
                survivor_id=survivor_id,
                duplicate_id=duplicate_id,
                staff_id=staff_id,
                at=now,
                reason=reason,
                moved=moved,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    async def merges_of(self, patient_id: int) -> list[MergeRecord]:
        """Return the merges this patient took part in, oldest first."""
        rows = await self.conn.execute(
            patient_merges.select()
            .where(
                sa.or_(
                    patient_merges.c.survivor_id == patient_id,
                    patient_merges.c.duplicate_id == patient_id,
                )
            )
            .order_by(patient_merges.c.id)
        )
        return [
            MergeRecord(
                row.id,
                row.survivor_id,
                row.duplicate_id,
                row.staff_id,
                row.at,
                row.reason,
                dict(row.moved),
            )
            for row in rows
        ]


def _patient(
    row: Any, phones: tuple[Phone, ...], tags: tuple[str, ...], consents: tuple[Consent, ...]
) -> Patient:
    return Patient(
        id=row.id,
        name=row.name,
        name_pinyin=row.name_pinyin,
        name_initials=row.name_initials,
        gender=Gender(row.gender),
        birth_date=row.birth_date,
        lunar_birthday=row.lunar_birthday,
        id_number=row.id_number,
        phones=phones,
        email=row.email,
        address=row.address,
        guardian_id=row.guardian_id,
        language=PatientLanguage(row.language),
        preferred_channel=ContactChannel(row.preferred_channel),
        consents=consents,
        notes=row.notes,
        tags=tags,
        merged_into_id=row.merged_into_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )
