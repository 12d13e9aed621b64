from careline.kit.phones import normalize_phone
from careline.kit.resident_id import birth_date_of, validate_resident_id
from careline.patients.synthetic import synthetic_id_number, synthetic_patients, synthetic_phone


def test_synthetic_patients_are_valid_and_unique() -> None:
    patients = list(synthetic_patients(3000, start=29_000))
    assert len({p.id_number for p in patients}) == 3000
    assert len({p.phones[0].number for p in patients}) == 3000
    for p in patients[::97]:
        assert p.id_number is not None
        assert validate_resident_id(p.id_number) == p.id_number
        assert birth_date_of(p.id_number) == p.birth_date
        assert normalize_phone(p.phones[0].number) == p.phones[0].number


def test_lookup_keys_can_be_derived_without_generating() -> None:
    patient = next(synthetic_patients(1, start=987_654))
    assert patient.id_number == synthetic_id_number(987_654)
    assert patient.phones[0].number == synthetic_phone(987_654)
    assert synthetic_id_number(999_999) != synthetic_id_number(999_999 - 236_680)
