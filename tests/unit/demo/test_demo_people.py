"""Synthetic demo people: valid, unique resident ID numbers and plausible contacts."""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
import pytest
from stdnum.cn import ric

from careline.demo.people import (
    AREAS,
    MAX_PATIENTS,
    chinese_name,
    patient_identity,
    resident_id,
    synthetic_patients,
)
from careline.patients.model import Gender


def test_resident_id_has_the_gb11643_check_character() -> None:
    # The example number from GB 11643 ends in X.
    assert resident_id("110105", date(1949, 12, 31), 2) == "11010519491231002X"


@pytest.mark.parametrize("number", [0, 1, 2, 770_879, 770_880, 5_000_000, MAX_PATIENTS - 1])
def test_identity_is_valid_and_matches_the_gender(number: int) -> None:
    for male in (True, False):
        birth_date, id_number = patient_identity(number, male)
        assert ric.is_valid(id_number)
        assert ric.get_birth_date(id_number) == birth_date
        assert (int(id_number[16]) % 2 == 1) is male
        assert id_number[:6] in AREAS


def test_identities_are_unique_across_slot_wraparound() -> None:
    # Numbers far apart share a slot when they differ by a multiple of the slot count.
    numbers = [*range(3000), *range(770_000, 773_000), *range(1_540_000, 1_543_000)]
    ids = {patient_identity(n, n % 3 == 0)[1] for n in numbers}
    assert len(ids) == len(numbers)


def test_out_of_range_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        patient_identity(MAX_PATIENTS, True)


def test_same_seed_same_patients_and_fields_are_plausible() -> None:
    first = list(synthetic_patients(300, seed=7))
    assert first == list(synthetic_patients(300, seed=7))
    assert first != list(synthetic_patients(300, seed=8))
    assert len({p.id_number for p in first}) == 300
    for patient in first:
        assert 2 <= len(patient.name) <= 3
        assert patient.gender in (Gender.MALE, Gender.FEMALE)
        assert patient.id_number is not None
        assert ric.is_valid(patient.id_number)
        (phone,) = patient.phones
        assert re.fullmatch(r"\+861[3-9]\d{9}", phone.number)
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone.number))
        assert patient.address.startswith("示范市")


def test_chinese_name_starts_with_a_listed_surname() -> None:
    import random

    from careline.demo.hospital import SURNAMES

    rng = random.Random(1)
    names = [chinese_name(rng) for _ in range(200)]
    assert all(name[0] in SURNAMES for name in names)
    assert {len(name) for name in names} == {2, 3}
