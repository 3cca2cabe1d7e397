"""Who may send through delivery: each app that owns a kind of sender (campaigns, events,
surveys …) registers its kind here in its ``AppConfig.ready``, with the function that
renders its messages. Delivery calls it when a sender claims the messages and never
imports the app — a new sender needs no change to delivery (docs/architecture.md).

``render(source, messages)`` gets one ``MessageSource`` and its claimed messages (with
``customer`` loaded, any occasions) and returns, per message id, a ``Rendered`` text or a
string saying why it cannot be rendered (the message then fails with that reason).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class Rendered:
    """A message's text before delivery adds tracked links, the opt-out and the footer."""

    body: str
    subject: str = ""
    html_body: str = ""


@dataclass(frozen=True)
class SourceKind:
    key: str
    label: str | Promise
    render: Callable
    # ``url(source) -> str | None``: the page staff open for the sender, if any.
    url: Callable | None = None
    # ``log_url(source) -> str | None``: its message log, if it has one of its own.
    log_url: Callable | None = None
    # "care" (care and marketing touches: they count against frequency caps) or
    # "service" (messages the customer asked for: exempt from caps). The default;
    # admins may change it on the delivery settings page (``SourceKindClass``).
    message_class: str = "care"
    # The messages API's field (and query filter) holding the sender object's ID for
    # this kind's messages, null for other kinds (campaigns: "campaign").
    api_field: str | None = None
    # True when the sender's app keeps the source's state in step with its own object
    # (a campaign's status): pausing, resuming and cancelling then happen on the
    # sender's page, and delivery's sender page only links there.
    state_follows_sender: bool = False


source_kinds: dict[str, SourceKind] = {}


def register_source_kind(kind: SourceKind) -> None:
    source_kinds[kind.key] = kind


def source_kind(key: str) -> SourceKind:
    try:
        return source_kinds[key]
    except KeyError:
        raise LookupError(f"no app registered the message source kind {key!r}") from None
