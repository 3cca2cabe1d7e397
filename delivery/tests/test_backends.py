"""Channel backends against local stand-ins for the providers: the JSON gateway
(``delivery.standin``) and Alibaba Cloud SMS (a stand-in below that checks
every request's signature the way Aliyun does and answers in Aliyun's format)."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.utils import timezone

from campaigns.models import FrequencyCap, MessageStatus, OutboxMessage, QuietHours
from campaigns.services.dispatch import touches_dispatch
from campaigns.sources import campaign_source
from delivery.backends import OutgoingMessage, SendOutcome, get_backend
from delivery.backends.aliyun import AliyunSmsBackend, signature
from delivery.backends.http import HttpGatewayBackend
from delivery.services.sending import messages_send
from delivery.standin import GatewayStandIn
from delivery.tests.senders import consenting_customers, due_campaign

ACCESS_KEY_ID = "LTAI-test-key"
ACCESS_KEY_SECRET = "test-secret-Zx9"


def outgoing(
    n: int, to: str | None = None, body: str = "您好，活动详情 https://t.cn/x?a=1&b=2 回T退订"
):
    return OutgoingMessage(
        id=n, key=f"carecrm-{n}", channel="sms", to=to or f"+86139{n:08d}", body=body
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def count_connections(server) -> list:
    """Wrap the server's accept so the test sees how many TCP connections came in."""
    accepted = []
    accept = server.get_request

    def get_request():
        pair = accept()
        accepted.append(pair[1])
        return pair

    server.get_request = get_request
    return accepted


# --- the Aliyun SMS stand-in ------------------------------------------------------------


