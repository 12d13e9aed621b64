"""Synthetic people for the demo: Chinese names, valid resident ID numbers, mobile numbers.

Resident ID numbers (GB 11643) are 6 digits of area, 8 of birth date, 3 of sequence (odd
for men, even for women) and an ISO 7064 check character. Patient ``n`` gets a unique one
without remembering the ones already issued: ``n`` is split into a (birth date, area)
slot, spread by a permutation, and a rank that picks the sequence number inside the slot.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from stdnum.cn import ric

from careline.demo.hospital import GIVEN_CHARACTERS, SURNAMES
from careline.patients.model import Gender, PatientDetails, Phone

# Area codes valid for every birth year in python-stdnum's table, so every number checks.
AREAS = (
    "110101", "110102", "110105", "110106", "110107", "110108", "110109", "120101",
    "120102", "120103", "120104", "120105", "120106", "310101", "310104", "310105",
    "310106", "310107", "310109", "310110", "330122", "330127", "430121", "510121",
)  # fmt: skip
DISTRICTS = ("健康区", "人民区", "东城区", "西城区", "南湖区", "北山区")
ROADS = ("人民路", "解放路", "中山路", "建设路", "和平路", "长江路", "新华路", "光明路")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "155", "156", "157", "158", "159", "176", "177", "180", "181", "182",
                   "183", "185", "186", "187", "188", "189", "191", "199")  # fmt: skip

FIRST_BIRTH = date(1936, 1, 1)
BIRTH_DAYS = 365 * 88
_SLOTS = BIRTH_DAYS * len(AREAS)
_SPREAD = 7_919  # prime not dividing _SLOTS, so the multiplication permutes the slots
_SEQUENCES = 499  # sequence pairs per slot; patient numbers stay unique below 499 * _SLOTS
MAX_PATIENTS = _SEQUENCES * _SLOTS


def resident_id(area: str, birth_date: date, sequence: int) -> str:
    """Return the 18-character resident ID number with its check character."""
    body = f"{area}{birth_date:%Y%m%d}{sequence:03d}"
    # calc_check_digit ignores the last character it is given (it expects a full number).
    return body + str(ric.calc_check_digit(body + "0"))


def patient_identity(number: int, male: bool) -> tuple[date, str]:
    """Return the birth date and unique resident ID number of patient ``number``."""
    if not 0 <= number < MAX_PATIENTS:
        raise ValueError("patient number out of range")
    slot = (number % _SLOTS) * _SPREAD % _SLOTS
    rank = number // _SLOTS
    area_index, day = slot % len(AREAS), slot // len(AREAS)
    birth_date = FIRST_BIRTH + timedelta(days=day)
    # A per-slot offset keeps sequences from all being 001 while staying one-to-one.
    pair = (rank + slot * 31) % _SEQUENCES
    sequence = 2 * pair + (1 if male else 2)
    return birth_date, resident_id(AREAS[area_index], birth_date, sequence)


def chinese_name(rng: random.Random) -> str:
    """Return a plausible Chinese name: a surname and one or two given characters."""
    surname = rng.choice(SURNAMES)
    given = rng.choice(GIVEN_CHARACTERS)
    if rng.random() < 0.7:
        given += rng.choice(GIVEN_CHARACTERS)
    return surname + given


def mobile_number(rng: random.Random) -> str:
    """Return a mainland mobile number in E.164."""
    return f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


def synthetic_patients(count: int, *, seed: int) -> Iterator[PatientDetails]:
    """Yield ``count`` fictional patients, the same ones for the same seed."""
    rng = random.Random(seed)
    for number in range(count):
        male = rng.random() < 0.5
        birth_date, id_number = patient_identity(number, male)
        phones = (Phone(mobile_number(rng)),)
        address = (
            f"示范市{rng.choice(DISTRICTS)}{rng.choice(ROADS)}"
            f"{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(101, 2806)}室"
        )
        yield PatientDetails(
            name=chinese_name(rng),
            gender=Gender.MALE if male else Gender.FEMALE,
            birth_date=birth_date,
            id_number=id_number,
            phones=phones,
            address=address,
        )
