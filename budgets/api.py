"""The budgets part of ``/api/v1/``: annual budgets and plans to read (with their lines,
what was spent on each and where the plan stands against the share cap), and expenses to
list and book with a receipt (multipart). Every rule is in ``budgets.services``."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from budgets.models import AnnualBudget, BudgetLine, BudgetPlan, Expense
from budgets.selectors.overview import plan_lines
from budgets.selectors.plans import plan_cap_check, plan_figures, plan_is_approved
from budgets.services.expenses import expense_add
from carecrm.core.api import ScopedReadOnlyModelViewSet, ScopedViewSetMixin, drf_validation_error
from carecrm.core.scoping import visible_to

MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": True}


class AnnualBudgetSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = AnnualBudget
        fields = ["id", "year", "department", "department_name", "allocated", "notes", "updated_at"]
        read_only_fields = fields


class BudgetLineSerializer(serializers.ModelSerializer):
    spent = serializers.DecimalField(**MONEY, read_only=True)
    variance = serializers.DecimalField(**MONEY, read_only=True)

    class Meta:
        model = BudgetLine
        fields = [
            "id",
            "category",
            "description",
            "unit_price",
            "quantity",
            "amount",
            "spent",
            "variance",
            "position",
        ]
        read_only_fields = fields


class PlanFiguresSerializer(serializers.Serializer):
    subtotal = serializers.DecimalField(**MONEY)
    contingency = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    spent = serializers.DecimalField(**MONEY)
    remaining = serializers.DecimalField(**MONEY)
    annual_budget = serializers.DecimalField(**MONEY, allow_null=True)
    share_percent = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    share_cap_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    over_cap = serializers.BooleanField()
    over_cap_approved = serializers.BooleanField()
    fully_approved = serializers.BooleanField()


class BudgetPlanSerializer(serializers.ModelSerializer):
    lines = serializers.SerializerMethodField()
    figures = serializers.SerializerMethodField()

    class Meta:
        model = BudgetPlan
        fields = [
            "id",
            "title",
            "owner_kind",
            "owner_id",
            "department",
            "year",
            "status",
            "contingency_percent",
            "subtotal",
            "contingency",
            "total",
            "review_round",
            "submitted_at",
            "approved_at",
            "approved_by",
            "created_at",
            "updated_at",
            "lines",
            "figures",
        ]
        read_only_fields = fields

    @extend_schema_field(BudgetLineSerializer(many=True))
    def get_lines(self, plan) -> list[dict]:
        return BudgetLineSerializer(plan_lines(plan), many=True).data

    @extend_schema_field(PlanFiguresSerializer)
    def get_figures(self, plan) -> dict:
        figures = plan_figures(plan)
        check = plan_cap_check(plan)
        return PlanFiguresSerializer(
            {
                "subtotal": figures.subtotal,
                "contingency": figures.contingency,
                "total": figures.total,
                "spent": figures.spent,
                "remaining": figures.remaining,
                "annual_budget": check.annual,
                "share_percent": check.share,
                "share_cap_percent": check.cap,
                "over_cap": check.over_cap,
                "over_cap_approved": check.over_cap_approved,
                "fully_approved": plan_is_approved(plan),
            }
        ).data


class BudgetExpenseSerializer(serializers.ModelSerializer):
    receipt = serializers.FileField(write_only=True, required=False, allow_null=True)
    has_receipt = serializers.SerializerMethodField()

    class Meta:
        model = Expense
        fields = [
            "id",
            "plan",
            "line",
            "amount",
            "spent_on",
            "payee",
            "description",
            "receipt",
            "has_receipt",
            "receipt_name",
            "receipt_type",
            "created_at",
        ]
        read_only_fields = ["id", "has_receipt", "receipt_name", "receipt_type", "created_at"]
        extra_kwargs = {"plan": {"queryset": BudgetPlan.objects.all()}}

    def get_has_receipt(self, expense) -> bool:
        return bool(expense.receipt)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) is not None:
            plans = visible_to(request.user, BudgetPlan.objects.all())
            fields["plan"].queryset = plans
            fields["line"].queryset = BudgetLine.objects.filter(plan__in=plans)
        return fields


class AnnualBudgetViewSet(ScopedReadOnlyModelViewSet):
    """Each department's annual budget (admins set them on the budgets pages)."""

    queryset = AnnualBudget.objects.all()
    serializer_class = AnnualBudgetSerializer
    filterset_fields = ["year", "department"]
    ordering_fields = ["year", "allocated"]

    def get_base_queryset(self):
        return AnnualBudget.objects.select_related("department").order_by(
            "-year", "department__name", "id"
        )


class PlanViewSet(ScopedReadOnlyModelViewSet):
    """Budget plans with their lines (amount, spent, variance) and figures: totals, what
    was spent, the share of the annual budget and whether it is fully approved."""

    queryset = BudgetPlan.objects.all()
    serializer_class = BudgetPlanSerializer
    filterset_fields = ["year", "department", "status", "owner_kind", "owner_id"]
    ordering_fields = ["created_at", "total", "year"]

    def get_base_queryset(self):
        return BudgetPlan.objects.order_by("-year", "-created_at", "-id")


class ExpenseViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Expenses booked against plan lines; ``POST`` (multipart) books one with its
    receipt (JPEG, PNG, WebP or PDF, checked by content and size)."""

    queryset = Expense.objects.all()
    serializer_class = BudgetExpenseSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["plan", "line"]
    ordering_fields = ["spent_on", "amount", "created_at"]

    def get_base_queryset(self):
        return Expense.objects.order_by("-spent_on", "-id")

    @extend_schema(request={"multipart/form-data": BudgetExpenseSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        plan = data.pop("plan")
        receipt = data.pop("receipt", None)
        try:
            expense = expense_add(plan=plan, user=request.user, data=data, receipt=receipt)
        except DjangoValidationError as error:
            raise drf_validation_error(error) from error
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from error
        return Response(self.get_serializer(expense).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("annual-budgets", AnnualBudgetViewSet, basename="annual-budget")
    router.register("budget-plans", PlanViewSet, basename="budget-plan")
    router.register("budget-expenses", ExpenseViewSet, basename="budget-expense")
