"""``GET /api/v1/dashboard/``: the dashboard's figures for a period as JSON — the same
objects the page and the monthly report render, from the same short-lived cache.

Numbers that are not whole (percentages, scores, money) are decimal strings, as every
amount in the API; a figure that cannot be measured yet (nothing to divide by) is null.
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from carecrm.core.schema import ApiAutoSchema
from dashboard.periods import FIRST_DAY, LAST_DAY, PeriodKind, period_from_query
from dashboard.scope import MAX_ID, DashboardScope
from dashboard.selectors.cache import cached_dashboard_figures


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "pattern": r"^-?\d+(\.\d+)?$",
        "example": "87.5",
        "description": "An exact decimal number as text; null when it cannot be measured.",
    }
)
class DecimalText(serializers.Field):
    """A Decimal or int as its exact decimal text ("87.5", "12", "-3.0"), or null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value is None else str(value)


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.ChoiceField(
        choices=["count", "percent", "yuan", "sms_parts", "score", "ratio"]
    )
    value = DecimalText(allow_null=True)
    previous = DecimalText(allow_null=True)
    change = DecimalText(allow_null=True)
    target = DecimalText(allow_null=True)
    higher_is_better = serializers.BooleanField()
    meets_target = serializers.BooleanField(allow_null=True)
    url = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)


class BreakdownRowSerializer(serializers.Serializer):
    code = serializers.CharField(allow_blank=True)
    label = serializers.CharField()
    count = serializers.IntegerField()
    url = serializers.CharField(allow_blank=True)


class BreakdownSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    total = serializers.IntegerField()
    rows = BreakdownRowSerializer(many=True)


class CampaignResultSerializer(serializers.Serializer):
    campaign_id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    status = serializers.CharField(allow_blank=True)
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    opened = serializers.IntegerField()
    clicked = serializers.IntegerField()
    replied = serializers.IntegerField()
    unsubscribed = serializers.IntegerField()
    reached = serializers.IntegerField()
    converted = serializers.IntegerField()
    sms_parts = serializers.IntegerField()


class EventRowSerializer(serializers.Serializer):
    event_id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    starts_on = serializers.DateField()
    status = serializers.CharField()
    budget_total = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, coerce_to_string=True
    )
    spent = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    budget_used = DecimalText(allow_null=True)


class SeriesPointSerializer(serializers.Serializer):
    month = serializers.DateField()
    spend = serializers.DecimalField(max_digits=16, decimal_places=2, coerce_to_string=True)
    orders = serializers.IntegerField()
    buyers = serializers.IntegerField()
    vips = serializers.IntegerField()


class PeriodSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(PeriodKind.CHOICES))
    start = serializers.DateField()
    last_day = serializers.DateField()
    label = serializers.CharField()


class DashboardSerializer(serializers.Serializer):
    scope = serializers.CharField(source="scope.label")
    department = serializers.IntegerField(source="scope.department_id", allow_null=True)
    period = PeriodSerializer()
    previous = PeriodSerializer()
    computed_at = serializers.DateTimeField()
    kpis = FigureSerializer(many=True)
    breakdowns = BreakdownSerializer(many=True)
    campaigns = CampaignResultSerializer(many=True)
    events = EventRowSerializer(many=True)
    series = SeriesPointSerializer(many=True)


class OneObjectSchema(ApiAutoSchema):
    """The collection route answers one object (the figures), not a list of them."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


_DATE_RANGE = f"From {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}."


class DashboardViewSet(viewsets.GenericViewSet):
    """The dashboard of the signed-in user's scope: staff their department and the
    customers they manage, managers their department, admins every department or the
    one named by ``department``."""

    permission_classes = [IsAuthenticated]
    schema = OneObjectSchema()
    pagination_class = None
    filter_backends: list = []
    serializer_class = DashboardSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period",
                str,
                enum=list(PeriodKind.CHOICES),
                description="month (default), quarter, year or custom.",
            ),
            OpenApiParameter(
                "on",
                OpenApiTypes.DATE,
                description="A day of the month, quarter or year (default: today). " + _DATE_RANGE,
            ),
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description="First day of a custom period. " + _DATE_RANGE,
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.DATE,
                description="Last day of a custom period (at most ten years). " + _DATE_RANGE,
            ),
            OpenApiParameter(
                "department",
                int,
                description="Admins only: one department's figures (default: all).",
            ),
        ],
        responses={
            200: DashboardSerializer,
            400: OpenApiResponse(
                response=inline_serializer(
                    "DashboardQueryError",
                    fields={
                        name: serializers.ListField(child=serializers.CharField(), required=False)
                        for name in ("period", "department")
                    },
                ),
                description="The period or the department cannot be read: the messages say why.",
            ),
        },
    )
    def list(self, request):
        period, problems = period_from_query(request.query_params)
        errors = {}
        kind = request.query_params.get("period")
        if kind and kind not in PeriodKind.CHOICES:
            problems = [
                _("Unknown period “%(kind)s”: use month, quarter, year or custom.") % {"kind": kind}
            ]
        if problems:
            errors["period"] = problems
        department = request.query_params.get("department", "").strip()
        scope = DashboardScope.for_user(request.user, department)
        if department and request.user.is_admin_role and scope.department is None:
            errors["department"] = [
                _no_department(department) if _is_id(department) else _not_an_id(department)
            ]
        if errors:
            raise ValidationError(errors)
        figures = cached_dashboard_figures(scope, period)
        return Response(DashboardSerializer(figures).data)


def _is_id(value: str) -> bool:
    return value.isdigit() and 1 <= int(value) <= MAX_ID


def _no_department(value: str) -> str:
    return _("There is no department with the id %(value)s.") % {"value": value}


def _not_an_id(value: str) -> str:
    return _("“%(value)s” is not a department id.") % {"value": value}


def register(router) -> None:
    router.register("dashboard", DashboardViewSet, basename="dashboard")
