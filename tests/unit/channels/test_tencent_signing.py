"""Tencent Cloud request signing and status callbacks."""

from __future__ import annotations

import json

from careline.channels.ports import SmsRequest
from careline.channels.sms.http import TencentSmsConfig, TencentSmsSender, parse_status_callback
from tests.support.smsc import tc3_expected_signature


def _sender() -> TencentSmsSender:
    config = TencentSmsConfig("AKIDx", "secret", "1400000001", "示例医院", {"one_time_code": "99"})
    return TencentSmsSender(config, now=lambda: 1_764_000_000.0)


def test_request_carries_action_version_and_a_valid_signature() -> None:
    headers, body = _sender().build_request(
        SmsRequest("+8613800138000", "x", "one_time_code", ("482913",))
    )
    assert headers["X-TC-Action"] == "SendSms"
    assert headers["X-TC-Version"] == "2021-01-11"
    assert headers["X-TC-Timestamp"] == "1764000000"
    assert json.loads(body)["TemplateParamSet"] == ["482913"]
    expected = tc3_expected_signature(
        "secret",
        "sms.tencentcloudapi.com",
        body,
        1_764_000_000,
        "content-type;host",
        headers["Content-Type"],
    )
    assert headers["Authorization"] == (
        "TC3-HMAC-SHA256 Credential=AKIDx/2025-11-24/sms/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={expected}"
    )


def test_status_callback_is_parsed_into_reports() -> None:
    body = (
        '[{"user_receive_time": "2026-11-25 10:00:00", "nationcode": "86", '
        '"mobile": "13800138000", "report_status": "FAIL", "errmsg": "UNDELIV", '
        '"description": "用户短信未送达", "sid": "2645:1"}]'
    ).encode()
    [report] = parse_status_callback(body)
    assert (report.provider, report.message_id, report.delivered, report.status) == (
        "tencent",
        "2645:1",
        False,
        "UNDELIV",
    )
    assert parse_status_callback(b"not json") == []
