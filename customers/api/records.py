"""``/api/v1/customers/``, ``/api/v1/orders/`` and ``/api/v1/interactions/``.

Scoped like the pages (``ScopedModelViewSet``), masked like the pages for users without
``view_customer_pii``, and written through the same services, so a rule checked on a form
is checked here too. Derived figures (spend, tiers, scores) are read-only.
"""

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from carecrm.accounts.models import Department
from carecrm.core.api import IdFilter, IsoDateTimeFilter, ScopedModelViewSet, drf_validation_error
from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from carecrm.core.search_throttle import SearchRateThrottle, too_many_searches_message
from customers.filters import CustomerFilterSet
from customers.models import (
    SCORED_FIELDS,
    Channel,
    Customer,
    CustomerStatus,
    Interaction,
    InteractionKind,
    InteractionOutcome,
    Order,
    OrderLine,
    Product,
    ValueTier,
)
from customers.privacy import can_see_pii, mask_email, mask_phone, mask_street
from customers.selectors import visible_customers
from customers.services import interactions, orders
from customers.services import records as services

# Read-only: what segmentation derives (customers.models.SCORED_FIELDS) and when.
DERIVED_FIELDS = (*SCORED_FIELDS, "scored_at")
RECORD_STATE_FIELDS = (
    "status",
    "merged_into",
    "contact_status",
    "contact_verified_at",
    "contact_unreachable_at",
    "created_at",
    "updated_at",
)
# Who referred the customer: read here, set on the customer page (the loyalty app's
# referrer form) or by the customer import, where the rules against circles are checked.
REFERRAL_FIELDS = ("referred_by", "referred_at")
# What the pages mask for users without view_customer_pii, and how.
MASKS = {"mobile": mask_phone, "email": mask_email, "street": mask_street}
HIDDEN_IDENTIFIERS = ("wecom_external_id", "push_token")


def _request_user(serializer):
    return serializer.context["request"].user


class ApiCursorPagination(CursorPagination):
    """Stable, count-free paging: cheap at a million rows and safe while rows are added."""

    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"
    ordering = "-id"


# --- customers ------------------------------------------------------------------------


class TagNamesField(serializers.ListField):
    """Tags as a list of names; unknown names are created when written."""

    child = serializers.CharField(max_length=50)

    def to_representation(self, tags) -> list[str]:
        return sorted(tag.name for tag in tags.all())


class CustomerSerializer(serializers.ModelSerializer):
    mobile = serializers.CharField(required=False, allow_blank=True, max_length=30)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False
    )
    relationship_manager = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )
    preferred_categories = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False
    )
    tags = TagNamesField(required=False)
    masked = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = (
            "id",
            *services.EDITABLE_FIELDS,
            "tags",
            *RECORD_STATE_FIELDS,
            *REFERRAL_FIELDS,
            *DERIVED_FIELDS,
            "masked",
        )
        read_only_fields = (*RECORD_STATE_FIELDS, *REFERRAL_FIELDS, *DERIVED_FIELDS)
        # The unique active mobile is checked by the service on the normalised number.
        validators: list = []

    def get_masked(self, customer: Customer) -> bool:
        return not can_see_pii(_request_user(self))

    def to_representation(self, customer: Customer) -> dict:
        data = super().to_representation(customer)
        if not can_see_pii(_request_user(self)):
            for field, mask in MASKS.items():
                data[field] = mask(getattr(customer, field))
            for field in HIDDEN_IDENTIFIERS:
                data[field] = "****" if getattr(customer, field) else ""
        return data

    def _service_input(self, validated_data: dict) -> tuple[dict, list[str] | None]:
        data = dict(validated_data)
        tags = data.pop("tags", None)
        instance = self.instance
        if instance is not None and not can_see_pii(_request_user(self)):
            # A client echoing back what it was shown must not overwrite the real value.
            for field, mask in MASKS.items():
                if field in data and data[field] == mask(getattr(instance, field)):
                    del data[field]
            for field in HIDDEN_IDENTIFIERS:
                if data.get(field) == "****":
                    del data[field]
        return data, tags

    def create(self, validated_data: dict) -> Customer:
        data, tags = self._service_input(validated_data)
        request = self.context["request"]
        try:
            return services.customer_create(
                user=request.user, data=data, tags=tags, request=request
            )
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc

    def update(self, customer: Customer, validated_data: dict) -> Customer:
        data, tags = self._service_input(validated_data)
        request = self.context["request"]
        try:
            services.customer_update(
                customer=customer, user=request.user, data=data, tags=tags, request=request
            )
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc
        return customer


