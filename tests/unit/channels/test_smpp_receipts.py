"""SMPP delivery receipts read from the TLVs or from the receipt text."""

from __future__ import annotations

from typing import Any

from careline.channels.sms.smpp import make_pdu, parse_pdu, parse_receipt


def _receipt(**fields: Any) -> Any:
    return parse_pdu(make_pdu("deliver_sm", 3, esm_class=0x04, **fields))


def test_receipt_text_gives_id_and_status() -> None:
    text = b"id:7f3a sub:001 dlvr:000 submit date:2611251200 done date:2611251300 stat:EXPIRED"
    report = parse_receipt(_receipt(short_message=text))
    assert report is not None
    assert (report.message_id, report.delivered, report.status) == ("7f3a", False, "EXPIRED")


def test_tlvs_alone_are_enough() -> None:
    report = parse_receipt(_receipt(receipted_message_id="abc", message_state=2))
    assert report is not None
    assert (report.message_id, report.delivered, report.status) == ("abc", True, "DELIVRD")


def test_receipt_naming_no_message_is_ignored() -> None:
    assert parse_receipt(_receipt(short_message=b"hello")) is None
