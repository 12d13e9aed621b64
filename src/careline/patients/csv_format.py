"""The patient CSV file: column names in English or Chinese, rows to PatientInput (pure).

Rows are read from bytes so that one badly encoded line is reported with its number instead
of stopping the whole file; a UTF-8 byte-order mark (as written by Excel) is accepted.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from careline.kit.text import clean
from careline.patients.model import ConsentSource, ConsentTopic, ContactChannel, PatientLanguage
from careline.patients.validation import PatientInput

MAX_FIELD = 8192
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "name": ("name", "姓名"),
    "gender": ("gender", "sex", "性别"),
    "birth_date": ("birth_date", "birthday", "date_of_birth", "出生日期", "生日"),
    "lunar_birthday": ("lunar_birthday", "农历生日"),
    "id_number": ("id_number", "id_card", "resident_id", "身份证号", "身份证号码", "身份证"),
    "phone": ("phone", "mobile", "手机", "手机号", "手机号码", "电话"),
    "home_phone": ("home_phone", "家庭电话", "座机"),
    "work_phone": ("work_phone", "单位电话", "工作电话"),
    "email": ("email", "邮箱", "电子邮箱", "电子邮件"),
    "address": ("address", "地址", "住址"),
    "language": ("language", "语言"),
    "preferred_channel": ("preferred_channel", "channel", "联系方式", "首选联系方式"),
    "consent_voice": ("consent_voice", "同意电话"),
    "consent_sms": ("consent_sms", "同意短信"),
    "consent_email": ("consent_email", "同意邮件"),
    "consent_marketing": ("consent_marketing", "同意营销"),
    "notes": ("notes", "备注"),
    "tags": ("tags", "标签"),
}
_BY_ALIAS = {alias.casefold(): key for key, aliases in COLUMN_NAMES.items() for alias in aliases}
_YES = {"1", "y", "yes", "true", "是", "同意", "√"}
_NO = {"", "0", "n", "no", "false", "否", "不同意", "×"}
_LANGUAGES = {
    "中文": PatientLanguage.ZH_CN,
    "zh": PatientLanguage.ZH_CN,
    "english": PatientLanguage.EN,
    "英文": PatientLanguage.EN,
    "英语": PatientLanguage.EN,
}
_CHANNELS = {
    "电话": ContactChannel.VOICE,
    "语音": ContactChannel.VOICE,
    "短信": ContactChannel.SMS,
    "邮件": ContactChannel.EMAIL,
}


class CsvFileError(ValueError):
    """The file as a whole cannot be imported (no header, no name column)."""


@dataclass(frozen=True, slots=True)
class CsvRecord:
    """One record: its first line number and either its fields or why it is unreadable."""

    line: int
    fields: dict[str, str]
    problem: str | None = None


def map_header(header: list[str]) -> tuple[list[str | None], list[str]]:
    """Return the field each column feeds (None: ignored) and the unknown column names."""
    columns: list[str | None] = []
    unknown: list[str] = []
    for title in header:
        key = _BY_ALIAS.get(clean(title).casefold())
        if key is None and clean(title):
            unknown.append(clean(title))
        if key in columns:
            raise CsvFileError(f"The column {key} appears twice.")
        columns.append(key)
    if "name" not in columns:
        raise CsvFileError("The file needs a name (姓名) column in its first row.")
    return columns, unknown


def read_records(lines: Iterable[bytes]) -> Iterator[CsvRecord]:
    """Yield every record of a CSV file given as byte lines; the header is checked first."""
    bad_lines: set[int] = set()
    reader = csv.reader(_decoded(lines, bad_lines), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvFileError("The file is empty.") from None
    except csv.Error as exc:
        raise CsvFileError("The first row is not valid CSV.") from exc
    if 1 in bad_lines:
        raise CsvFileError("The file is not UTF-8 text; save it as CSV UTF-8.")
    columns, _unknown = map_header(header)
    last_line = reader.line_num
    while True:
        first_line = last_line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            last_line = reader.line_num
            yield CsvRecord(first_line, {}, "This row is not valid CSV (check the quotes).")
            continue
        last_line = reader.line_num
        yield _record(first_line, last_line, row, columns, bad_lines)


def _record(
    first: int, last: int, row: list[str], columns: list[str | None], bad_lines: set[int]
) -> CsvRecord:
    if not row or all(not cell.strip() for cell in row):
        return CsvRecord(first, {}, None)
    if any(first <= n <= last for n in bad_lines):
        return CsvRecord(first, {}, "This row is not UTF-8 text; save the file as CSV UTF-8.")
    if len(row) != len(columns):
        return CsvRecord(
            first, {}, f"This row has {len(row)} columns; the header has {len(columns)}."
        )
    if any(len(cell) > MAX_FIELD for cell in row):
        return CsvRecord(first, {}, f"A field in this row is longer than {MAX_FIELD} characters.")
    fields = {key: cell for key, cell in zip(columns, row, strict=True) if key is not None}
    return CsvRecord(first, fields)


def _decoded(lines: Iterable[bytes], bad_lines: set[int]) -> Iterator[str]:
    for number, raw in enumerate(lines, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            bad_lines.add(number)
            yield raw.decode("utf-8", errors="replace")


def _flag(value: str) -> bool:
    text = clean(value).casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(value)


def to_input(fields: dict[str, str]) -> tuple[PatientInput | None, dict[str, str]]:
    """Turn a record's fields into PatientInput, or return the fields it could not read."""
    errors: dict[str, str] = {}
    flags: dict[str, bool] = {}
    for key in ("lunar_birthday", *(f"consent_{t.value}" for t in ConsentTopic)):
        if key in fields:
            try:
                flags[key] = _flag(fields[key])
            except ValueError:
                errors[key] = "Write yes or no (是/否)."
    if errors:
        return None, errors
    phones = [(text, "mobile") for text in _split(fields.get("phone", ""))]
    phones += [(text, "home") for text in _split(fields.get("home_phone", ""))]
    phones += [(text, "work") for text in _split(fields.get("work_phone", ""))]
    language = clean(fields.get("language", "")) or PatientLanguage.ZH_CN
    channel = clean(fields.get("preferred_channel", "")).casefold() or ContactChannel.VOICE
    data = PatientInput(
        name=fields.get("name", ""),
        gender=fields.get("gender", ""),
        birth_date=fields.get("birth_date") or None,
        lunar_birthday=flags.get("lunar_birthday", False),
        id_number=fields.get("id_number", ""),
        phones=phones,
        email=fields.get("email", ""),
        address=fields.get("address", ""),
        language=_LANGUAGES.get(language.casefold(), language),
        preferred_channel=_CHANNELS.get(channel, channel),
        consents={
            t.value: flags[f"consent_{t.value}"]
            for t in ConsentTopic
            if f"consent_{t.value}" in flags
        },
        consent_source=ConsentSource.IMPORT,
        notes=fields.get("notes", ""),
        tags=fields.get("tags", ""),
    )
    return data, {}


def _split(text: str) -> list[str]:
    return [part for part in text.replace("；", ";").replace("、", ";").split(";") if part.strip()]
