from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from careline.db.uow import UnitOfWork
from careline.patients import service
from careline.patients.model import (
    ConsentTopic,
    DuplicateIdNumber,
    DuplicateReason,
    InvalidGuardian,
    InvalidPatient,
    MergeRefused,
    PatientMerged,
    PatientPage,
    PossibleDuplicate,
    StaleRecord,
)
from careline.patients.synthetic import resident_id
from careline.patients.validation import PatientInput
from careline.staff.audit import access_history

ID_1980 = resident_id("110105", date(1980, 3, 25), 13)


async def register(engine: AsyncEngine, staff_id: int | None = None, **fields: object) -> int:
    data = PatientInput(**{"name": "张伟", **fields})  # type: ignore[arg-type]
    async with UnitOfWork(engine) as uow:
        patient = await service.register_patient(
            uow, data=data, staff_id=staff_id, confirmed_new=True
        )
    return patient.id


@pytest.mark.asyncio
async def test_register_then_read_round_trips_every_field(
    any_engine: AsyncEngine, agent_id: int
) -> None:
    patient_id = await register(
        any_engine,
        agent_id,
        id_number=ID_1980,
        phones=[("138 0013 8000", "mobile")],
        email="zw@example.com",
        address="北京市东城区",
        lunar_birthday=True,
        language="en",
        preferred_channel="sms",
        consents={"sms": True},
        consent_source="phone_call",
        notes="青霉素过敏",
        tags="VIP,糖尿病",
    )
    async with UnitOfWork(any_engine) as uow:
        record = await service.get_patient(
            uow, patient_id=patient_id, staff_id=agent_id, context="GET /patients/1"
        )
    patient = record.patient
    assert (patient.name, patient.name_pinyin, patient.name_initials) == ("张伟", "zhangwei", "zw")
    assert patient.birth_date == date(1980, 3, 25)
    assert patient.phones[0].number == "+8613800138000"
    assert patient.tags == ("VIP", "糖尿病")
    assert patient.has_consent(ConsentTopic.SMS)
    assert patient.lunar_birthday
    assert patient.language == "en"
    assert not record.needs_guardian


@pytest.mark.asyncio
async def test_every_staff_read_is_audited(any_engine: AsyncEngine, agent_id: int) -> None:
    patient_id = await register(any_engine, agent_id)
    for _ in range(2):
        async with UnitOfWork(any_engine) as uow:
            await service.get_patient(uow, patient_id=patient_id, staff_id=agent_id, context="desk")
    async with UnitOfWork(any_engine) as uow:
        history = await access_history(uow.connection, subject="patient", subject_id=patient_id)
    assert [row["action"] for row in history] == ["read", "read", "create"]
    assert history[0]["staff_id"] == agent_id
    assert history[0]["context"] == "desk"


@pytest.mark.asyncio
async def test_same_id_number_is_a_hard_conflict(any_engine: AsyncEngine) -> None:
    first = await register(any_engine, id_number=ID_1980)
    with pytest.raises(DuplicateIdNumber) as caught:
        await register(any_engine, name="李四", id_number=ID_1980)
    assert caught.value.existing_id == first


@pytest.mark.asyncio
async def test_likely_duplicate_needs_confirmation(any_engine: AsyncEngine) -> None:
    first = await register(any_engine, phones=[("13800138000", "mobile")])
    data = PatientInput(name="张伟", phones=[("+86 138 0013 8000", "home")])
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(PossibleDuplicate) as caught:
            await service.register_patient(uow, data=data, staff_id=None)
    assert caught.value.candidate_ids == [first]
    async with UnitOfWork(any_engine) as uow:
        second = await service.register_patient(uow, data=data, staff_id=None, confirmed_new=True)
        candidates = await service.find_duplicates(uow, patient_id=second.id)
    assert [(c.patient.id, c.reasons) for c in candidates] == [
        (first, frozenset({DuplicateReason.SAME_NAME_AND_PHONE}))
    ]


@pytest.mark.asyncio
async def test_update_replaces_details_and_guards_versions(any_engine: AsyncEngine) -> None:
    patient_id = await register(any_engine, phones=[("13800138000", "mobile")])
    data = PatientInput(name="张伟", phones=[("13900139000", "work")], tags=["复诊"])
    async with UnitOfWork(any_engine) as uow:
        updated = await service.update_patient(
            uow, patient_id=patient_id, data=data, staff_id=None, version=1
        )
        assert updated.version == 2
        assert [p.number for p in updated.phones] == ["+8613900139000"]
        with pytest.raises(StaleRecord):
            await service.update_patient(
                uow, patient_id=patient_id, data=data, staff_id=None, version=1
            )
        assert await service.search_patients(uow, query="13800138000") == PatientPage([], 0, 20, 0)


@pytest.mark.asyncio
async def test_update_refuses_another_patients_id_number(any_engine: AsyncEngine) -> None:
    await register(any_engine, id_number=ID_1980)
    other = await register(any_engine, name="李四")
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(DuplicateIdNumber):
            await service.update_patient(
                uow,
                patient_id=other,
                data=PatientInput(name="李四", id_number=ID_1980),
                staff_id=None,
            )


