from datetime import UTC, date, datetime

import pytest

from careline.patients.duplicates import duplicate_reasons, plan_merge, same_name
from careline.patients.model import (
    MAX_NOTES,
    Consent,
    ConsentSource,
    ConsentTopic,
    DuplicateReason,
    MergeRefused,
    Patient,
    Phone,
    PhoneLabel,
)
from careline.patients.synthetic import resident_id

AT = datetime(2026, 1, 1, tzinfo=UTC)
MOBILE = Phone("+8613800138000")
HOME = Phone("+861065123456", PhoneLabel.HOME)


def patient(pid: int, **fields: object) -> Patient:
    return Patient(**{"id": pid, "name": "张伟", **fields})  # type: ignore[arg-type]


def test_same_id_number_is_a_reason() -> None:
    number = resident_id("110105", date(1980, 1, 1), 1)
    reasons = duplicate_reasons(
        patient(1, id_number=number), patient(2, name="李四", id_number=number)
    )
    assert reasons == {DuplicateReason.SAME_ID_NUMBER}


def test_same_name_and_birth_date_is_a_candidate() -> None:
    a = patient(1, birth_date=date(1980, 1, 1))
    assert duplicate_reasons(a, patient(2, birth_date=date(1980, 1, 1))) == {
        DuplicateReason.SAME_NAME_AND_BIRTH_DATE
    }
    assert not duplicate_reasons(a, patient(2, birth_date=date(1980, 1, 2)))
    assert not duplicate_reasons(patient(1), patient(2))


def test_same_name_and_shared_phone_is_a_candidate() -> None:
    a = patient(1, phones=(MOBILE,))
    assert duplicate_reasons(a, patient(2, phones=(HOME, MOBILE))) == {
        DuplicateReason.SAME_NAME_AND_PHONE
    }
    assert not duplicate_reasons(a, patient(2, name="张薇", phones=(MOBILE,)))


def test_names_compare_without_case_width_or_spacing() -> None:
    assert same_name("John  Smith", "john smith")
    assert same_name("ＡＢＣ", "abc")
    assert not same_name("张伟", "张玮")


def test_merge_moves_phones_tags_notes_and_fills_blanks() -> None:
    number = resident_id("110105", date(1980, 1, 1), 1)
    survivor = patient(1, phones=(MOBILE,), tags=("VIP",), notes="首诊")
    duplicate = patient(
        2,
        phones=(MOBILE, HOME),
        tags=("VIP", "糖尿病"),
        notes="过敏: 青霉素",
        id_number=number,
        email="zw@example.com",
        consents=(Consent(ConsentTopic.SMS, True, AT, ConsentSource.IVR),),
    )
    plan = plan_merge(survivor, duplicate)
    assert plan.survivor.phones == (MOBILE, HOME)
    assert plan.survivor.tags == ("VIP", "糖尿病")
    assert plan.survivor.notes == "首诊\n\n[#2] 过敏: 青霉素"
    assert plan.survivor.id_number == number
    assert plan.survivor.email == "zw@example.com"
    assert plan.survivor.has_consent(ConsentTopic.SMS)
    assert plan.moves_id_number
    assert plan.moved == {"phones": 1, "tags": 1, "notes": True, "filled": ["email", "id_number"]}


def test_merge_keeps_the_survivors_own_values() -> None:
    plan = plan_merge(patient(1, email="a@example.com"), patient(2, email="b@example.com"))
    assert plan.survivor.email == "a@example.com"
    assert not plan.moves_id_number


def test_merge_takes_over_the_guardian_but_never_a_self_link() -> None:
    assert plan_merge(patient(1), patient(2, guardian_id=7)).survivor.guardian_id == 7
    assert plan_merge(patient(1, guardian_id=2), patient(2)).survivor.guardian_id is None
    assert plan_merge(patient(1), patient(2, guardian_id=1)).survivor.guardian_id is None


@pytest.mark.parametrize(
    ("survivor", "duplicate", "why"),
    [
        (patient(1), patient(1), "itself"),
        (patient(1), patient(2, merged_into_id=3), "already merged"),
        (
            patient(1, id_number=resident_id("110105", date(1980, 1, 1), 1)),
            patient(2, id_number=resident_id("110105", date(1980, 1, 1), 3)),
            "different resident ID",
        ),
        (patient(1, notes="a" * MAX_NOTES), patient(2, notes="b"), "too long"),
        (patient(1, guardian_id=2), patient(2, guardian_id=1), "each other"),
    ],
)
def test_merge_is_refused_when_unsafe(survivor: Patient, duplicate: Patient, why: str) -> None:
    with pytest.raises(MergeRefused, match=why):
        plan_merge(survivor, duplicate)
