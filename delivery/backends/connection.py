"""One kept-alive HTTP(S) connection to a provider, shared by the gateway backends.

It tells the two failures apart that decide whether a post may be repeated: the request
never left (``ProviderUnreachable``: posting again cannot duplicate) or it left and the
answer was lost (``AnswerLost``: the provider may have acted on it). It never re-sends a
request by itself.
"""

import http.client
import select
from urllib.parse import urlsplit

from django.conf import settings


class ProviderUnreachable(OSError):
    """The connection could not be opened: the provider never saw the request."""


class AnswerLost(OSError):
    """The request went out but no complete answer came back (timeout, reset, close)."""


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """An idle kept-alive connection with something to read (or an error) was closed by
    the server; using it would fail after the request left. Checked before reuse, as
    urllib3 does."""
    if connection.sock is None:
        return False
    try:
        readable, _, _ = select.select([connection.sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class ProviderConnection:
    """Requests to one provider URL over a connection that stays open between batches."""

    def __init__(self, url: str, *, setting: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{setting} must be an http(s) URL, not {url!r}")
        self.parts = parts
        self.path = parts.path or "/"
        self.connection: http.client.HTTPConnection | None = None

    def _open(self) -> http.client.HTTPConnection:
        if self.connection is not None and _dropped(self.connection):
            self.close()
        if self.connection is None:
            kind = (
                http.client.HTTPSConnection
                if self.parts.scheme == "https"
                else http.client.HTTPConnection
            )
            self.connection = kind(
                self.parts.hostname, self.parts.port, timeout=settings.DELIVERY_HTTP_TIMEOUT
            )
        if self.connection.sock is None:
            try:
                self.connection.connect()
            except OSError as exc:
                self.close()
                raise ProviderUnreachable(f"{type(exc).__name__}: {exc}") from exc
        return self.connection

    def request(
        self, method: str, target: str, *, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        """The provider's status and body. Raises ``ProviderUnreachable`` before the
        request left, ``AnswerLost`` after."""
        connection = self._open()
        try:
            connection.request(method, target, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise AnswerLost(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
