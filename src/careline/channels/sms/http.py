"""Tencent Cloud SMS (API 3.0, SendSms 2021-01-11) as an SmsSender.

Theory of operation: one JSON POST to https://sms.tencentcloudapi.com/ with the action in
X-TC-Action and an ``Authorization: TC3-HMAC-SHA256`` header. The signature is an
HMAC-SHA256 chain over the date, the service ("sms") and "tc3_request", applied to a
string that hashes the canonical request (method, path, query, the signed headers
content-type and host, and the SHA-256 of the body). Chinese providers send only texts
registered as templates, so the request carries the template id and its parameters in
order; the answer has one SendStatus per number, whose SerialNo later names the message in
the status callback (parsed by ``parse_status_callback``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from careline.channels.errors import SendFailed
from careline.channels.ports import DeliveryReport, SmsAccepted, SmsRequest, SmsSender

SERVICE = "sms"
ACTION = "SendSms"
API_VERSION = "2021-01-11"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
_RETRYABLE_PREFIXES = ("InternalError", "RequestLimitExceeded", "LimitExceeded")


@dataclass(frozen=True, slots=True)
class TencentSmsConfig:
    """Credentials, the SMS application, the signature name and template ids by name."""

    secret_id: str
    secret_key: str
    sdk_app_id: str
    sign_name: str
    template_ids: Mapping[str, str] = field(default_factory=dict)
    endpoint: str = "https://sms.tencentcloudapi.com"
    region: str = "ap-guangzhou"
    timeout: float = 10.0


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def tc3_signature(
    *, secret_key: str, host: str, payload: bytes, timestamp: int, service: str = SERVICE
) -> tuple[str, str]:
    """Return (credential scope, hex signature) of a POST / with a JSON ``payload``."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical_headers = f"content-type:{CONTENT_TYPE}\nhost:{host}\n"
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            canonical_headers,
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            str(timestamp),
            scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    signing_key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(signing_key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return scope, signature


def authorization_header(secret_id: str, scope: str, signature: str) -> str:
    """Return the Authorization header value for a TC3 signature."""
    return (
        f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders=content-type;host, "
        f"Signature={signature}"
    )


class TencentSmsSender(SmsSender):
    """Send template SMS through Tencent Cloud's HTTP API."""

    name = "tencent"

    def __init__(
        self,
        config: TencentSmsConfig,
        *,
        client: httpx.AsyncClient | None = None,
        now: Callable[[], float] | None = None,
    ) -> None:
        self.config = config
        self._client = client or httpx.AsyncClient(timeout=config.timeout)
        self._now = now or (lambda: datetime.now(UTC).timestamp())

    def build_request(self, request: SmsRequest) -> tuple[dict[str, str], bytes]:
        """Return the headers and body of the SendSms call for ``request``."""
        template_id = self.config.template_ids.get(request.template or "")
        if template_id is None:
            raise SendFailed(
                "Tencent Cloud sends only registered templates; this text has none.",
                retryable=False,
            )
        payload = json.dumps(
            {
                "PhoneNumberSet": [request.to],
                "SmsSdkAppId": self.config.sdk_app_id,
                "SignName": self.config.sign_name,
                "TemplateId": template_id,
                "TemplateParamSet": list(request.template_params),
            },
            ensure_ascii=False,
        ).encode("utf-8")
        timestamp = int(self._now())
        host = urlsplit(self.config.endpoint).netloc
        scope, signature = tc3_signature(
            secret_key=self.config.secret_key, host=host, payload=payload, timestamp=timestamp
        )
        headers = {
            "Authorization": authorization_header(self.config.secret_id, scope, signature),
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": ACTION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": API_VERSION,
            "X-TC-Region": self.config.region,
        }
        return headers, payload

    async def send(self, request: SmsRequest) -> SmsAccepted:
        """Call SendSms; return the SerialNo of the message."""
        headers, payload = self.build_request(request)
        try:
            reply = await self._client.post(
                self.config.endpoint + "/", content=payload, headers=headers
            )
        except httpx.HTTPError as exc:
            raise SendFailed(f"Tencent Cloud could not be reached: {exc}") from exc
        if reply.status_code >= 500:
            raise SendFailed(f"Tencent Cloud answered HTTP {reply.status_code}")
        return self._accepted(reply)

    def _accepted(self, reply: httpx.Response) -> SmsAccepted:
        try:
            body: Any = reply.json()["Response"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SendFailed("Tencent Cloud sent an answer that is not its JSON") from exc
        error = body.get("Error") if isinstance(body, dict) else None
        if error:
            code = str(error.get("Code", ""))
            raise SendFailed(
                f"Tencent Cloud refused the request: {code}",
                retryable=code.startswith(_RETRYABLE_PREFIXES),
            )
        statuses = body.get("SendStatusSet") or []
        if not statuses:
            raise SendFailed("Tencent Cloud's answer names no message")
        status = statuses[0]
        if status.get("Code") != "Ok":
            code = str(status.get("Code"))
            raise SendFailed(
                f"Tencent Cloud refused the message: {code}",
                retryable=code.startswith(_RETRYABLE_PREFIXES),
            )
        return SmsAccepted(self.name, (str(status["SerialNo"]),))

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()


def parse_status_callback(body: bytes) -> list[DeliveryReport]:
    """Parse Tencent Cloud's delivery status push (a JSON list) into reports."""
    try:
        items = json.loads(body)
    except ValueError:
        return []
    if not isinstance(items, list):
        return []
    return [
        DeliveryReport(
            TencentSmsSender.name,
            str(item["sid"]),
            item.get("report_status") == "SUCCESS",
            str(item.get("errmsg", "")),
        )
        for item in items
        if isinstance(item, dict) and "sid" in item
    ]
