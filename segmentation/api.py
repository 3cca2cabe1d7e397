"""The segmentation part of ``/api/v1/``: segments (CRUD, count, members), the tier policy
(read; admins create a new version) and risk alerts (list, acknowledge, resolve)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from carecrm.accounts.models import Department
from carecrm.core.api import ScopedModelViewSet, ScopedReadOnlyModelViewSet, drf_validation_error
from carecrm.core.api_pagination import KeysetPagination
from carecrm.core.keyset import SortKey
from customers.models import Customer, StaticList
from customers.privacy import customer_contact_view
from segmentation.models import RiskAlert, Segment, TierPolicy
from segmentation.rules import RuleError, validate_rules
from segmentation.selectors import segment_customers
from segmentation.services.alerts import alert_acknowledge, alert_resolve
from segmentation.services.policy import policy_save
from segmentation.services.segments import segment_count, segment_delete, segment_save


class SegmentSerializer(serializers.ModelSerializer):
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), allow_null=True, required=False
    )
    static_list = serializers.PrimaryKeyRelatedField(
        queryset=StaticList.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Segment
        fields = (
            "id",
            "name",
            "description",
            "kind",
            "rules",
            "static_list",
            "department",
            "last_count",
            "last_counted_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("last_count", "last_counted_at", "created_at", "updated_at")

    def validate_rules(self, value):
        try:
            return validate_rules(value or {})
        except RuleError as exc:
            raise ValidationError(str(exc)) from exc


class MemberSerializer(serializers.ModelSerializer):
    mobile = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = (
            "id",
            "name",
            "mobile",
            "email",
            "department",
            "region",
            "value_tier",
            "vip_level",
            "lifecycle_stage",
            "rfm_recency",
            "rfm_frequency",
            "rfm_monetary",
            "rfm_segment",
            "loyalty_score",
            "spend_12m",
            "purchase_count_12m",
            "last_purchase_on",
        )

    def _contact(self, obj) -> dict:
        return customer_contact_view(obj, self.context["request"].user)

    def get_mobile(self, obj) -> str:
        return self._contact(obj)["mobile"]

    def get_email(self, obj) -> str:
        return self._contact(obj)["email"]


class SegmentViewSet(ScopedModelViewSet):
    queryset = Segment.objects.select_related("department", "static_list")
    serializer_class = SegmentSerializer
    ordering = ["name"]

    def _save(self, serializer, segment=None):
        data = {
            **(
                {
                    "name": segment.name,
                    "description": segment.description,
                    "kind": segment.kind,
                    "department": segment.department,
                    "rules": segment.rules,
                    "static_list": segment.static_list,
                }
                if segment
                else {}
            ),
            **serializer.validated_data,
        }
        if "department" not in data and not self.request.user.is_admin_role:
            data["department"] = self.request.user.department
        try:
            return segment_save(
                user=self.request.user,
                segment=segment,
                name=data.get("name", ""),
                description=data.get("description", ""),
                kind=data.get("kind", ""),
                department=data.get("department"),
                rules=data.get("rules"),
                static_list=data.get("static_list"),
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        segment = self._save(serializer)
        return Response(self.get_serializer(segment).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        segment = self.get_object()
        serializer = self.get_serializer(
            segment, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        segment = self._save(serializer, segment)
        return Response(self.get_serializer(segment).data)

    def perform_destroy(self, instance):
        try:
            segment_delete(segment=instance, user=self.request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc

    @extend_schema(
        responses=inline_serializer("SegmentCount", {"count": serializers.IntegerField()})
    )
    @action(detail=True, methods=["get"])
    def count(self, request, pk=None):
        segment = self.get_object()
        return Response({"count": segment_count(segment=segment, user=request.user)})

    @extend_schema(responses=MemberSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=KeysetPagination)
    def members(self, request, pk=None):
        """Members by id, a keyset page at a time (``?cursor=`` from ``next``); ``count``
        is exact for a small segment, else an estimate (``count_exact``)."""
        segment = self.get_object()
        self._paginator = KeysetPagination(sorts={"id": SortKey("id")}, default="id")
        members = segment_customers(segment, user=request.user)
        page = self.paginate_queryset(members)
        serializer = MemberSerializer(page, many=True, context={"request": request})
        return self.get_paginated_response(serializer.data)


class TierPolicySerializer(serializers.ModelSerializer):
    created_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = TierPolicy
        fields = (
            "id",
            "version",
            *TierPolicy.THRESHOLD_FIELDS,
            "note",
            "changes",
            "created_by",
            "created_at",
        )
        read_only_fields = ("version", "changes", "created_by", "created_at")


class TierPolicyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Versions, newest first. POST (admins) saves a new version: omitted thresholds keep
    the values in force; ``note`` is required."""

    queryset = TierPolicy.objects.select_related("created_by")
    serializer_class = TierPolicySerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = {
            name: serializer.validated_data[name]
            for name in TierPolicy.THRESHOLD_FIELDS
            if name in serializer.validated_data
        }
        note = (serializer.validated_data.get("note") or "").strip()
        if not note:
            raise ValidationError({"note": ["Say why the policy changes."]})
        try:
            policy = policy_save(values=values, user=request.user, note=note)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc
        return Response(self.get_serializer(policy).data, status=status.HTTP_201_CREATED)


class RiskAlertSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    rule = serializers.CharField(source="rule.kind", read_only=True)

    class Meta:
        model = RiskAlert
        fields = (
            "id",
            "customer",
            "customer_name",
            "rule",
            "severity",
            "status",
            "detail",
            "assigned_to",
            "due_at",
            "escalated_at",
            "escalated_to",
            "acknowledged_at",
            "resolved_at",
            "resolution_note",
            "created_at",
        )
        read_only_fields = fields


class AlertResolveSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True)


class RiskAlertViewSet(ScopedReadOnlyModelViewSet):
    queryset = RiskAlert.objects.select_related("customer", "rule")
    serializer_class = RiskAlertSerializer
    filterset_fields = ("status", "severity", "assigned_to", "escalated_to")
    ordering = ["due_at"]

    def get_permissions(self):
        if self.action in ("acknowledge", "resolve"):
            return [IsAuthenticated()]
        return super().get_permissions()

    def _handle(self, fn, **kwargs):
        alert = self.get_object()
        try:
            alert = fn(alert=alert, user=self.request.user, **kwargs)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc
        return Response(self.get_serializer(alert).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._handle(alert_acknowledge)

    @extend_schema(request=AlertResolveSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._handle(alert_resolve, note=str(request.data.get("note", "")))


def register(router) -> None:
    router.register("segments", SegmentViewSet, basename="segment")
    router.register("tier-policies", TierPolicyViewSet, basename="tier-policy")
    router.register("risk-alerts", RiskAlertViewSet, basename="risk-alert")
