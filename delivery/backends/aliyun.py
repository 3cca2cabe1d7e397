"""SMS through Alibaba Cloud Short Message Service (Dysmsapi ``SendSms``, API version
2017-05-25), RPC style: a signed GET per message over a kept-alive connection.

Signature (HMAC-SHA1, version 1.0): every parameter but ``Signature`` percent-encoded
(RFC 3986, ``~`` kept), sorted by name, joined as the canonical query; the string to
sign is ``GET&%2F&`` + that query percent-encoded once more; the key is the
AccessKeySecret followed by ``&``.

Options (``DELIVERY_CHANNELS["sms"]``): ``URL`` (default the public endpoint),
``TOKEN`` = AccessKeyId, ``SECRET`` = AccessKeySecret, ``SIGN_NAME`` (default: the
sender brand's SMS signature, read when the backend is made), ``TEMPLATE``
(a TemplateCode whose only variable is ``${content}``), optional ``REGION``.

Aliyun has no idempotency key: ``OutId`` (our message key) only comes back in receipts,
so a message resent after a sender died may reach the handset twice. Hence, per message:
a connection that cannot be opened, flow control (``isv.BUSINESS_LIMIT_CONTROL``,
``Throttling.*``) and Aliyun's own faults are retried — Aliyun certainly does not have the
message; a timeout or a lost connection after the request went out, or an answer that
cannot be read, is **uncertain** and never posted again automatically; a message whose
request cannot even be built fails on its own.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from urllib.parse import quote

from carecrm.core.branding.selectors import current_brand
from delivery.backends.base import ChannelBackend, OutgoingMessage, SendResult
from delivery.backends.connection import (
    AnswerLost,
    ProviderConnection,
    ProviderUnreachable,
)

DEFAULT_URL = "https://dysmsapi.aliyuncs.com/"
API_VERSION = "2017-05-25"
# Codes that mean "not now": per-number flow control, throttling, Aliyun's own faults.
TRANSIENT_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL",
    "isp.SYSTEM_ERROR",
    "ServiceUnavailable",
    "InternalError",
}
TRANSIENT_PREFIXES = ("Throttling",)


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's POP signature wants it: space as %20, ``~`` kept."""
    return quote(str(value), safe="-_.~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(
        f"{percent_encode(name)}={percent_encode(value)}"
        for name, value in sorted(params.items())
        if name != "Signature"
    )


def signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def aliyun_number(mobile: str) -> str:
    """Aliyun wants mainland numbers as 11 digits and others as country code + number,
    both without ``+``."""
    digits = mobile.strip().lstrip("+")
    if digits.startswith("86") and len(digits) == 13:
        return digits[2:]
    return digits


def is_transient(code: str) -> bool:
    return code in TRANSIENT_CODES or code.startswith(TRANSIENT_PREFIXES)


class AliyunSmsBackend(ChannelBackend):
    batch_size = 20

    def __init__(self, channel: str, options: dict | None = None) -> None:
        super().__init__(channel, options)
        self.options = dict(self.options)
        if not self.options.get("SIGN_NAME"):
            # One signature for the SMS checks and the gateway, unless operations pin one.
            self.options["SIGN_NAME"] = current_brand().sms_signature
        self.provider = ProviderConnection(
            self.options.get("URL") or DEFAULT_URL, setting=f"DELIVERY_{channel.upper()}_URL"
        )
        missing = [
            name
            for name in ("TOKEN", "SECRET", "SIGN_NAME", "TEMPLATE")
            if not self.options.get(name)
        ]
        if missing:
            raise ValueError(
                "The Aliyun SMS backend needs "
                + ", ".join(f"DELIVERY_{channel.upper()}_{name}" for name in missing)
                + (
                    " (or an SMS signature on the sender brand page)"
                    if "SIGN_NAME" in missing
                    else ""
                )
            )

    def params(self, message: OutgoingMessage, *, nonce: str, timestamp: str) -> dict[str, str]:
        params = {
            "AccessKeyId": self.options["TOKEN"],
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": message.key,
            "PhoneNumbers": aliyun_number(message.to),
            "RegionId": self.options.get("REGION") or "cn-hangzhou",
            "SignName": self.options["SIGN_NAME"],
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "TemplateCode": self.options["TEMPLATE"],
            "TemplateParam": json.dumps({"content": message.body}, ensure_ascii=False),
            "Timestamp": timestamp,
            "Version": API_VERSION,
        }
        params["Signature"] = signature(params, self.options["SECRET"])
        return params

    def query(self, message: OutgoingMessage) -> str:
        timestamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        params = self.params(message, nonce=str(uuid.uuid4()), timestamp=timestamp)
        return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items())

    def _get(self, query: str) -> tuple[int, bytes]:
        return self.provider.request("GET", f"{self.provider.path}?{query}")

    def send_one(self, message: OutgoingMessage) -> SendResult:
        try:
            query = self.query(message)
        except Exception as exc:  # e.g. a text that cannot be encoded: this message only
            return SendResult.failed(
                message, f"cannot build the request: {type(exc).__name__}: {exc}", "request"
            )
        try:
            status, raw = self._get(query)
        except ProviderUnreachable as exc:  # nothing was sent
            return SendResult.retry(message, f"Aliyun unreachable: {exc}", "connection")
        except AnswerLost as exc:  # timed out, reset, hung up: Aliyun may have it
            return SendResult.uncertain(
                message, f"no answer from Aliyun after the request was sent: {exc}", "lost"
            )
        return self._answer(message, status, raw)

    def _answer(self, message: OutgoingMessage, status: int, raw: bytes) -> SendResult:
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        code = str(answer.get("Code") or "")
        text = str(answer.get("Message") or raw[:200].decode(errors="replace"))
        if code == "OK":
            return SendResult.sent(message, provider_id=str(answer.get("BizId") or ""))
        if status == 504 and not code:
            # A gateway in front of Aliyun gave up waiting: Aliyun may have the message.
            return SendResult.uncertain(message, f"HTTP 504: {text}", "504")
        if status >= 500 or status in (408, 429) or is_transient(code):
            return SendResult.retry(
                message, f"{code or f'HTTP {status}'}: {text}", code or str(status)
            )
        if not code and status == 200:
            # An answer that does not say what became of the message.
            return SendResult.uncertain(message, f"unreadable answer: {text}", "unreadable")
        return SendResult.failed(message, text or code, code or str(status))

    def send_many(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        for index, message in enumerate(messages):
            result = self.send_one(message)
            results.append(result)
            if result.code == "connection":
                # Aliyun cannot be reached: the rest waits too, without a connect each.
                return results + [
                    SendResult.retry(pending, result.error, "connection")
                    for pending in messages[index + 1 :]
                ]
        return results

    def close(self) -> None:
        self.provider.close()
