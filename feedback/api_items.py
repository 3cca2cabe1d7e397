"""Feedback items in ``/api/v1/feedback-items/``: list and read in your scope, and create
one by hand (deadlines by severity, the category suggested when none is given)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import mixins, serializers, viewsets

from carecrm.accounts.models import User
from carecrm.core.api import ScopedViewSetMixin, drf_validation_error
from customers.models import Customer
from feedback.models import FeedbackItem, Topic
from feedback.services.items import item_create_by_hand


class FeedbackItemSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(), required=False, allow_null=True
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    category = serializers.ChoiceField(
        choices=Topic.choices,
        required=False,
        allow_blank=True,
        help_text="Empty or left out: the category suggested from the title and description.",
    )

    class Meta:
        model = FeedbackItem
        fields = [
            "id",
            "title",
            "description",
            "customer",
            "department",
            "source",
            "category",
            "suggested_category",
            "severity",
            "status",
            "owner",
            "respond_by",
            "resolve_by",
            "responded_at",
            "resolved_at",
            "resolution_note",
            "closed_at",
            "escalation_level",
            "escalated_at",
            "follow_up_due_on",
            "follow_up_at",
            "follow_up_outcome",
            "follow_up_note",
            "created_at",
        ]
        read_only_fields = [
            f
            for f in fields
            if f not in ("title", "description", "customer", "category", "severity", "owner")
        ]


class FeedbackItemViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Feedback items in your scope; ``POST`` files one by hand. Status changes happen on
    the item's page."""

    queryset = FeedbackItem.objects.all()
    serializer_class = FeedbackItemSerializer
    filterset_fields = ["status", "severity", "category", "source"]
    ordering_fields = ["created_at", "resolve_by"]

    def get_base_queryset(self):
        return FeedbackItem.objects.select_related("customer", "owner", "department")

    def perform_create(self, serializer):
        try:
            serializer.instance = item_create_by_hand(
                user=self.request.user, fields=serializer.validated_data
            )
        except DjangoValidationError as error:
            raise drf_validation_error(error) from error


def register(router) -> None:
    router.register("feedback-items", FeedbackItemViewSet, basename="feedback-item")