def aliyun_signature(params: dict, secret: str) -> str:
    """Aliyun's signature, written independently of the backend: ``urlencode`` with RFC
    3986 quoting for the canonical query."""
    canonical = urlencode(sorted(params.items()), quote_via=quote, safe="~")
    string_to_sign = "GET&%2F&" + quote(canonical, safe="~")
    digest = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunStandIn:
    """Answers ``SendSms`` like dysmsapi.aliyuncs.com: checks the AccessKeyId, the
    signature, the timestamp and that no nonce is used twice; ``refuse`` maps a number
    to an error code; the next ``throttle`` requests are flow-controlled; the next
    ``fail`` requests get an HTTP 503; ``delay`` slows every answer; the next ``hang_up``
    requests are accepted and the connection closed without an answer; the next
    ``garble`` are accepted and answered with an HTML page."""

    def __init__(self):
        self.requests: list[dict] = []
        self.sent: list[dict] = []
        self.refuse: dict[str, tuple[str, str]] = {}
        self.throttle = 0
        self.fail = 0
        self.delay = 0.0
        self.hang_up = 0
        self.garble = 0
        self.nonces: set[str] = set()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.connections = count_connections(self.server)

    @property
    def url(self) -> str:
        return "http://{}:{}/".format(*self.server.server_address[:2])

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def take(self, counter: str) -> bool:
        """Count one request against ``counter`` (``hang_up``, ``garble``) if any are left."""
        with self.lock:
            left = getattr(self, counter)
            setattr(self, counter, max(left - 1, 0))
            return left > 0

    def answer(self, params: dict) -> tuple[int, dict]:
        request_id = str(uuid.uuid4()).upper()

        def error(code: str, message: str) -> dict:
            return {"Code": code, "Message": message, "RequestId": request_id}

        with self.lock:
            self.requests.append(params)
            if self.fail > 0:
                self.fail -= 1
                return 503, error(
                    "ServiceUnavailable", "The request has failed due to a temporary failure."
                )
            if params.get("AccessKeyId") != ACCESS_KEY_ID:
                return 404, error("InvalidAccessKeyId.NotFound", "Access key is not found.")
            given = params.pop("Signature", "")
            if not hmac.compare_digest(given, aliyun_signature(params, ACCESS_KEY_SECRET)):
                return 400, error(
                    "SignatureDoesNotMatch",
                    "Specified signature is not matched with our calculation.",
                )
            stamp = dt.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
            skew = abs(stamp.replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC))
            if skew > dt.timedelta(minutes=15):
                return 400, error("InvalidTimeStamp.Expired", "Time stamp is expired.")
            if params["SignatureNonce"] in self.nonces:
                return 400, error("SignatureNonceUsed", "Signature nonce was used already.")
            self.nonces.add(params["SignatureNonce"])
            expected = {
                "Action": "SendSms",
                "Version": "2017-05-25",
                "SignatureMethod": "HMAC-SHA1",
                "SignatureVersion": "1.0",
                "Format": "JSON",
            }
            for name, value in expected.items():
                if params.get(name) != value:
                    return 400, error("InvalidParameter", f"{name} is invalid")
            if self.throttle > 0:
                self.throttle -= 1
                return 200, error("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
            if params["PhoneNumbers"] in self.refuse:
                code, message = self.refuse[params["PhoneNumbers"]]
                return 200, error(code, message)
            biz_id = f"{len(self.sent) + 1:06d}^{request_id[:8]}"
            self.sent.append({**params, "BizId": biz_id})
            return 200, {**error("OK", "OK"), "BizId": biz_id}

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if standin.delay:
                    time.sleep(standin.delay)
                query = urlsplit(self.path).query
                params = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=True))
                status, payload = standin.answer(params)
                if standin.take("hang_up"):
                    self.close_connection = True
                    return
                if standin.take("garble"):
                    status, payload = 200, "<html>upstream error</html>"
                data = (
                    payload.encode()
                    if isinstance(payload, str)
                    else json.dumps(payload, ensure_ascii=False).encode()
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def aliyun_options(url: str, **extra) -> dict:
    return {
        "BACKEND": "aliyun",
        "URL": url,
        "TOKEN": ACCESS_KEY_ID,
        "SECRET": ACCESS_KEY_SECRET,
        "SIGN_NAME": "悦享生活",
        "TEMPLATE": "SMS_123456789",
        **extra,
    }


def test_the_signature_matches_aliyuns_documented_example():
    # help.aliyun.com/document_detail/101343 (SMS "签名机制"): these parameters, with
    # AccessKeySecret "testSecret", sign to "zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D".
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert aliyun_signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_sends_one_signed_request_per_message_over_one_connection():
    body = "【悦享生活】王女士，活动 https://t.cn/a?x=1&y=a+b*c~d 回T退订 100% 好礼"
    with AliyunStandIn() as aliyun:
        backend = AliyunSmsBackend("sms", aliyun_options(aliyun.url))
        results = backend.send_many([outgoing(1, body=body), outgoing(2, to="+85291234567")])
        backend.close()

    assert [r.outcome for r in results] == [SendOutcome.SENT, SendOutcome.SENT]
    assert [r.provider_id for r in results] == [s["BizId"] for s in aliyun.sent]
    assert len(aliyun.requests) == 2 and len(aliyun.connections) == 1
    first, second = aliyun.sent
    assert first["PhoneNumbers"] == "13900000001"
    assert second["PhoneNumbers"] == "85291234567"
    assert first["SignName"] == "悦享生活" and first["TemplateCode"] == "SMS_123456789"
    assert json.loads(first["TemplateParam"]) == {"content": body}
    assert first["OutId"] == "carecrm-1"


def test_aliyun_refusals_fail_with_the_message_and_code():
    with AliyunStandIn() as aliyun:
        aliyun.refuse["13900000002"] = ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        backend = AliyunSmsBackend("sms", aliyun_options(aliyun.url))
        good, refused = backend.send_many([outgoing(1), outgoing(2)])
        wrong_secret = AliyunSmsBackend("sms", aliyun_options(aliyun.url, SECRET="guess"))
        (unsigned,) = wrong_secret.send_many([outgoing(3)])

    assert good.outcome == SendOutcome.SENT
    assert (refused.outcome, refused.code, refused.error) == (
        SendOutcome.FAILED,
        "isv.MOBILE_NUMBER_ILLEGAL",
        "非法手机号",
    )
    assert unsigned.outcome == SendOutcome.FAILED
    assert unsigned.code == "SignatureDoesNotMatch"
    assert "signature is not matched" in unsigned.error


def test_aliyun_flow_control_and_server_errors_are_retried():
    with AliyunStandIn() as aliyun:
        aliyun.refuse["13900000003"] = (
            "Throttling.User",
            "Request was denied due to user flow control.",
        )
        backend = AliyunSmsBackend("sms", aliyun_options(aliyun.url))
        aliyun.throttle = 1
        (throttled,) = backend.send_many([outgoing(1)])
        aliyun.fail = 1
        (unavailable,) = backend.send_many([outgoing(2)])
        (user_throttled,) = backend.send_many([outgoing(3)])
        (after,) = backend.send_many([outgoing(4)])

    assert (throttled.outcome, throttled.code) == (SendOutcome.RETRY, "isv.BUSINESS_LIMIT_CONTROL")
    assert (unavailable.outcome, unavailable.code) == (SendOutcome.RETRY, "ServiceUnavailable")
    assert (user_throttled.outcome, user_throttled.code) == (SendOutcome.RETRY, "Throttling.User")
    assert after.outcome == SendOutcome.SENT


def wait_for(condition, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_aliyun_answering_after_the_timeout_is_uncertain_and_the_batch_goes_on(settings):
    settings.DELIVERY_HTTP_TIMEOUT = 0.3
    with AliyunStandIn() as aliyun:
        backend = AliyunSmsBackend("sms", aliyun_options(aliyun.url))
        aliyun.delay = 1.0
        (slow,) = backend.send_many([outgoing(1)])
        aliyun.delay = 0
        (after,) = backend.send_many([outgoing(2)])
        # Aliyun sent the slow one anyway: posting it again would reach the handset twice.
        assert wait_for(lambda: len(aliyun.sent) == 2)

    assert (slow.outcome, slow.code) == (SendOutcome.UNCERTAIN, "lost")
    assert "after the request was sent" in slow.error
    assert after.outcome == SendOutcome.SENT


def test_aliyun_hanging_up_after_the_request_is_uncertain():
    with AliyunStandIn() as aliyun:
        backend = AliyunSmsBackend("sms", aliyun_options(aliyun.url))
        aliyun.hang_up = 1
        lost, after = backend.send_many([outgoing(1), outgoing(2)])

    assert lost.outcome == SendOutcome.UNCERTAIN
    assert after.outcome == SendOutcome.SENT
    # Aliyun read the request before hanging up, and it was never sent again.
    phones = [sent["PhoneNumbers"] for sent in aliyun.sent]
    assert phones.count("13900000001") == 1


def test_an_aliyun_answer_that_cannot_be_read_is_uncertain():
    with AliyunStandIn() as aliyun:
        backend = AliyunSmsBackend("sms", aliyun_options(aliyun.url))
        aliyun.garble = 1
        (result,) = backend.send_many([outgoing(1)])

    assert (result.outcome, result.code) == (SendOutcome.UNCERTAIN, "unreadable")
    assert "upstream error" in result.error


def test_aliyun_unreachable_is_retried_without_a_connect_per_message():
    backend = AliyunSmsBackend("sms", aliyun_options(f"http://127.0.0.1:{free_port()}/"))
    results = backend.send_many([outgoing(1), outgoing(2), outgoing(3)])
    assert [r.outcome for r in results] == [SendOutcome.RETRY] * 3
    assert all("unreachable" in r.error and r.code == "connection" for r in results)


def test_an_sms_that_cannot_be_encoded_fails_alone():
    broken = outgoing(2, body="您好\ud83d 活动详情")  # half an emoji: not valid UTF-8
    with AliyunStandIn() as aliyun:
        backend = AliyunSmsBackend("sms", aliyun_options(aliyun.url))
        results = backend.send_many([outgoing(1), broken, outgoing(3)])

    assert [r.outcome for r in results] == [
        SendOutcome.SENT,
        SendOutcome.FAILED,
        SendOutcome.SENT,
    ]
    assert results[1].error.startswith("cannot build the request: UnicodeEncodeError")
    assert [sent["OutId"] for sent in aliyun.sent] == ["carecrm-1", "carecrm-3"]


@pytest.mark.django_db
def test_aliyun_needs_its_credentials():
    with pytest.raises(ValueError, match="DELIVERY_SMS_SIGN_NAME"):
        AliyunSmsBackend("sms", aliyun_options("https://dysmsapi.aliyuncs.com/", SIGN_NAME=""))


@pytest.mark.django_db
def test_a_campaign_goes_out_through_aliyun(department_a, staff_a, manager_a, settings):
    good, refused = consenting_customers(department_a, 2)
    campaign = due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        on=timezone.localdate(),
        send_time=dt.time(0, 0),
    )
    QuietHours.objects.all().delete()
    with AliyunStandIn() as aliyun:
        blacklisted = ("isv.BLACK_KEY_CONTROL_LIMIT", "黑名单管控")
        aliyun.refuse[refused.mobile.removeprefix("+86")] = blacklisted
        settings.DELIVERY_CHANNELS = {
            **settings.DELIVERY_CHANNELS,
            "sms": aliyun_options(aliyun.url),
        }
        assert isinstance(get_backend("sms"), AliyunSmsBackend)
        touches_dispatch(on=timezone.localdate())
        report = messages_send(seconds=10)

    assert report.sent == 1 and report.failed == 1
    sent = OutboxMessage.objects.get(source=campaign_source(campaign), customer=good)
    assert sent.status == MessageStatus.SENT
    assert sent.provider_id == aliyun.sent[0]["BizId"]
    assert json.loads(aliyun.sent[0]["TemplateParam"])["content"] == sent.body
    failed = OutboxMessage.objects.get(source=campaign_source(campaign), customer=refused)
    assert (failed.status, failed.error_code, failed.error) == (
        MessageStatus.FAILED,
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "黑名单管控",
    )


# --- the JSON gateway ------------------------------------------------------------------


def gateway_backend(gateway, **extra) -> HttpGatewayBackend:
    return HttpGatewayBackend("sms", {"URL": gateway.url + "/sms", "TOKEN": gateway.token, **extra})


def test_a_wrong_gateway_token_fails_with_the_gateways_reason():
    with GatewayStandIn() as gateway:
        backend = gateway_backend(gateway, TOKEN="expired")
        results = backend.send_many([outgoing(1), outgoing(2)])
    assert {r.outcome for r in results} == {SendOutcome.FAILED}
    assert results[0].code == "Unauthorized"
    assert results[0].error == "HTTP 401: bad token"
    assert gateway.deliveries_to() == {}


def test_an_unreachable_gateway_is_retried():
    backend = HttpGatewayBackend("sms", {"URL": f"http://127.0.0.1:{free_port()}/sms"})
    results = backend.send_many([outgoing(1), outgoing(2)])
    assert {r.outcome for r in results} == {SendOutcome.RETRY}
    assert "gateway unreachable" in results[0].error


def test_a_gateway_rejects_single_messages_of_a_batch():
    with GatewayStandIn() as gateway:
        gateway.script.reject = {"+8613900000002"}
        backend = gateway_backend(gateway)
        results = backend.send_many([outgoing(1), outgoing(2), outgoing(3)])
    assert [r.outcome for r in results] == [
        SendOutcome.SENT,
        SendOutcome.FAILED,
        SendOutcome.SENT,
    ]
    assert results[0].provider_id == "gw-carecrm-1"
    assert results[1].code == "isv.MOBILE_NUMBER_ILLEGAL"
    assert gateway.requests == 1


@pytest.mark.django_db
def test_the_gateway_connection_is_kept_alive_across_batches(
    department_a, staff_a, manager_a, settings
):
    consenting_customers(department_a, 6)
    due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        on=timezone.localdate(),
        send_time=dt.time(0, 0),
    )
    QuietHours.objects.all().delete()
    with GatewayStandIn() as gateway:
        connections = count_connections(gateway._server)
        settings.DELIVERY_CHANNELS = {
            **settings.DELIVERY_CHANNELS,
            "sms": {
                "BACKEND": "http",
                "URL": gateway.url + "/sms",
                "TOKEN": gateway.token,
                "BATCH": 2,
            },
        }
        touches_dispatch(on=timezone.localdate())
        report = messages_send(seconds=10, claim_size=4)
    assert report.sent == 6
    assert gateway.requests == 3
    assert len(connections) == 1


