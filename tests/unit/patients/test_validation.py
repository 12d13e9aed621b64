from datetime import UTC, date, datetime

import pytest

from careline.patients.model import (
    Consent,
    ConsentSource,
    ConsentTopic,
    ContactChannel,
    Gender,
    InvalidPatient,
    PatientDetails,
    Phone,
    PhoneLabel,
    is_minor,
    needs_guardian,
)
from careline.patients.synthetic import resident_id
from careline.patients.validation import (
    PatientInput,
    carry_consents,
    check_guardian,
    name_keys,
    parse_birth_date,
    validate_patient,
)

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
ID_1980 = resident_id("110105", date(1980, 3, 25), 13)  # male


def check(**fields: object) -> PatientDetails:
    data = PatientInput(**{"name": "张伟", **fields})  # type: ignore[arg-type]
    return validate_patient(data, today=TODAY, now=NOW)


def refused(**fields: object) -> dict[str, str]:
    with pytest.raises(InvalidPatient) as caught:
        check(**fields)
    return caught.value.errors


def test_minimal_patient_gets_defaults() -> None:
    details = check()
    assert details.name == "张伟"
    assert details.gender == Gender.UNKNOWN
    assert details.preferred_channel == ContactChannel.VOICE
    assert details.phones == ()


def test_id_number_fills_birth_date_and_gender() -> None:
    details = check(id_number=ID_1980.lower())
    assert details.id_number == ID_1980
    assert details.birth_date == date(1980, 3, 25)
    assert details.gender == Gender.MALE


def test_birth_date_must_agree_with_id_number() -> None:
    assert "birth_date" in refused(id_number=ID_1980, birth_date="1980-03-26")
    assert check(id_number=ID_1980, birth_date="1980/3/25").birth_date == date(1980, 3, 25)


def test_gender_must_agree_with_id_number() -> None:
    assert refused(id_number=ID_1980, gender="female") == {
        "gender": "The gender does not match the resident ID number."
    }
    assert check(id_number=ID_1980, gender="男").gender == Gender.MALE


def test_invalid_id_number_is_reported_on_its_field() -> None:
    assert "id_number" in refused(id_number=ID_1980[:-1] + ("1" if ID_1980[-1] != "1" else "2"))


@pytest.mark.parametrize("typed", ["2023-02-30", "1980-13-01", "yesterday", "31/12/1980"])
def test_impossible_or_unreadable_birth_dates_are_refused(typed: str) -> None:
    assert "birth_date" in refused(birth_date=typed)


def test_future_and_ancient_birth_dates_are_refused() -> None:
    assert refused(birth_date="2026-11-26")["birth_date"] == "The birth date is in the future."
    assert "birth_date" in refused(birth_date="1899-12-31")


def test_birth_date_formats_people_write() -> None:
    assert parse_birth_date("2010年3月5日") == date(2010, 3, 5)
    assert parse_birth_date("20100305") == date(2010, 3, 5)
    assert parse_birth_date(" ") is None


def test_phones_are_normalised_deduplicated_and_labelled() -> None:
    details = check(
        phones=[("138 0013 8000", "mobile"), ("+8613800138000", "home"), ("010-65123456", "home")]
    )
    assert details.phones == (
        Phone("+8613800138000", PhoneLabel.MOBILE),
        Phone("+861065123456", PhoneLabel.HOME),
    )


def test_each_bad_phone_is_reported_by_position() -> None:
    errors = refused(phones=[("13800138000", "mobile"), ("12345", "home"), ("139", "fax")])
    assert set(errors) == {"phones.1", "phones.2", "phones.2.label"}


def test_too_many_phones_are_refused() -> None:
    errors = refused(phones=[(f"1380013800{i}", "mobile") for i in range(6)])
    assert "phones" in errors


def test_oversized_fields_are_refused_each_on_its_field() -> None:
    errors = refused(name="张" * 65, address="路" * 257, notes="x" * 4001, tags="t" * 33)
    assert set(errors) == {"name", "address", "notes", "tags"}


def test_every_bad_field_is_reported_at_once() -> None:
    errors = refused(name="", email="not-an-email", language="fr", preferred_channel="fax")
    assert set(errors) == {"name", "email", "language", "preferred_channel"}


def test_email_domain_is_lower_cased() -> None:
    assert check(email=" Zhang.Wei@Example.COM ").email == "Zhang.Wei@example.com"


def test_sms_preference_needs_a_mobile_and_email_preference_an_email() -> None:
    assert "preferred_channel" in refused(
        preferred_channel="sms", phones=[("010-65123456", "home")]
    )
    assert "preferred_channel" in refused(preferred_channel="email")
    ok = check(preferred_channel="sms", phones=[("13800138000", "mobile")])
    assert ok.preferred_channel == ContactChannel.SMS


def test_consents_record_when_and_how() -> None:
    details = check(consents={"sms": True, "marketing": False}, consent_source="phone_call")
    assert details.has_consent(ConsentTopic.SMS)
    assert not details.has_consent(ConsentTopic.MARKETING)
    assert details.consent(ConsentTopic.SMS) == Consent(
        ConsentTopic.SMS, True, NOW, ConsentSource.PHONE_CALL
    )


def test_unchanged_consent_keeps_its_original_time() -> None:
    earlier = Consent(ConsentTopic.SMS, True, datetime(2020, 1, 1, tzinfo=UTC), ConsentSource.IVR)
    same = Consent(ConsentTopic.SMS, True, NOW, ConsentSource.STAFF)
    withdrawn = Consent(ConsentTopic.SMS, False, NOW, ConsentSource.STAFF)
    assert carry_consents((earlier,), (same,)) == (earlier,)
    assert carry_consents((earlier,), (withdrawn,)) == (withdrawn,)


def test_tags_split_on_commas_and_deduplicate() -> None:
    assert check(tags="糖尿病, VIP，糖尿病").tags == ("糖尿病", "VIP")


def test_name_needs_a_letter_and_no_control_characters() -> None:
    assert "name" in refused(name="123")
    assert "name" in refused(name="张\x00伟")


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("张伟", ("zhangwei", "zw")),
        ("欧阳 娜娜", ("ouyangnana", "oynn")),
        ("John Smith", ("johnsmith", "js")),
        ("李Anna", ("lianna", "la")),
        ("Zoë", ("zoe", "z")),
    ],
)
def test_name_keys_for_pinyin_search(name: str, keys: tuple[str, str]) -> None:
    assert name_keys(name) == keys


def test_minor_is_under_fourteen() -> None:
    assert is_minor(date(2012, 11, 26), TODAY)
    assert not is_minor(date(2012, 11, 25), TODAY)
    assert not is_minor(None, TODAY)
    child = check(birth_date="2020-01-01")
    assert needs_guardian(child, TODAY)


def test_guardian_rules() -> None:
    adult = check(birth_date="1980-01-01")
    teen = check(birth_date="2010-01-01")
    assert check_guardian(1, adult, 2, TODAY) is None
    assert check_guardian(1, adult, 1, TODAY) == "A patient cannot be their own guardian."
    assert check_guardian(1, teen, 2, TODAY) == "A guardian must be an adult."
    assert check_guardian(1, None, 2, TODAY) == "The guardian is not a registered patient."
    circular = check(birth_date="1980-01-01", guardian_id=1)
    assert check_guardian(1, circular, 2, TODAY) == "Two patients cannot be each other's guardian."
