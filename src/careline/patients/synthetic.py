"""Synthetic patients for the demo hospital and benchmarks (deterministic, valid, unique)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from careline.kit.resident_id import check_character
from careline.patients.model import Gender, PatientDetails, Phone, PhoneLabel

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋"
    "唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平"
    "刚桂英华玉兰萍建国志红梅鹏飞宇浩然子涵欣怡佳琪思雨晨阳"
)
# Region codes that python-stdnum knows for every birth year used here.
REGIONS = ("110101", "110105", "310101", "310104", "440103", "440305", "330106", "510104")
_MOBILE_PREFIXES = ("138", "139", "137", "136", "135", "150", "151", "158", "186", "188")
_EPOCH = date(1940, 1, 1)
_DAYS = (date(2020, 12, 31) - _EPOCH).days


def resident_id(region: str, born: date, order: int) -> str:
    """Build a valid resident ID number; ``order`` odd for men, even for women (0-999)."""
    first = f"{region}{born:%Y%m%d}{order:03d}"
    return first + check_character(first)


def synthetic_id_number(n: int) -> str:
    """Return the resident ID number of synthetic patient ``n``."""
    born = _EPOCH + timedelta(days=n % _DAYS)
    region = REGIONS[(n // _DAYS) % len(REGIONS)]
    order = (n // (_DAYS * len(REGIONS))) % 1000
    return resident_id(region, born, order)


def synthetic_phone(n: int) -> str:
    """Return the E.164 mobile number of synthetic patient ``n``."""
    prefix = _MOBILE_PREFIXES[(n // 100_000_000) % len(_MOBILE_PREFIXES)]
    return f"+86{prefix}{n % 100_000_000:08d}"


def synthetic_patients(count: int, *, seed: int = 1, start: int = 0) -> Iterator[PatientDetails]:
    """Yield ``count`` patients with unique mobile numbers and unique resident ID numbers.

    Uniqueness comes from the index ``n``: its mobile number is a prefix plus 8 digits of
    ``n``, and its ID number combines a birth date, a region and an order code derived from
    ``n`` (8 regions x 29,585 days x 1000 order codes is far more than needed).
    """
    rng = random.Random(seed)
    for n in range(start, start + count):
        id_number = synthetic_id_number(n)
        surname = SURNAMES[rng.randrange(len(SURNAMES))]
        given = "".join(GIVEN[rng.randrange(len(GIVEN))] for _ in range(rng.choice((1, 2))))
        yield PatientDetails(
            name=surname + given,
            gender=Gender.MALE if int(id_number[16]) % 2 else Gender.FEMALE,
            birth_date=_EPOCH + timedelta(days=n % _DAYS),
            id_number=id_number,
            phones=(Phone(synthetic_phone(n), PhoneLabel.MOBILE),),
        )
