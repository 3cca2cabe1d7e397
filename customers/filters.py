"""The customer filters shared by the list page and the API (``?q=…&vip_level=…``).

The filter set narrows a queryset it is given; scoping to the user happens before, in
``customers.selectors``. Every filter here maps to an indexed column or an indexed
``EXISTS`` so it stays fast at a million customers.
"""

import re
import unicodedata

import django_filters
import phonenumbers
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from carecrm.accounts.models import Department
from carecrm.regions import normalise_city, normalise_province
from customers.models import (
    Channel,
    ChannelConsent,
    Customer,
    CustomerStatus,
    LifecycleStage,
    Source,
    Tag,
    ValueTier,
    VipLevel,
)
from customers.privacy import can_see_pii
from customers.search import gram_icontains

ANY_STATUS = "any"
ANY_LABEL = _("Any")
_PHONE_PUNCTUATION = re.compile(r"[\s\-().\u00b7/]")
_PHONE_LIKE = re.compile(r"\+?[0-9]{4,}")


def _as_e164(compact: str) -> str | None:
    """A full phone number typed any common way (13812345678, +86 138…, 0086-138…,
    86138…) as stored (E.164); ``None`` if it is not a valid number."""
    candidates = [compact]
    digits = compact.lstrip("+")
    if not compact.startswith("+") and digits.startswith("86") and len(digits) == 13:
        candidates.append(f"+{digits}")
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, "CN")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def customer_search_condition(text: str, *, sees_contact: bool) -> Q:
    """What the search box means: a phone number (full, its last four digits via the
    indexed ``mobile_last4``, or five or more digits anywhere in it), an email address, or
    part of a name or email (any length, see ``customers.search``).

    Without ``sees_contact`` (``view_customer_pii``) it matches only what the masked page
    shows or the searcher already knows: exactly the last four digits, the whole number,
    the whole email. Growing fragments would let anyone read hidden digits one at a time.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return Q()
    compact = _PHONE_PUNCTUATION.sub("", text)
    if _PHONE_LIKE.fullmatch(compact):
        digits = compact.lstrip("+")
        if len(digits) == 4:
            return Q(mobile_last4=digits)
        e164 = _as_e164(compact)
        if e164:
            return Q(mobile=e164)
        if not sees_contact:
            return Q(pk__in=[])
        # Five or more digits anywhere in the number (a trigram index on mobile).
        return Q(mobile__contains=digits)
    if "@" in text and " " not in text:
        return Q(email__iexact=text)
    if not sees_contact:
        return Q(gram_icontains("name", text))
    return Q(gram_icontains("name", text)) | Q(gram_icontains("email", text))


def manager_choices(request) -> QuerySet:
    """Who may be picked as relationship manager: people of the user's department (admins:
    anyone who belongs to a department)."""
    users = get_user_model().objects.filter(is_active=True).order_by("display_name", "username")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return users.none()
    if user.is_admin_role:
        return users.filter(department__isnull=False)
    return users.filter(department_id=user.department_id)


def _departments(request) -> QuerySet:
    return Department.objects.all()


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"placeholder": _("Name, phone, last 4 digits or email"), "type": "search"}
        ),
    )
    value_tier = django_filters.ChoiceFilter(
        label=_("Value tier"),
        choices=[c for c in ValueTier.choices if c[0]],
        null_label=_("Not scored"),
        null_value="none",
        method="filter_blankable",
        empty_label=ANY_LABEL,
    )
    vip_level = django_filters.ChoiceFilter(
        label=_("VIP level"), choices=VipLevel.choices, empty_label=ANY_LABEL
    )
    lifecycle = django_filters.ChoiceFilter(
        label=_("Lifecycle"),
        field_name="lifecycle_stage",
        choices=[c for c in LifecycleStage.choices if c[0]],
        null_label=_("Not scored"),
        null_value="none",
        method="filter_blankable",
        empty_label=ANY_LABEL,
    )
    region = django_filters.CharFilter(label=_("Region"), field_name="region")
    province = django_filters.CharFilter(label=_("Province"), method="filter_province")
    city = django_filters.CharFilter(label=_("City"), method="filter_city")
    industry = django_filters.CharFilter(label=_("Industry"), field_name="industry")
    tag = django_filters.ModelChoiceFilter(
        label=_("Tag"),
        queryset=Tag.objects.all(),
        method="filter_tag",
        empty_label=ANY_LABEL,
    )
    manager = django_filters.ModelChoiceFilter(
        label=_("Relationship manager"),
        field_name="relationship_manager",
        queryset=manager_choices,
        null_label=_("No manager"),
        null_value="none",
        empty_label=ANY_LABEL,
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"),
        field_name="department",
        queryset=_departments,
        empty_label=ANY_LABEL,
    )
    last_purchase_from = django_filters.DateFilter(
        label=_("Last purchase from"),
        field_name="last_purchase_on",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    last_purchase_to = django_filters.DateFilter(
        label=_("Last purchase to"),
        field_name="last_purchase_on",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    birth_month = django_filters.ChoiceFilter(
        label=_("Birthday month"), choices=sorted(MONTHS.items()), empty_label=ANY_LABEL
    )
    consent = django_filters.ChoiceFilter(
        label=_("Consent granted for"),
        choices=Channel.choices,
        method="filter_consent",
        empty_label=ANY_LABEL,
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[*CustomerStatus.choices, (ANY_STATUS, _("Any status"))],
        empty_label=None,
        method="filter_status",
    )
    source = django_filters.ChoiceFilter(
        label=_("Source"), choices=Source.choices, empty_label=ANY_LABEL
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # Always bound, so the default "active only" applies to a bare URL too.
        super().__init__(
            data if data is not None else QueryDict(), queryset, request=request, prefix=prefix
        )
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_admin_role:
            # Others see only their own department: the filter would be noise.
            self.filters.pop("department")

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status=CustomerStatus.ACTIVE)
        return queryset

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        user = getattr(self.request, "user", None)
        return queryset.filter(customer_search_condition(value, sees_contact=can_see_pii(user)))

    def filter_blankable(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Tier and lifecycle store "" for customers segmentation has not scored yet."""
        # django-filter passes the field name (e.g. ``lifecycle_stage``) as ``name``.
        return queryset.filter(**{name: "" if value == "none" else value})

    def filter_tag(self, queryset: QuerySet, name: str, value: Tag) -> QuerySet:
        tagged = Customer.tags.through.objects.filter(customer_id=OuterRef("pk"), tag=value)
        return queryset.filter(Exists(tagged))

    def filter_province(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """ "广东" finds the customers stored as "广东省" (one spelling, carecrm.regions)."""
        return queryset.filter(province=normalise_province(value)) if value else queryset

    def filter_city(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """ "上海" finds the customers stored as "上海市" (one spelling, carecrm.regions)."""
        return queryset.filter(city=normalise_city(value)) if value else queryset

    def filter_consent(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        granted = ChannelConsent.objects.filter(
            customer_id=OuterRef("pk"), channel=value, granted=True
        )
        return queryset.filter(Exists(granted))

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == ANY_STATUS:
            return queryset
        return queryset.filter(status=value)

    @property
    def active_filter_count(self) -> int:
        """How many filters (not the search) narrow the list, for the "clear" button."""
        if not self.form.is_valid():
            return 0
        return sum(
            1
            for name, value in self.form.cleaned_data.items()
            if name != "q" and value not in (None, "", [])
        )