class CustomerApiFilter(CustomerFilterSet):
    """The customer list's filters (search ``q``, tier, VIP level, consent, last purchase …)
    plus the API's own spellings: ``tier``, ``tag`` by name, ``preferred_channel``."""

    tier = django_filters.ChoiceFilter(field_name="value_tier", choices=ValueTier.choices)
    tag = django_filters.CharFilter(field_name="tags__name")
    preferred_channel = django_filters.ChoiceFilter(choices=Channel.choices)


class CustomerViewSet(ScopedModelViewSet):
    """Customers within the caller's scope; only active ones unless ``status`` is given.
    Reading one customer writes a view entry to the audit trail."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerApiFilter
    filter_backends = [DjangoFilterBackend]
    pagination_class = ApiCursorPagination
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_throttles(self):
        return [*super().get_throttles(), SearchRateThrottle()]

    def throttled(self, request, wait):
        raise Throttled(wait, detail=too_many_searches_message())

    def get_base_queryset(self):
        queryset = Customer.objects.select_related("department").prefetch_related("tags")
        if self.action == "list" and not self.request.query_params.get("status"):
            queryset = queryset.filter(status=CustomerStatus.ACTIVE)
        return queryset

    def retrieve(self, request, *args, **kwargs):
        customer = self.get_object()
        audit_record(
            actor=request.user,
            action=AuditAction.VIEW,
            customer_id=customer.pk,
            obj=customer,
            detail={"via": "api"},
            request=request,
        )
        return Response(self.get_serializer(customer).data)


# --- orders ---------------------------------------------------------------------------


class OrderLineSerializer(serializers.ModelSerializer):
    """A line as sold. ``product_id`` picks a catalogue product: a line that gives it may
    leave ``product``, ``category`` and ``unit_price`` out, and they are taken from the
    product (a price given, e.g. a discount, is kept). ``product`` is the line's own name
    as sold, kept when the catalogue product is renamed later."""

    line_total = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    product_id = serializers.PrimaryKeyRelatedField(
        source="catalogue_product",
        queryset=Product.objects.filter(active=True),
        required=False,
        allow_null=True,
        help_text="The catalogue product (an active one); null for an item typed by hand.",
    )

    class Meta:
        model = OrderLine
        fields = (
            "id",
            "product_id",
            "product",
            "category",
            "quantity",
            "unit_price",
            "line_total",
        )
        read_only_fields = ("id",)
        extra_kwargs = {
            "product": {"required": False, "allow_blank": True},
            "unit_price": {"required": False},
        }

    def validate(self, attrs):
        if not attrs.get("catalogue_product"):
            errors = {}
            if not (attrs.get("product") or "").strip():
                errors["product"] = [_("Enter the product, or pick one from the catalogue.")]
            if attrs.get("unit_price") is None:
                errors["unit_price"] = [_("Enter the unit price.")]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs

    def validate_quantity(self, value):
        if value == 0:
            raise serializers.ValidationError(_("The quantity cannot be zero."))
        return value


class VisibleCustomerField(serializers.PrimaryKeyRelatedField):
    """A customer the caller may see and add to (active, in scope); others are "not found"."""

    def get_queryset(self):
        return visible_customers(self.context["request"].user)


class OrderSerializer(serializers.ModelSerializer):
    customer = VisibleCustomerField()
    lines = OrderLineSerializer(many=True)

    class Meta:
        model = Order
        fields = ("id", "customer", "order_no", "ordered_at", "amount", "store", "lines")
        read_only_fields = ("id", "amount")
        validators: list = []
        extra_kwargs = {"order_no": {"validators": []}}

    def validate_lines(self, lines):
        if not lines:
            raise serializers.ValidationError(_("An order needs at least one line."))
        return lines

    def create(self, validated_data: dict) -> Order:
        request = self.context["request"]
        try:
            return orders.order_record(
                customer=validated_data["customer"],
                order_no=validated_data["order_no"],
                ordered_at=validated_data["ordered_at"],
                store=validated_data.get("store", ""),
                lines=validated_data["lines"],
                user=request.user,
                request=request,
            )
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc

    def update(self, order: Order, validated_data: dict) -> Order:
        errors = {}
        if "customer" in validated_data and validated_data["customer"].pk != order.customer_id:
            errors["customer"] = [_("An order cannot be moved to another customer.")]
        if "order_no" in validated_data and validated_data["order_no"] != order.order_no:
            errors["order_no"] = [_("The order number cannot be changed.")]
        if errors:
            raise serializers.ValidationError(errors)
        request = self.context["request"]
        try:
            orders.order_update(
                order=order,
                user=request.user,
                ordered_at=validated_data.get("ordered_at"),
                store=validated_data.get("store"),
                lines=validated_data.get("lines"),
                request=request,
            )
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc
        return order


class OrderApiFilter(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id")
    store = django_filters.CharFilter()
    ordered_after = IsoDateTimeFilter(field_name="ordered_at", lookup_expr="gte")
    ordered_before = IsoDateTimeFilter(field_name="ordered_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields: list[str] = []


class OrderViewSet(ScopedModelViewSet):
    """Orders of customers within the caller's scope; lines are nested and created with the
    order; the amount is always the sum of the lines."""

    queryset = Order.objects.all()
    serializer_class = OrderSerializer
    filterset_class = OrderApiFilter
    filter_backends = [DjangoFilterBackend]
    pagination_class = ApiCursorPagination
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_base_queryset(self):
        return Order.objects.prefetch_related("lines")


# --- interactions ---------------------------------------------------------------------


class InteractionSerializer(serializers.ModelSerializer):
    customer = VisibleCustomerField()
    staff_name = serializers.SerializerMethodField()

    class Meta:
        model = Interaction
        fields = (
            "id",
            "customer",
            "kind",
            "channel",
            "occurred_at",
            "staff",
            "staff_name",
            "summary",
            "outcome",
            "follow_up_due",
            "resolved_at",
            "resolved_by",
            "resolution",
            "created_at",
        )
        read_only_fields = ("staff", "resolved_at", "resolved_by", "resolution", "created_at")
        extra_kwargs = {"occurred_at": {"required": False}}

    def get_staff_name(self, interaction: Interaction) -> str:
        return str(interaction.staff) if interaction.staff else ""

    def create(self, validated_data: dict) -> Interaction:
        request = self.context["request"]
        data = dict(validated_data)
        try:
            return interactions.interaction_log(
                customer=data.pop("customer"), user=request.user, request=request, **data
            )
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc

    def update(self, interaction: Interaction, validated_data: dict) -> Interaction:
        data = dict(validated_data)
        customer = data.pop("customer", None)
        if customer is not None and customer.pk != interaction.customer_id:
            raise serializers.ValidationError(
                {"customer": [_("An interaction cannot be moved to another customer.")]}
            )
        request = self.context["request"]
        try:
            interactions.interaction_update(
                interaction=interaction, user=request.user, data=data, request=request
            )
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc
        return interaction


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class InteractionApiFilter(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id")
    kind = django_filters.ChoiceFilter(choices=InteractionKind.choices)
    outcome = django_filters.ChoiceFilter(choices=InteractionOutcome.choices)
    staff = IdFilter(field_name="staff_id")
    open_follow_up = django_filters.BooleanFilter(method="filter_open_follow_up")
    follow_up_due_before = django_filters.DateFilter(field_name="follow_up_due", lookup_expr="lte")
    occurred_after = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")

    class Meta:
        model = Interaction
        fields: list[str] = []

    def filter_open_follow_up(self, queryset, name, value):
        is_open = queryset.filter(follow_up_due__isnull=False).exclude(
            outcome=InteractionOutcome.RESOLVED
        )
        return is_open if value else queryset.exclude(pk__in=is_open.values("pk"))


class InteractionViewSet(ScopedModelViewSet):
    """Consultations, complaints, service records, calls and visits; ``POST …/resolve/``
    closes one and its follow-up."""

    queryset = Interaction.objects.all()
    serializer_class = InteractionSerializer
    filterset_class = InteractionApiFilter
    filter_backends = [DjangoFilterBackend]
    pagination_class = ApiCursorPagination
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_base_queryset(self):
        return Interaction.objects.select_related("staff")

    @action(detail=True, methods=["post"], serializer_class=ResolveSerializer)
    def resolve(self, request, pk=None):
        interaction = self.get_object()
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        interaction = interactions.interaction_resolve(
            interaction=interaction,
            user=request.user,
            resolution=serializer.validated_data.get("resolution", ""),
            request=request,
        )
        return Response(
            InteractionSerializer(interaction, context=self.get_serializer_context()).data,
            status=status.HTTP_200_OK,
        )


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("customers", CustomerViewSet, basename="customer")
    router.register("orders", OrderViewSet, basename="order")
    router.register("interactions", InteractionViewSet, basename="interaction")
