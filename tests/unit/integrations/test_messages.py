"""HL7 v2 reading and writing: fields, escapes, timestamps, ACK codes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from careline.integrations.hl7.adt import identifiers, patient_fields
from careline.integrations.hl7.messages import (
    Hl7Message,
    Hl7Problem,
    app_error,
    build_ack,
    escape,
    parse_ts,
)
from careline.integrations.model import HisIdentifier, IdentifierSystem

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADT = (
    "MSH|^~\\&|HIS|H1|CARELINE|H1|20261125090000||ADT^A04^ADT_A01|C1|P|2.5\r"
    "PID|1||M1^^^H1^MR~11010519491231002X^^^CHN^NNCHN~INS9^^^^SN||张^三||19491231|F|||"
    "中山路1号^^杭州市^浙江省||^PRN^CP^^^^^^^^^13800138000~^NET^Internet^zs@example.cn\r"
)


def test_header_and_fields_are_read() -> None:
    message = Hl7Message(ADT)
    assert (message.header.kind, message.header.control_id) == ("ADT^A04", "C1")
    assert message.header.sender == "HIS^H1"
    assert identifiers(message, "PID", 3) == [
        HisIdentifier(IdentifierSystem.MRN, "M1"),
        HisIdentifier(IdentifierSystem.ID_CARD, "11010519491231002X"),
        HisIdentifier(IdentifierSystem.INSURANCE, "INS9"),
    ]
    fields = patient_fields(message)
    assert (fields.name, fields.gender, str(fields.birth_date)) == ("张三", "female", "1949-12-31")
    assert fields.address == "浙江省杭州市中山路1号"
    assert fields.phones == [("13800138000", "mobile")]
    assert fields.email == "zs@example.cn"


def test_a_latin_name_is_given_name_first() -> None:
    text = ADT.replace("张^三", "Chalmers^Peter")
    assert patient_fields(Hl7Message(text)).name == "Peter Chalmers"


@pytest.mark.parametrize("text", ["", "PID|1", "MSH|^~\\&|A|B|C|D|x||ADT^A04|"])
def test_unusable_messages_are_rejected(text: str) -> None:
    with pytest.raises(Hl7Problem) as refused:
        Hl7Message(text)
    assert refused.value.ack_code == "AR"


def test_escaped_delimiters_round_trip() -> None:
    value = "a|b^c&d~e\\f"
    message = Hl7Message(f"MSH|^~\\&|A|B|C|D|1||ADT^A08|X|P|2.5\rPID|1||||{escape(value)}\r")
    assert message.value("PID", 5) == value


def test_timestamps_use_the_hospital_zone_unless_an_offset_is_given() -> None:
    assert parse_ts("202611250930", SHANGHAI) == datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
    assert parse_ts("20261125093000+0000", SHANGHAI) == datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    with pytest.raises(Hl7Problem):
        parse_ts("2026-11-25", SHANGHAI)


def test_an_error_ack_carries_msa_and_err() -> None:
    header = Hl7Message(ADT).header
    ack = build_ack(
        header,
        code="AE",
        control_id="A1",
        now=datetime(2026, 11, 25, 1, 0, tzinfo=UTC),
        zone=SHANGHAI,
        application="CARELINE",
        facility="H1",
        problem=app_error("204", "Unknown patient."),
    )
    parsed = Hl7Message(ack)
    assert parsed.header.kind == "ACK^A04"
    assert (parsed.value("MSA", 1), parsed.value("MSA", 2)) == ("AE", "C1")
    assert (parsed.value("ERR", 3), parsed.value("ERR", 4), parsed.value("ERR", 8)) == (
        "204",
        "E",
        "Unknown patient.",
    )
    assert parsed.value("MSH", 5) == "HIS"  # answered to the sender
