"""Reads shared by customer views, the API, tasks and other apps."""

from decimal import Decimal

from django.db.models import Count, DecimalField, Max, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from carecrm.core.scoping import get_visible_or_404, visible_to
from customers.models import (
    ContactPerson,
    Customer,
    CustomerStatus,
    Interaction,
    InteractionOutcome,
)


def visible_customers(user, *, include_inactive: bool = False) -> QuerySet[Customer]:
    """Customers the user may see; merged and anonymised records are hidden by default."""
    queryset = Customer.objects.all()
    if not include_inactive:
        queryset = queryset.filter(status=CustomerStatus.ACTIVE)
    return visible_to(user, queryset)


def open_follow_ups(user) -> QuerySet[Interaction]:
    """Interactions with a follow-up date that are not resolved, of active customers in
    the user's scope."""
    return visible_to(
        user,
        Interaction.objects.filter(
            follow_up_due__isnull=False, customer__status=CustomerStatus.ACTIVE
        ).exclude(outcome=InteractionOutcome.RESOLVED),
    )


# --- the customer page and record screens ------------------------------------------------


def customer_for_page(user, pk: int, *, include_inactive: bool = True) -> Customer:
    """One customer for the 360° page (404 outside the user's scope), with what the
    profile card shows loaded up front."""
    queryset = Customer.objects.all()
    if not include_inactive:
        queryset = queryset.filter(status=CustomerStatus.ACTIVE)
    return get_visible_or_404(
        user,
        queryset.select_related(
            "department", "relationship_manager", "merged_into"
        ).prefetch_related(
            "tags",
            "consents",
            Prefetch(
                "contact_persons", queryset=ContactPerson.objects.order_by("-is_primary", "name")
            ),
        ),
        pk=pk,
    )


def customer_for_edit(user, pk: int) -> Customer:
    """An active customer the user may see; merged and anonymised records are not edited."""
    return get_visible_or_404(
        user,
        Customer.objects.filter(status=CustomerStatus.ACTIVE).select_related(
            "department", "relationship_manager"
        ),
        pk=pk,
    )


def customer_order_summary(customer: Customer) -> dict:
    """Orders on record right now (the segmentation figures are only as fresh as its run)."""
    return customer.orders.aggregate(
        order_count=Count("pk", filter=Q(amount__gte=0)),
        refund_count=Count("pk", filter=Q(amount__lt=0)),
        net_amount=Coalesce(Sum("amount"), Decimal("0"), output_field=DecimalField()),
        last_ordered_at=Max("ordered_at"),
    )


def interaction_for(user, pk: int) -> Interaction:
    return get_visible_or_404(
        user, Interaction.objects.select_related("customer", "staff", "resolved_by"), pk=pk
    )


def contact_person_for(user, pk: int) -> ContactPerson:
    return get_visible_or_404(
        user,
        ContactPerson.objects.select_related("customer").filter(
            customer__status=CustomerStatus.ACTIVE
        ),
        pk=pk,
    )


def follow_ups_for(
    user, *, mine: bool = False, kind: str = "", overdue_only: bool = False
) -> QuerySet[Interaction]:
    """Open follow-ups of active customers, most overdue first."""
    queryset = open_follow_ups(user)
    if mine:
        queryset = queryset.filter(Q(staff=user) | Q(customer__relationship_manager=user))
    if kind:
        queryset = queryset.filter(kind=kind)
    if overdue_only:
        queryset = queryset.filter(follow_up_due__lt=timezone.localdate())
    return queryset.select_related("customer", "staff").order_by(
        "follow_up_due", "occurred_at", "pk"
    )
