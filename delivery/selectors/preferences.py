"""What a customer receives right now, as the preference page and the staff opt-out page
show it, and how a customer is named on pages anyone holding the link can open."""

from dataclasses import dataclass, field

from django.db.models import QuerySet

from carecrm.core.scoping import visible_to
from customers.models import ChannelConsent, Customer, CustomerStatus
from customers.privacy import mask_email, mask_phone
from delivery.models import CareKind, DeliveryChannel, OutboxMessage, Unsubscribe


@dataclass
class PreferenceState:
    channels: dict[str, bool] = field(default_factory=dict)
    kinds: dict[str, bool] = field(default_factory=dict)
    all_off: bool = False


def preference_state(customer: Customer) -> PreferenceState:
    """A channel is on when the customer consented to it and has not refused it; a kind
    of care is on unless refused on every channel."""
    scopes = set(Unsubscribe.objects.filter(customer=customer).values_list("channel", "care_kind"))
    granted = set(
        ChannelConsent.objects.filter(customer=customer, granted=True).values_list(
            "channel", flat=True
        )
    )
    all_off = ("", "") in scopes
    return PreferenceState(
        channels={
            channel: channel in granted and (channel, "") not in scopes and not all_off
            for channel in DeliveryChannel.values
        },
        kinds={kind: ("", kind) not in scopes for kind in CareKind.values},
        all_off=all_off,
    )


def customer_unsubscribes(user, customer: Customer) -> QuerySet:
    return visible_to(user, Unsubscribe.objects.filter(customer=customer)).select_related(
        "recorded_by"
    )


def message_for_token(message_id: int | None) -> OutboxMessage | None:
    if message_id is None:
        return None
    return (
        OutboxMessage.objects.select_related("customer__merged_into", "source")
        .filter(pk=message_id)
        .first()
    )


def recipient(message: OutboxMessage) -> Customer:
    """Whose preferences a message's links change: a merged record's survivor."""
    customer = message.customer
    if customer.status == CustomerStatus.MERGED and customer.merged_into_id:
        return customer.merged_into
    return customer


def mask_name(name: str) -> str:
    """张三丰 → 张**: enough for the customer to recognise, nothing for anyone else."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    return name[0] + "*" * min(len(name) - 1, 4)


def masked_address(message: OutboxMessage) -> str:
    if message.channel == DeliveryChannel.SMS:
        return mask_phone(message.address)
    if message.channel == DeliveryChannel.EMAIL:
        return mask_email(message.address)
    return ""
