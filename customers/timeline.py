"""The customer's 360° timeline: one list merged from every registered provider.

Apps add their events (messages, feedback, events …) by calling
``carecrm.core.registry.register_timeline_provider`` in their ``AppConfig.ready``; the
customer page never changes for that. This module also registers the customers app's own
providers: orders, interactions, intent events and consent changes.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecrm.core.models import AuditAction, AuditEntry
from carecrm.core.registry import (
    TimelineEntry,
    register_timeline_kind,
    register_timeline_provider,
    timeline_kinds,
    timeline_providers,
)
from customers.models import (
    Channel,
    ConsentMethod,
    Customer,
    InteractionOutcome,
    RevealReason,
)

TIMELINE_PAGE_SIZE = 20

# Filter labels of this app's kinds of entry; other apps register theirs next to their
# providers. An unregistered kind is still shown and filterable under its own name.
for _kind, _label in (
    ("order", gettext_lazy("Orders")),
    ("interaction", gettext_lazy("Interactions")),
    ("intent", gettext_lazy("Buying intent")),
    ("consent", gettext_lazy("Consent")),
    ("verification", gettext_lazy("Verifications")),
    ("merge", gettext_lazy("Merges")),
    ("phone_reveal", gettext_lazy("Numbers shown")),
):
    register_timeline_kind(_kind, _label)


@dataclass(frozen=True)
class TimelinePage:
    page: Page
    kinds: list[tuple[str, str]]
    kind: str

    @property
    def entries(self) -> list[TimelineEntry]:
        return list(self.page.object_list)


def _sort_key(entry: TimelineEntry) -> dt.datetime:
    return entry.at


def customer_timeline(
    *, customer: Customer, user, page: int | str = 1, kind: str = "", per_page: int = 0
) -> TimelinePage:
    """Entries of every provider, newest first, optionally of one kind, one page of them.

    Providers get the customer the user was allowed to open and the user (to mask or
    leave out what that user may not see)."""
    entries: list[TimelineEntry] = []
    for provider in timeline_providers:
        entries.extend(provider(customer, user))
    entries.sort(key=_sort_key, reverse=True)
    present = sorted({entry.kind for entry in entries})
    kinds = [(name, str(timeline_kinds.get(name, name))) for name in present]
    if kind:
        entries = [entry for entry in entries if entry.kind == kind]
    paginator = Paginator(entries, per_page or TIMELINE_PAGE_SIZE)
    return TimelinePage(page=paginator.get_page(page), kinds=kinds, kind=kind)


# --- this app's providers -------------------------------------------------------------


def _quantity(value) -> str:
    return format(value.normalize(), "f")


def order_entries(customer: Customer, user) -> list[TimelineEntry]:
    entries = []
    for order in customer.orders.prefetch_related("lines").order_by("-ordered_at"):
        amount = number_format(abs(order.amount), decimal_pos=2, force_grouping=True)
        if order.amount < 0:
            title = _("Refund %(order_no)s · ¥%(amount)s")
        else:
            title = _("Order %(order_no)s · ¥%(amount)s")
        lines = ", ".join(
            f"{line.product} × {_quantity(line.quantity)}" for line in order.lines.all()
        )
        detail = f"{order.store} · {lines}" if order.store else lines
        entries.append(
            TimelineEntry(
                at=order.ordered_at,
                kind="order",
                icon="bag" if order.amount >= 0 else "arrow-counterclockwise",
                title=title % {"order_no": order.order_no, "amount": amount},
                detail=detail,
            )
        )
    return entries


def interaction_entries(customer: Customer, user) -> list[TimelineEntry]:
    entries = []
    icons = {
        "consultation": "question-circle",
        "complaint": "exclamation-triangle",
        "service": "tools",
        "call": "telephone",
        "visit": "geo-alt",
    }
    for interaction in customer.interactions.select_related("staff").order_by("-occurred_at"):
        title = interaction.get_kind_display()
        if interaction.channel:
            title = f"{title} · {interaction.get_channel_display()}"
        status = interaction.get_outcome_display()
        if interaction.outcome != InteractionOutcome.RESOLVED and interaction.follow_up_due:
            status = _("%(outcome)s, follow-up due %(date)s") % {
                "outcome": status,
                "date": interaction.follow_up_due.isoformat(),
            }
        detail = interaction.summary
        if interaction.resolution:
            detail = f"{detail}\n{_('Resolution')}: {interaction.resolution}"
        is_open = interaction.outcome != InteractionOutcome.RESOLVED
        entries.append(
            TimelineEntry(
                at=interaction.occurred_at,
                kind="interaction",
                icon=icons.get(interaction.kind, "chat-dots"),
                title=f"{title} — {status}",
                detail=detail,
                url=reverse("customers:interaction-resolve", args=[interaction.pk])
                if is_open
                else None,
                actor=str(interaction.staff) if interaction.staff else "",
            )
        )
    return entries


def intent_entries(customer: Customer, user) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=event.occurred_at,
            kind="intent",
            icon="cart",
            title=event.get_kind_display(),
            detail=" · ".join(part for part in (event.product, event.category) if part),
        )
        for event in customer.intent_events.order_by("-occurred_at")
    ]


def consent_entries(customer: Customer, user) -> list[TimelineEntry]:
    """Consent history comes from the audit trail: every decision is one audit entry."""
    entries = []
    audit = AuditEntry.objects.filter(
        customer_id=customer.pk, action=AuditAction.CONSENT
    ).select_related("actor")
    for row in audit.order_by("-at"):
        detail = row.detail or {}
        channel = detail.get("channel", "")
        channel_label = Channel(channel).label if channel in Channel.values else channel
        method = detail.get("method", "")
        method_label = ConsentMethod(method).label if method in ConsentMethod.values else method
        if detail.get("granted"):
            title = _("%(channel)s: agreed to be contacted") % {"channel": channel_label}
        else:
            title = _("%(channel)s: consent withdrawn") % {"channel": channel_label}
        note = detail.get("note") or ""
        at = parse_datetime(detail["changed_at"]) if detail.get("changed_at") else None
        entries.append(
            TimelineEntry(
                at=at or row.at,
                kind="consent",
                icon="shield-check" if detail.get("granted") else "shield-x",
                title=title,
                detail=f"{method_label} · {note}" if note else str(method_label),
                actor=str(row.actor) if row.actor else "",
            )
        )
    return entries


def phone_reveal_entries(customer: Customer, user) -> list[TimelineEntry]:
    """Each time someone had the full phone number shown to call, with their reason (the
    audit trail's ``phone_reveal`` entries; the number itself is not repeated)."""
    entries = []
    audit = AuditEntry.objects.filter(
        customer_id=customer.pk, action=AuditAction.PHONE_REVEAL
    ).select_related("actor")
    for row in audit.order_by("-at"):
        detail = row.detail or {}
        reason = detail.get("reason", "")
        label = RevealReason(reason).label if reason in RevealReason.values else reason
        entries.append(
            TimelineEntry(
                at=row.at,
                kind="phone_reveal",
                icon="eye",
                title=_("Phone number shown: %(reason)s") % {"reason": label},
                detail=detail.get("note") or "",
                actor=str(row.actor) if row.actor else "",
            )
        )
    return entries


for _provider in (
    order_entries,
    interaction_entries,
    intent_entries,
    consent_entries,
    phone_reveal_entries,
):
    register_timeline_provider(_provider)
