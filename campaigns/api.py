"""The campaigns part of ``/api/v1/``: campaigns with their workflow actions, content
templates, coupons (with redemption) and care tasks. Viewsets validate, call a service
and respond; every rule is in ``campaigns.services``."""

import datetime as dt

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from campaigns.models import (
    CampaignContent,
    CareCampaign,
    CareTask,
    ContentTemplate,
    Coupon,
    CouponBatch,
    RedemptionSource,
    ReviewDecision,
    TaskOutcome,
    TouchChannel,
)
from campaigns.selectors.campaigns import can_edit, visible_campaigns
from campaigns.selectors.delivery import campaign_metrics
from campaigns.selectors.due import next_touch_dates
from campaigns.services import approval, campaigns, care_tasks, coupons, library
from carecrm.core.api import ScopedModelViewSet, ScopedReadOnlyModelViewSet, drf_validation_error
from segmentation.models import Segment


def _raise(error: Exception):
    """Domain errors as DRF responses (400 with the messages, 403)."""
    if isinstance(error, DjangoPermissionDenied):
        raise PermissionDenied(str(error)) from error
    raise drf_validation_error(error) from error


class ContentSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignContent
        fields = ["channel", "position", "subject", "body", "html_body", "updated_at"]
        read_only_fields = fields


class CouponBatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = CouponBatch
        fields = ["name", "value", "min_spend", "valid_days", "expires_on"]


class CampaignSerializer(serializers.ModelSerializer):
    include_segments = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Segment.objects.all(), required=False
    )
    exclude_segments = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Segment.objects.all(), required=False
    )
    contents = ContentSerializer(many=True, read_only=True)
    # None until the campaign has coupon terms.
    coupon_batch = CouponBatchSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CareCampaign
        read_only_fields = [
            "status",
            "review_round",
            "submitted_at",
            "approved_at",
            "approved_by",
            "created_at",
            "updated_at",
        ]
        # Writable: exactly what the services accept (campaigns.services.campaigns).
        fields = [
            "id",
            *campaigns.EDITABLE_FIELDS,
            *campaigns.EDITABLE_RELATIONS,
            *read_only_fields,
            "contents",
            "coupon_batch",
        ]
        extra_kwargs = {"review_departments": {"required": False}}

    def _split(self, data: dict) -> tuple[dict, dict]:
        relations = {name: data.pop(name) for name in campaigns.EDITABLE_RELATIONS if name in data}
        return data, relations

    def create(self, validated_data):
        fields, relations = self._split(validated_data)
        try:
            return campaigns.campaign_create(
                user=self.context["request"].user, fields=fields, **relations
            )
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise(error)

    def update(self, instance, validated_data):
        fields, relations = self._split(validated_data)
        try:
            return campaigns.campaign_update(
                campaign=instance, user=self.context["request"].user, fields=fields, **relations
            )
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise(error)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewSerializer(CommentSerializer):
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ContentInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=TouchChannel.choices)
    subject = serializers.CharField(required=False, allow_blank=True, default="")
    body = serializers.CharField(required=False, allow_blank=True, default="")
    html_body = serializers.CharField(required=False, allow_blank=True, default="")


class FiguresSerializer(serializers.Serializer):
    audience = serializers.IntegerField()
    queued = serializers.IntegerField()
    sending = serializers.IntegerField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    bounced = serializers.IntegerField()
    suppressed = serializers.IntegerField()
    opened = serializers.IntegerField()
    clicked = serializers.IntegerField()
    replied = serializers.IntegerField()
    unsubscribed = serializers.IntegerField()
    delivery_rate = serializers.FloatField(allow_null=True)
    open_rate = serializers.FloatField(allow_null=True)
    click_rate = serializers.FloatField(allow_null=True)
    reply_rate = serializers.FloatField(allow_null=True)
    unsubscribe_rate = serializers.FloatField(allow_null=True)


class ChannelFiguresSerializer(FiguresSerializer):
    channel = serializers.CharField()


class ConversionsSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    customers = serializers.IntegerField()
    orders = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    rate = serializers.FloatField(allow_null=True)


class NextDateSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The day the touch is sent.")
    occasion = serializers.DateField(help_text="The day it is for (a birthday, a festival).")
    label = serializers.CharField()
    customers = serializers.IntegerField(help_text="Customers it would reach today.")


class MetricsSerializer(serializers.Serializer):
    """A campaign's delivery figures; rates are fractions (0.25 = 25 %), null when
    nothing was sent they could divide by."""

    total = FiguresSerializer()
    by_channel = ChannelFiguresSerializer(many=True)
    suppressed_by_reason = serializers.DictField(child=serializers.IntegerField())
    coupons_issued = serializers.IntegerField()
    coupons_redeemed = serializers.IntegerField()
    conversions = ConversionsSerializer()
    daily = serializers.DictField(child=serializers.ListField())

    @staticmethod
    def of(metrics) -> dict:
        return {
            "total": metrics.total.as_dict(),
            "by_channel": [
                {"channel": channel, **figures.as_dict()}
                for channel, _label, figures in metrics.by_channel
            ],
            "suppressed_by_reason": {
                reason: count for reason, _label, count in metrics.suppressed_by_reason
            },
            "coupons_issued": metrics.coupons_issued,
            "coupons_redeemed": metrics.coupons_redeemed,
            "conversions": metrics.conversions.__dict__,
            "daily": metrics.series,
        }


