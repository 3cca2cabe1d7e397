"""One kept-alive HTTP(S) connection to a provider, shared by the gateway backends."""

import http.client
from urllib.parse import urlsplit

from django.conf import settings


class ProviderConnection:
    """Requests to one provider URL over a connection that stays open between batches.

    A request on a connection the server had already closed (an idle keep-alive) fails
    before the server reads it; it is sent once more on a fresh connection."""

    def __init__(self, url: str, *, setting: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{setting} must be an http(s) URL, not {url!r}")
        self.parts = parts
        self.path = parts.path or "/"
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            kind = (
                http.client.HTTPSConnection
                if self.parts.scheme == "https"
                else http.client.HTTPConnection
            )
            self.connection = kind(
                self.parts.hostname, self.parts.port, timeout=settings.DELIVERY_HTTP_TIMEOUT
            )
        return self.connection

    def request(
        self, method: str, target: str, *, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request(method, target, body=body, headers=headers or {})
                response = connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
