import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from careline.kit.phones import InvalidPhoneNumber, normalize_phone
from careline.kit.resident_id import InvalidResidentId, validate_resident_id
from careline.patients import model
from careline.patients.model import InvalidPatient
from careline.patients.pages import NAMES
from careline.patients.validation import PatientInput, validate_patient
from careline.web.i18n import catalog

TEMPLATES = Path(model.__file__).parent.parent / "web" / "templates" / "patients"
ZH = catalog("zh-CN")


def template_messages() -> set[str]:
    found: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'_\("([^"]+)"', text)) | set(re.findall(r"_\('([^']+)'", text))
    return found


def test_every_template_string_has_a_chinese_translation() -> None:
    messages = template_messages()
    assert len(messages) > 30
    assert sorted(m for m in messages if m not in ZH) == []


def test_every_stored_value_has_a_translated_display_name() -> None:
    assert sorted(name for name in NAMES.values() if name not in ZH) == []


def test_validation_messages_are_translated() -> None:
    bad = PatientInput(
        name="",
        gender="x",
        birth_date="2099-01-01",
        id_number="123",
        phones=[("1", "fax")],
        email="x",
        address="a" * 300,
        notes="n" * 5000,
        tags=["t" * 40],
        language="fr",
        preferred_channel="fax",
    )
    with pytest.raises(InvalidPatient) as caught:
        validate_patient(bad, today=date(2026, 11, 25), now=datetime(2026, 11, 25, tzinfo=UTC))
    assert sorted(m for m in caught.value.errors.values() if m not in ZH) == []


@pytest.mark.parametrize("typed", ["", "abc", "12345", "1" * 40, "+"])
def test_phone_errors_are_translated(typed: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize_phone(typed)
    assert caught.value.reason in ZH


@pytest.mark.parametrize(
    "typed", ["1", "1101051949123100AX", "110105194912310021", "110105194902300021"]
)
def test_resident_id_errors_are_translated(typed: str) -> None:
    with pytest.raises(InvalidResidentId) as caught:
        validate_resident_id(typed)
    assert caught.value.reason in ZH


def test_refusals_are_translated() -> None:
    errors = [
        model.DuplicateIdNumber(1),
        model.PossibleDuplicate([1]),
        model.StaleRecord(),
        model.PatientMerged(2),
        model.CardSearchUnavailable(),
        model.PatientNotFound("There is no patient with this number."),
    ]
    assert sorted(e.message for e in errors if e.message not in ZH) == []
