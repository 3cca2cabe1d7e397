"""A local HTTP server that behaves like CareCRM's JSON message gateway (SMS, WeCom,
push): the stand-in for a real provider in tests and benchmarks (the network is closed
here), and a way to watch messages arrive in development.

Protocol (what ``HttpGatewayBackend`` speaks):

``POST /<channel>`` with ``Authorization: Bearer <token>`` and a JSON body
``{"messages": [{"id": key, "to": ..., "text": ..., "title": ..., "data": {...}}]}``.
The answer is ``200 {"results": [{"id": key, "status": "accepted", "provider_id": ...}
| {"id": key, "status": "rejected", "code": ..., "error": ...}]}``; a whole request may
be refused with 4xx (permanent, ``{"code", "error"}``) or fail with 5xx (transient).

``POST /<channel>/status`` with ``{"ids": [key, ...]}`` answers
``200 {"results": [{"id": key, "status": "accepted" | "unknown"}]}``: whether the gateway
has the message — how CareCRM settles a post whose answer was lost.

``id`` is the idempotency key: with ``dedupe`` (the default) a message accepted once is
accepted again without being delivered a second time, as providers with idempotency keys
behave. Without it, every post of a key reaches the handset again, as Alibaba Cloud SMS
or SMTP would: ``duplicates()`` counts them. ``delivered`` is what handsets got (first
post per key); ``posts`` counts every post per key; ``requests`` and ``received`` are the
raw traffic.
"""

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class GatewayScript:
    """Failures to play back: the next ``fail_next`` requests get ``fail_status``;
    recipients in ``reject`` are refused per message (``reject_code``); ``bad_request``
    recipients make the whole request a 400; ``delay`` seconds per request. Random
    faults, drawn per request: ``fail_ratio`` answer ``fail_status`` without taking the
    messages; ``accept_then_hang`` take them, then answer only after ``hang`` seconds
    (past the client's timeout)."""

    fail_next: int = 0
    fail_status: int = 500
    reject: set = field(default_factory=set)
    reject_code: str = "isv.MOBILE_NUMBER_ILLEGAL"
    bad_request: set = field(default_factory=set)
    delay: float = 0.0
    fail_ratio: float = 0.0
    accept_then_hang: float = 0.0
    hang: float = 0.0
    seed: int = 7


class GatewayStandIn:
    def __init__(
        self,
        *,
        token: str = "test-token",  # noqa: S107
        host: str = "127.0.0.1",
        port: int = 0,
        dedupe: bool = True,
    ):
        self.token = token
        self.dedupe = dedupe
        self.script = GatewayScript()
        self.lock = threading.Lock()
        self.requests = 0
        self.received: list[dict] = []
        self.delivered: dict[str, dict] = {}
        self.posts: Counter = Counter()
        self.status_counts: Counter = Counter()
        self._random = random.Random(self.script.seed)  # noqa: S311 (fault injection)
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "GatewayStandIn":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "GatewayStandIn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def deliveries_to(self) -> Counter:
        """Messages each recipient got (after idempotency)."""
        with self.lock:
            return Counter(message["to"] for message in self.delivered.values())

    def duplicates(self) -> int:
        """Posts that reached a handset again: without ``dedupe``, each is a customer who
        got the same message twice."""
        with self.lock:
            return 0 if self.dedupe else sum(n - 1 for n in self.posts.values() if n > 1)

    def _status(self, body: dict) -> tuple[int, dict]:
        ids = body.get("ids")
        if not isinstance(ids, list):
            return 400, {"code": "InvalidBody", "error": "ids must be a list"}
        with self.lock:
            return 200, {
                "results": [
                    {"id": str(key), "status": "accepted" if str(key) in self.posts else "unknown"}
                    for key in ids
                ]
            }

    def _answer(self, channel: str, body: dict) -> tuple[int, dict]:
        """The answer to a post, and whether to hang before giving it."""
        if channel.endswith("/status"):
            return self._status(body)
        with self.lock:
            self.requests += 1
            if self.script.fail_next > 0:
                self.script.fail_next -= 1
                self.status_counts[self.script.fail_status] += 1
                return self.script.fail_status, {"code": "ServiceUnavailable", "error": "busy"}
            draw = self._random.random() if self.script.fail_ratio else 1.0
            if draw < self.script.fail_ratio:
                self.status_counts[self.script.fail_status] += 1
                return self.script.fail_status, {"code": "ServiceUnavailable", "error": "busy"}
            messages = body.get("messages")
            if not isinstance(messages, list) or not messages:
                return 400, {"code": "InvalidBody", "error": "messages must be a non-empty list"}
            for message in messages:
                if message.get("to") in self.script.bad_request:
                    return 400, {
                        "code": "InvalidParameter",
                        "error": f"invalid recipient {message.get('to')}",
                    }
            results = []
            for message in messages:
                self.received.append({**message, "channel": channel})
                key = str(message.get("id", ""))
                if message.get("to") in self.script.reject:
                    results.append(
                        {
                            "id": key,
                            "status": "rejected",
                            "code": self.script.reject_code,
                            "error": "recipient refused by the carrier",
                        }
                    )
                    continue
                self.posts[key] += 1
                if key not in self.delivered:
                    self.delivered[key] = {**message, "channel": channel, "at": time.time()}
                results.append({"id": key, "status": "accepted", "provider_id": f"gw-{key}"})
            self.status_counts[200] += 1
            return 200, {"results": results}

    def _hangs(self, path: str) -> bool:
        if path.rstrip("/").endswith("/status") or not self.script.accept_then_hang:
            return False
        with self.lock:
            return self._random.random() < self.script.accept_then_hang

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if standin.script.delay:
                    time.sleep(standin.script.delay)
                if self.headers.get("Authorization") != f"Bearer {standin.token}":
                    status, payload = 401, {"code": "Unauthorized", "error": "bad token"}
                else:
                    try:
                        body = json.loads(raw or b"{}")
                    except ValueError:
                        status, payload = 400, {"code": "InvalidJSON", "error": "not JSON"}
                    else:
                        status, payload = standin._answer(self.path.strip("/"), body)
                        if status == 200 and standin._hangs(self.path):
                            time.sleep(standin.script.hang)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (accept_then_hang)
                    self.close_connection = True

        return Handler
