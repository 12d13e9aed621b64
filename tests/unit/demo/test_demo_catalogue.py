"""The demo hospital's fixed data obeys the directory's own rules."""

from __future__ import annotations

from careline.demo.drugs import DRUGS, USAGE_NOTES
from careline.demo.hospital import ARTICLES, DEPARTMENTS, DOCUMENTS, HOSPITAL, INSTRUCTIONS
from careline.directory.model import Drug
from careline.directory.validation import (
    validate_article,
    validate_document,
    validate_drug,
    validate_hospital,
    validate_instruction,
)
from careline.kit.money import parse_yuan


def test_drugs_are_many_distinct_and_valid() -> None:
    assert len(DRUGS) >= 100
    assert len({row[0] for row in DRUGS}) == len(DRUGS)
    for index, (zh, en, spec, unit, price, category) in enumerate(DRUGS):
        drug = Drug(
            code=str(860001 + index), name_zh=zh, name_en=en, specification=spec, unit=unit,
            price=parse_yuan(price), category=category, usage_notes=USAGE_NOTES[category],
        )  # fmt: skip
        assert validate_drug(drug) == drug
        assert 0 < drug.price < 1_000_00


def test_departments_cover_the_common_clinics_and_parents_come_first() -> None:
    names = [row[0] for row in DEPARTMENTS]
    assert len(names) >= 12
    for needed in ("内科", "心血管内科", "外科", "骨科", "妇产科", "儿科", "眼科", "急诊科"):
        assert needed in names
    for position, row in enumerate(DEPARTMENTS):
        parent = row[2]
        assert not parent or names.index(parent) < position
        assert len(row[4]) == len(row[5])


def test_texts_are_valid_and_bilingual() -> None:
    assert validate_hospital(HOSPITAL) == HOSPITAL
    for article in ARTICLES:
        validate_article(article)
    for instruction in INSTRUCTIONS:
        validate_instruction(instruction)
    for document in DOCUMENTS:
        validate_document(document)
    assert {a.language for a in ARTICLES} == {"zh-CN", "en"}
    assert {i.language for i in INSTRUCTIONS} == {"zh-CN", "en"}
