"""The loyalty part of ``/api/v1/``: points accounts and their ledger to read, redemption
(``POST /api/v1/points-accounts/redeem/``, answered 400 with the reason when refused), and
the referrals of the customers in the caller's scope. Every rule is in
``loyalty.services``; scoping is the pages' (``ScopedReadOnlyModelViewSet``)."""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from carecrm.core.api import (
    IdFilter,
    IsoDateTimeFilter,
    ScopedReadOnlyModelViewSet,
    drf_validation_error,
)
from carecrm.core.scoping import visible_to
from customers.models import Customer, CustomerStatus
from customers.selectors import visible_customers
from loyalty.describe import describe
from loyalty.models import EntryKind, PointsAccount, PointsEntry
from loyalty.selectors.referrals import referral_list
from loyalty.services.redemption import points_redeem


class PointsAccountSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    vip_level = serializers.CharField(source="customer.vip_level", read_only=True)

    class Meta:
        model = PointsAccount
        fields = ["id", "customer", "customer_name", "vip_level", "balance", "updated_at"]
        read_only_fields = fields


class PointsEntrySerializer(serializers.ModelSerializer):
    order_no = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = PointsEntry
        fields = [
            "id",
            "customer",
            "kind",
            "points",
            "created_at",
            "earned_at",
            "order",
            "order_no",
            "original_order",
            "rate",
            "basis",
            "referral",
            "year",
            "reward",
            "note",
            "description",
            "created_by",
            "created_by_name",
        ]
        read_only_fields = fields

    def get_order_no(self, entry) -> str:
        return entry.order.order_no if entry.order_id else ""

    def get_description(self, entry) -> str:
        return describe(entry, referral_visible=getattr(entry, "referral_visible", False))

    def get_created_by_name(self, entry) -> str:
        return str(entry.created_by) if entry.created_by_id else ""


class RedemptionSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    points = serializers.IntegerField(min_value=1, max_value=10_000_000)
    reward = serializers.CharField(max_length=200)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AccountFilter(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id")
    balance_min = django_filters.NumberFilter(field_name="balance", lookup_expr="gte")
    balance_max = django_filters.NumberFilter(field_name="balance", lookup_expr="lte")

    class Meta:
        model = PointsAccount
        fields: list[str] = []


class PointsAccountViewSet(ScopedReadOnlyModelViewSet):
    """Each customer's points balance — always the sum of the customer's ledger.
    ``redeem`` spends points on a reward (needs the redeem permission)."""

    queryset = PointsAccount.objects.all()
    serializer_class = PointsAccountSerializer
    filterset_class = AccountFilter
    ordering_fields = ["balance", "updated_at"]

    def get_base_queryset(self):
        return PointsAccount.objects.select_related("customer").order_by("-balance", "id")

    @extend_schema(
        request=RedemptionSerializer,
        responses={status.HTTP_201_CREATED: PointsEntrySerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[IsAuthenticated],
        serializer_class=RedemptionSerializer,
    )
    def redeem(self, request):
        data = RedemptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        customer = (
            visible_customers(request.user, include_inactive=True)
            .filter(pk=values["customer"])
            .first()
        )
        if customer is None:
            raise drf_validation_error(
                DjangoValidationError({"customer": [_("No customer you can see has this ID.")]})
            )
        try:
            entry = points_redeem(
                customer=customer,
                points=values["points"],
                reward=values["reward"],
                note=values["note"],
                user=request.user,
                request=request,
            )
        except DjangoValidationError as error:
            raise drf_validation_error(error) from error
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from error
        return Response(PointsEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class EntryFilter(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id")
    kind = django_filters.ChoiceFilter(choices=EntryKind.choices)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = PointsEntry
        fields: list[str] = []


class PointsEntryViewSet(ScopedReadOnlyModelViewSet):
    """The points ledger: every change to a customer's points, newest first. Rows are
    never changed or removed."""

    queryset = PointsEntry.objects.all()
    serializer_class = PointsEntrySerializer
    filterset_class = EntryFilter
    ordering_fields = ["created_at", "points"]

    def get_base_queryset(self):
        visible = visible_to(self.request.user, Customer.objects.filter(pk=OuterRef("referral")))
        return (
            PointsEntry.objects.select_related("order", "original_order", "referral", "created_by")
            .annotate(referral_visible=Exists(visible))
            .order_by("-created_at", "-id")
        )


class ReferralSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="pk", read_only=True)
    referred_by_name = serializers.SerializerMethodField()
    bonus_points = serializers.IntegerField(read_only=True, allow_null=True)
    bonus_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "customer",
            "name",
            "vip_level",
            "referred_by",
            "referred_by_name",
            "referred_at",
            "relationship_manager",
            "bonus_points",
            "bonus_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_referred_by_name(self, customer) -> str | None:
        """The referrer's name, or null when the caller may not see the referrer."""
        return customer.referred_by.name if customer.referrer_visible else None


class ReferralFilter(django_filters.FilterSet):
    referred_by = IdFilter(field_name="referred_by_id")
    vip_level = django_filters.ChoiceFilter(
        field_name="vip_level", choices=Customer._meta.get_field("vip_level").choices
    )
    referred_after = IsoDateTimeFilter(field_name="referred_at", lookup_expr="gte")
    referred_before = IsoDateTimeFilter(field_name="referred_at", lookup_expr="lt")

    class Meta:
        model = Customer
        fields: list[str] = []


class ReferralViewSet(ScopedReadOnlyModelViewSet):
    """Referred customers in the caller's scope with their referrer (named only when the
    caller may see them) and the referral bonus their referral brought (null while
    none)."""

    queryset = Customer.objects.all()
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter
    ordering_fields = ["referred_at"]

    def get_base_queryset(self):
        visible = visible_to(self.request.user, Customer.objects.filter(pk=OuterRef("referred_by")))
        return (
            referral_list(self.request.user)
            .filter(status=CustomerStatus.ACTIVE)
            .annotate(referrer_visible=Exists(visible))
        )


def register(router) -> None:
    router.register("points-accounts", PointsAccountViewSet, basename="points-account")
    router.register("points-entries", PointsEntryViewSet, basename="points-entry")
    router.register("referrals", ReferralViewSet, basename="referral")
