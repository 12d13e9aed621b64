import pytest

from careline.patients.csv_format import CsvFileError, CsvRecord, read_records, to_input


def lines(text: str, encoding: str = "utf-8") -> list[bytes]:
    return text.encode(encoding).splitlines(keepends=True)


def test_chinese_headers_with_bom_are_understood() -> None:
    data = b"\xef\xbb\xbf" + "姓名,手机,身份证号\n张伟,13800138000,\n".encode()
    records = list(read_records(data.splitlines(keepends=True)))
    assert records == [CsvRecord(2, {"name": "张伟", "phone": "13800138000", "id_number": ""})]


def test_english_headers_are_case_insensitive_and_unknown_columns_ignored() -> None:
    records = list(read_records(lines("Name,PHONE,shoe size\nAnn,13800138000,38\n")))
    assert records[0].fields == {"name": "Ann", "phone": "13800138000"}


def test_file_without_name_column_is_refused() -> None:
    with pytest.raises(CsvFileError, match="name"):
        list(read_records(lines("phone\n13800138000\n")))


def test_empty_and_non_utf8_files_are_refused() -> None:
    with pytest.raises(CsvFileError, match="empty"):
        list(read_records([]))
    with pytest.raises(CsvFileError, match="UTF-8"):
        list(read_records(lines("姓名,手机\n", "gbk")))


def test_bad_rows_are_reported_with_their_first_line() -> None:
    text = (
        "name,phone,notes\n"
        "Ann,13800138000,\n"
        "Bob,13800138001\n"
        '"Cy",13800138002,"two\nlines"\n'
        "Di,13800138003,ok\n"
    )
    data = lines(text)
    data.append("Ed,13800138004,备注\n".encode("gbk"))
    records = list(read_records(data))
    assert [(r.line, r.problem is None) for r in records] == [
        (2, True),
        (3, False),
        (4, True),
        (6, True),
        (7, False),
    ]
    assert records[1].problem == "This row has 2 columns; the header has 3."
    assert records[2].fields["notes"] == "two\nlines"
    assert records[4].problem is not None
    assert "UTF-8" in records[4].problem


def test_oversized_field_is_reported() -> None:
    records = list(read_records(lines("name,notes\nAnn," + "x" * 9000 + "\n")))
    assert records[0].problem is not None
    assert "longer" in records[0].problem


def test_broken_quotes_are_reported_and_reading_goes_on() -> None:
    records = list(read_records(lines('name,phone\n"Ann"x,1\nBob,13800138000\n')))
    assert records[0].problem is not None
    assert "quotes" in records[0].problem
    assert records[-1].fields == {"name": "Bob", "phone": "13800138000"}


def test_row_fields_become_patient_input() -> None:
    data, errors = to_input(
        {
            "name": "张伟",
            "phone": "13800138000；13900139000",
            "home_phone": "010-65123456",
            "consent_sms": "是",
            "consent_marketing": "否",
            "lunar_birthday": "yes",
            "language": "英文",
            "preferred_channel": "短信",
            "tags": "VIP,糖尿病",
        }
    )
    assert errors == {}
    assert data is not None
    assert list(data.phones) == [
        ("13800138000", "mobile"),
        ("13900139000", "mobile"),
        ("010-65123456", "home"),
    ]
    assert dict(data.consents) == {"sms": True, "marketing": False}
    assert data.lunar_birthday
    assert (data.language, data.preferred_channel) == ("en", "sms")
    assert data.consent_source == "import"


def test_unreadable_flags_are_reported() -> None:
    data, errors = to_input({"name": "Ann", "consent_sms": "maybe"})
    assert data is None
    assert set(errors) == {"consent_sms"}