class CampaignViewSet(ScopedModelViewSet):
    """Campaigns of the user's scope (and those their department must review). Workflow:
    ``submit``, ``review`` (a required department), ``approve`` and ``request-changes``
    (a manager), ``pause``, ``resume``, ``finish``; content per channel with ``content``,
    coupon terms with ``coupon-batch``; ``next-dates`` lists the next occurrences."""

    queryset = CareCampaign.objects.all()
    serializer_class = CampaignSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    filterset_fields = ["status", "kind", "department"]
    ordering_fields = ["created_at", "name", "priority"]

    def get_queryset(self):
        return (
            visible_campaigns(self.request.user)
            .select_related("coupon_batch", "approved_by")
            .prefetch_related(
                "contents", "include_segments", "exclude_segments", "review_departments"
            )
            .order_by("-created_at", "-id")
        )

    def _editable(self) -> CareCampaign:
        campaign = self.get_object()
        if not can_edit(self.request.user, campaign):
            raise PermissionDenied("You cannot change this campaign.")
        return campaign

    def perform_update(self, serializer):
        self._editable()
        serializer.save()

    def _respond(self, campaign) -> Response:
        campaign = self.get_queryset().get(pk=campaign.pk)
        return Response(CampaignSerializer(campaign, context=self.get_serializer_context()).data)

    def _run(self, func, **kwargs) -> Response:
        try:
            result = func(**kwargs)
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise(error)
        return self._respond(result if isinstance(result, CareCampaign) else result.campaign)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._run(approval.campaign_submit, campaign=self._editable(), user=request.user)

    @extend_schema(responses=CampaignSerializer)
    @action(detail=True, methods=["post"], serializer_class=CommentSerializer)
    def approve(self, request, pk=None):
        campaign = self.get_object()  # 404 outside the scope before the body is judged
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            approval.campaign_approve,
            campaign=campaign,
            user=request.user,
            comment=data.validated_data["comment"],
        )

    @extend_schema(responses=CampaignSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="request-changes",
        serializer_class=CommentSerializer,
    )
    def request_changes(self, request, pk=None):
        campaign = self.get_object()  # 404 outside the scope before the body is judged
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            approval.campaign_request_changes,
            campaign=campaign,
            user=request.user,
            comment=data.validated_data["comment"],
        )

    @extend_schema(responses=CampaignSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReviewSerializer)
    def review(self, request, pk=None):
        campaign = self.get_object()  # 404 outside the scope before the body is judged
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            approval.campaign_review,
            campaign=campaign,
            user=request.user,
            decision=data.validated_data["decision"],
            comment=data.validated_data["comment"],
        )

    @extend_schema(responses=CampaignSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def pause(self, request, pk=None):
        campaign = self._editable()  # 404 outside the scope before the body is judged
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            approval.campaign_pause,
            campaign=campaign,
            user=request.user,
            reason=data.validated_data["reason"],
        )

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._run(approval.campaign_resume, campaign=self._editable(), user=request.user)

    @extend_schema(responses=CampaignSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def finish(self, request, pk=None):
        campaign = self._editable()  # 404 outside the scope before the body is judged
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            approval.campaign_finish,
            campaign=campaign,
            user=request.user,
            reason=data.validated_data["reason"],
        )

    @extend_schema(responses=CampaignSerializer)
    @action(detail=True, methods=["post"], serializer_class=ContentInputSerializer)
    def content(self, request, pk=None):
        campaign = self._editable()  # 404 outside the scope before the body is judged
        data = ContentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            campaigns.campaign_content_set,
            campaign=campaign,
            user=request.user,
            **data.validated_data,
        )

    @extend_schema(responses=CampaignSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="coupon-batch",
        serializer_class=CouponBatchSerializer,
    )
    def coupon_batch(self, request, pk=None):
        campaign = self._editable()  # 404 outside the scope before the body is judged
        data = CouponBatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            campaigns.coupon_batch_set(campaign=campaign, user=request.user, **data.validated_data)
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise(error)
        return self._respond(campaign)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "after",
                OpenApiTypes.DATE,
                description="List occurrences after this day (default: today).",
            )
        ],
        responses=NextDateSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="next-dates", pagination_class=None)
    def next_dates(self, request, pk=None):
        campaign = self.get_object()
        try:
            after = dt.date.fromisoformat(request.query_params.get("after", ""))
        except ValueError:
            after = timezone.localdate()
        return Response(
            [
                {"date": occ.on, "occasion": occ.occasion, "label": occ.label, "customers": n}
                for occ, n in next_touch_dates(campaign, after=after)
            ]
        )

    @action(detail=True, methods=["get"], serializer_class=MetricsSerializer)
    def metrics(self, request, pk=None):
        """Delivery figures of the whole campaign (see the campaign page's card)."""
        metrics = campaign_metrics(self.get_object())
        return Response(MetricsSerializer(MetricsSerializer.of(metrics)).data)


class TemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContentTemplate
        fields = [
            "id",
            "name",
            "channel",
            "subject",
            "body",
            "html_body",
            "department",
            "created_by",
            "updated_at",
        ]
        read_only_fields = ["created_by", "updated_at"]

    def create(self, validated_data):
        return self._save(ContentTemplate(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)

    def _save(self, template, data):
        try:
            return library.content_template_save(
                user=self.context["request"].user, template=template, fields=data
            )
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise(error)


class TemplateViewSet(ScopedModelViewSet):
    queryset = ContentTemplate.objects.all()
    serializer_class = TemplateSerializer
    filterset_fields = ["channel", "department"]

    def get_base_queryset(self):
        return ContentTemplate.objects.order_by("channel", "name", "pk")

    def perform_destroy(self, instance):
        library.content_template_delete(user=self.request.user, template=instance)


class CouponSerializer(serializers.ModelSerializer):
    campaign = serializers.IntegerField(source="batch.campaign_id", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = Coupon
        fields = [
            "id",
            "code",
            "campaign",
            "customer",
            "customer_name",
            "occurrence",
            "issued_at",
            "expires_on",
            "redeemed_at",
            "order_no",
            "redeemed_amount",
            "redemption_source",
        ]
        read_only_fields = fields


class RedeemSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=30)
    order_no = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )
    redeemed_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class CouponViewSet(ScopedReadOnlyModelViewSet):
    """Coupons of customers in the user's scope. ``redeem`` records one redemption (the
    same order reported twice is harmless); ``redeem-import`` takes a CSV file."""

    queryset = Coupon.objects.all()
    serializer_class = CouponSerializer
    filterset_fields = ["batch__campaign", "customer", "occurrence"]

    def get_base_queryset(self):
        return Coupon.objects.select_related("batch", "customer").order_by("-issued_at", "-id")

    @action(
        detail=False,
        methods=["post"],
        permission_classes=[IsAuthenticated],
        serializer_class=RedeemSerializer,
    )
    def redeem(self, request):
        data = RedeemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            coupon = coupons.coupon_redeem(
                user=request.user, source=RedemptionSource.API, **data.validated_data
            )
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise(error)
        return Response(CouponSerializer(coupon).data)

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "RedemptionImportUpload", {"file": serializers.FileField()}
            )
        },
        responses=inline_serializer(
            "RedemptionImportResult",
            {
                "rows": serializers.IntegerField(),
                "redeemed": serializers.IntegerField(),
                "unchanged": serializers.IntegerField(),
                "errors": inline_serializer(
                    "RedemptionImportError",
                    {
                        "line": serializers.IntegerField(),
                        "code": serializers.CharField(),
                        "message": serializers.CharField(),
                    },
                    many=True,
                ),
            },
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="redeem-import",
        permission_classes=[IsAuthenticated],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def redeem_import(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Upload a CSV file as “file”."]})
        try:
            result = coupons.coupon_redemptions_import(file=upload, user=request.user)
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise(error)
        return Response(
            {
                "rows": result.rows,
                "redeemed": result.redeemed,
                "unchanged": result.unchanged,
                "errors": [
                    {"line": line, "code": code, "message": message}
                    for line, code, message in result.errors
                ],
            },
            status=status.HTTP_200_OK,
        )


class CareTaskSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = CareTask
        fields = [
            "id",
            "campaign",
            "customer",
            "customer_name",
            "channel",
            "occurrence",
            "due_on",
            "assigned_to",
            "instructions",
            "status",
            "outcome",
            "note",
            "completed_at",
            "interaction",
        ]
        read_only_fields = fields


class CompleteTaskSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=TaskOutcome.choices)
    note = serializers.CharField()
    follow_up_due = serializers.DateField(required=False, allow_null=True, default=None)


class CareTaskViewSet(ScopedReadOnlyModelViewSet):
    queryset = CareTask.objects.all()
    serializer_class = CareTaskSerializer
    filterset_fields = ["status", "assigned_to", "campaign", "channel"]

    def get_base_queryset(self):
        return CareTask.objects.select_related("customer").order_by("due_on", "id")

    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated],
        serializer_class=CompleteTaskSerializer,
    )
    def complete(self, request, pk=None):
        if not request.user.has_perm("campaigns.change_caretask"):
            raise PermissionDenied()
        task = self.get_object()  # 404 outside the scope before the body is judged
        data = CompleteTaskSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            task = care_tasks.care_task_complete(
                task=task, user=request.user, request=request, **data.validated_data
            )
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise(error)
        return Response(CareTaskSerializer(task).data)


def register(router) -> None:
    router.register("campaigns", CampaignViewSet, basename="campaign")
    router.register("campaign-templates", TemplateViewSet, basename="campaign-template")
    router.register("coupons", CouponViewSet, basename="coupon")
    router.register("care-tasks", CareTaskViewSet, basename="care-task")