@pytest.mark.django_db
def test_the_channel_rate_limit_is_honoured(department_a, staff_a, manager_a, settings):
    FrequencyCap.objects.all().delete()
    QuietHours.objects.all().delete()
    customers = consenting_customers(department_a, 60)
    due_campaign(
        department=department_a,
        author=staff_a,
        manager=manager_a,
        on=timezone.localdate(),
        send_time=dt.time(0, 0),
    )
    touches_dispatch(on=timezone.localdate())
    with GatewayStandIn() as gateway:
        settings.DELIVERY_CHANNELS = {
            **settings.DELIVERY_CHANNELS,
            "sms": {
                "BACKEND": "http",
                "URL": gateway.url + "/sms",
                "TOKEN": gateway.token,
                "RATE": 20,
                "BATCH": 10,
            },
        }
        # The limit counts per clock second: start at the top of one so that 60 messages
        # at 20 a second need the rest of this second and two more.
        time.sleep(1.02 - time.time() % 1)
        started = time.monotonic()
        report = messages_send(seconds=30)
        elapsed = time.monotonic() - started
    assert report.sent == 60
    assert gateway.deliveries_to() == {c.mobile: 1 for c in customers}
    assert elapsed >= 1.9


def test_a_gateway_answer_that_names_no_message_is_uncertain():
    """The gateway took the batch and said nothing of these: they may be on their way."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        backend = HttpGatewayBackend(
            "sms", {"URL": "http://{}:{}/sms".format(*server.server_address)}
        )
        results = backend.send_many([outgoing(1), outgoing(2)])
    finally:
        server.shutdown()
        server.server_close()
    assert {(r.outcome, r.code) for r in results} == {(SendOutcome.UNCERTAIN, "missing")}
