"""Channel backends, chosen per channel by settings (``DELIVERY_<CHANNEL>_BACKEND``)."""

from delivery.backends.base import (
    ChannelBackend,
    OutgoingMessage,
    SendOutcome,
    SendResult,
    get_backend,
)

__all__ = ["ChannelBackend", "OutgoingMessage", "SendOutcome", "SendResult", "get_backend"]
