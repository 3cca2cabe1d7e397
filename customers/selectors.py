"""Reads shared by customer views, the API, tasks and other apps."""

from django.db.models import QuerySet

from carecrm.core.scoping import visible_to
from customers.models import Customer, CustomerStatus, Interaction, InteractionOutcome


def visible_customers(user, *, include_inactive: bool = False) -> QuerySet[Customer]:
    """Customers the user may see; merged and anonymised records are hidden by default."""
    queryset = Customer.objects.all()
    if not include_inactive:
        queryset = queryset.filter(status=CustomerStatus.ACTIVE)
    return visible_to(user, queryset)


def open_follow_ups(user) -> QuerySet[Interaction]:
    """Interactions with a follow-up date that are not resolved, for the user's scope."""
    return visible_to(
        user,
        Interaction.objects.filter(follow_up_due__isnull=False).exclude(
            outcome=InteractionOutcome.RESOLVED
        ),
    )
