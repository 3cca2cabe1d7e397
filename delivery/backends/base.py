"""The interface every channel backend implements, and how one is chosen.

A backend gets a batch of rendered messages and answers for each one:

- **sent**, with the provider's id;
- **retry**: the provider certainly does not have the message — the connection could not
  be opened, or it answered with a transient refusal (5xx, 429, SMTP 4xx, throttling) —
  so posting it again cannot make a duplicate;
- **uncertain**: the provider may have it — a timeout or a lost connection after the
  request went out, an answer that does not mention the message. It is never posted
  again automatically (most providers have no idempotency key); a receipt or an
  operator settles it;
- **failed**: a permanent refusal, with the provider's reason.

One bad message (a header that cannot be encoded, say) is answered failed on its own; it
never decides the fate of the rest of the batch. A backend never touches the database;
the sending service records the answers.
"""

import enum
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

BACKEND_PATHS = {
    "console": "delivery.backends.simple.ConsoleBackend",
    "file": "delivery.backends.simple.FileBackend",
    "email": "delivery.backends.email.EmailBackend",
    "http": "delivery.backends.http.HttpGatewayBackend",
    "aliyun": "delivery.backends.aliyun.AliyunSmsBackend",
}


@dataclass
class OutgoingMessage:
    """A message ready for a provider. ``key`` is the same on every attempt (the
    gateway's idempotency key); ``headers`` are email headers; ``sender`` is the email
    From (the brand's name on ``DEFAULT_FROM_EMAIL``'s address; empty: that setting)."""

    id: int
    key: str
    channel: str
    to: str
    body: str
    subject: str = ""
    html_body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    unsubscribe_url: str = ""
    data: dict = field(default_factory=dict)
    sender: str = ""


class SendOutcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"
    UNCERTAIN = "uncertain"
    FAILED = "failed"


@dataclass
class SendResult:
    message_id: int
    outcome: SendOutcome
    provider_id: str = ""
    error: str = ""
    code: str = ""

    @classmethod
    def sent(cls, message: OutgoingMessage, provider_id: str = "") -> "SendResult":
        return cls(message.id, SendOutcome.SENT, provider_id=provider_id)

    @classmethod
    def retry(cls, message: OutgoingMessage, error: str, code: str = "") -> "SendResult":
        return cls(message.id, SendOutcome.RETRY, error=error[:500], code=code[:60])

    @classmethod
    def uncertain(cls, message: OutgoingMessage, error: str, code: str = "") -> "SendResult":
        return cls(message.id, SendOutcome.UNCERTAIN, error=error[:500], code=code[:60])

    @classmethod
    def failed(cls, message: OutgoingMessage, error: str, code: str = "") -> "SendResult":
        return cls(message.id, SendOutcome.FAILED, error=error[:500], code=code[:60])


class ChannelBackend:
    """Subclasses implement :meth:`send_many`; ``options`` is the channel's settings
    (URL, TOKEN, SECRET, RATE, BATCH and backend-specific keys)."""

    #: messages per call to send_many
    batch_size = 50

    def __init__(self, channel: str, options: dict | None = None) -> None:
        self.channel = channel
        self.options = options or {}
        self.batch_size = int(self.options.get("BATCH") or self.batch_size)

    def send_many(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections (called when a sender is done with a channel)."""

    # A backend whose provider can say whether it has a message implements
    # ``lookup(keys) -> {key: has it}``; uncertain messages are then settled by it.
    lookup = None


def channel_options(channel: str) -> dict:
    return dict(settings.DELIVERY_CHANNELS.get(channel, {}))


def get_backend(channel: str) -> ChannelBackend:
    options = channel_options(channel)
    name = options.get("BACKEND") or ("email" if channel == "email" else "file")
    path = BACKEND_PATHS.get(name, name)
    return import_string(path)(channel, options)