@pytest.mark.asyncio
async def test_invalid_input_writes_nothing(any_engine: AsyncEngine) -> None:
    async with UnitOfWork(any_engine) as uow:
        with pytest.raises(InvalidPatient):
            await service.register_patient(
                uow, data=PatientInput(name="张伟", phones=[("12345", "mobile")]), staff_id=None
            )
        page = await service.search_patients(uow, query="")
    assert page.total == 0


@pytest.mark.asyncio
async def test_guardian_is_recorded_and_must_be_an_adult(any_engine: AsyncEngine) -> None:
    parent = await register(any_engine, name="王芳", birth_date="1985-05-01")
    child = await register(any_engine, name="王小明", birth_date="2020-06-01", guardian_id=parent)
    orphan = await register(any_engine, name="王小红", birth_date="2021-06-01")
    with pytest.raises(InvalidGuardian):
        await register(any_engine, name="王小刚", birth_date="2021-06-01", guardian_id=child)
    async with UnitOfWork(any_engine) as uow:
        record = await service.get_patient(uow, patient_id=parent, staff_id=None, context="t")
        assert [w.id for w in record.wards] == [child]
        child_record = await service.get_patient(uow, patient_id=child, staff_id=None, context="t")
        assert child_record.guardian is not None
        assert child_record.guardian.id == parent
        orphan_record = await service.get_patient(
            uow, patient_id=orphan, staff_id=None, context="t"
        )
        assert orphan_record.needs_guardian


@pytest.mark.asyncio
async def test_merge_moves_everything_and_hides_the_duplicate(
    any_engine: AsyncEngine, agent_id: int
) -> None:
    survivor = await register(any_engine, phones=[("13800138000", "mobile")], tags="VIP")
    duplicate = await register(
        any_engine,
        id_number=ID_1980,
        phones=[("13900139000", "mobile")],
        tags="糖尿病",
        notes="过敏",
    )
    ward = await register(any_engine, name="张小", birth_date="2020-01-01", guardian_id=duplicate)
    async with UnitOfWork(any_engine) as uow:
        merged = await service.merge_patients(
            uow,
            survivor_id=survivor,
            duplicate_id=duplicate,
            staff_id=agent_id,
            reason="same person",
        )
    assert [p.number for p in merged.phones] == ["+8613800138000", "+8613900139000"]
    assert merged.tags == ("VIP", "糖尿病")
    assert merged.id_number == ID_1980
    assert merged.notes == "过敏"
    async with UnitOfWork(any_engine) as uow:
        for query in ("13900139000", ID_1980, "张伟"):
            page = await service.search_patients(uow, query=query)
            assert [p.id for p in page.items] == [survivor]
        record = await service.get_patient(uow, patient_id=ward, staff_id=None, context="t")
        assert record.guardian is not None
        assert record.guardian.id == survivor
        old = await service.get_patient(uow, patient_id=duplicate, staff_id=None, context="t")
        assert old.patient.merged_into_id == survivor
        assert old.merges[0].moved["phones"] == 1
        assert old.merges[0].staff_id == agent_id
        history = await access_history(uow.connection, subject="patient", subject_id=duplicate)
        assert "merge" in [row["action"] for row in history]
        with pytest.raises(PatientMerged):
            await service.update_patient(
                uow, patient_id=duplicate, data=PatientInput(name="张伟"), staff_id=None
            )
        with pytest.raises(MergeRefused):
            await service.merge_patients(
                uow, survivor_id=survivor, duplicate_id=duplicate, staff_id=None
            )


@pytest.mark.asyncio
async def test_losing_a_registration_race_is_still_a_conflict(
    any_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register(any_engine, id_number=ID_1980)

    async def checked_too_early(*_args: object, **_kwargs: object) -> None:
        return None

    # The other registration commits between our check and our insert.
    monkeypatch.setattr(service, "_ensure_id_number_free", checked_too_early)
    with pytest.raises(DuplicateIdNumber) as caught:
        await register(any_engine, name="李四", id_number=ID_1980)
    assert caught.value.existing_id is None


@pytest.mark.asyncio
async def test_a_duplicate_changed_meanwhile_is_not_merged(any_engine: AsyncEngine) -> None:
    from careline.kit.clock import utcnow
    from careline.patients.repository import PatientRepository

    survivor = await register(any_engine)
    duplicate = await register(any_engine, phones=[("13900139000", "mobile")])
    async with UnitOfWork(any_engine) as uow:
        await service.update_patient(
            uow, patient_id=duplicate, data=PatientInput(name="张伟"), staff_id=None
        )
        repo = PatientRepository(uow.connection)
        moved = await repo.mark_merged(
            duplicate, survivor, now=utcnow(), clear_id_number=False, version=1
        )
        still = await repo.get(duplicate)
    assert not moved
    assert still is not None
    assert still.merged_into_id is None
