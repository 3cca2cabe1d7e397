"""``/api/v1/surveys/`` and ``/api/v1/survey-responses/``: the surveys a user may see with
their questions and coverage, their responses, and answers collected elsewhere (a call
centre, a kiosk) saved through the same rules as the customer's page."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response as ApiResponse

from carecrm.core.api import MAX_ID, ScopedReadOnlyModelViewSet, drf_validation_error
from carecrm.core.scoping import visible_to
from customers.models import Customer
from feedback.models import Answer, Choice, Question, Response, ResponseSource, Survey
from feedback.selectors.surveys import survey_coverage
from feedback.services.responses import SurveyClosed, response_submit


class ChoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Choice
        fields = ["id", "text", "text_en", "position"]
        read_only_fields = fields


class QuestionSerializer(serializers.ModelSerializer):
    choices = ChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = ["id", "kind", "text", "text_en", "topic", "required", "position", "choices"]
        read_only_fields = fields


class SurveySerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)
    invited = serializers.SerializerMethodField()
    answered = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "id",
            "kind",
            "title",
            "title_en",
            "status",
            "opens_at",
            "closes_at",
            "anonymous",
            "trigger",
            "trigger_delay_days",
            "department",
            "event",
            "campaign",
            "questions",
            "invited",
            "answered",
            "created_at",
        ]
        read_only_fields = fields

    def get_invited(self, survey) -> int:
        return survey_coverage(survey).invited

    def get_answered(self, survey) -> int:
        return survey_coverage(survey).answered


class SurveyViewSet(ScopedReadOnlyModelViewSet):
    queryset = Survey.objects.all()
    serializer_class = SurveySerializer
    filterset_fields = ["status", "kind", "department"]

    def get_base_queryset(self):
        return Survey.objects.prefetch_related("questions__choices").order_by("-created_at", "-id")


class AnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Answer
        fields = ["question", "score", "choices", "text"]
        read_only_fields = fields


class ResponseSerializer(serializers.ModelSerializer):
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = Response
        fields = [
            "id",
            "survey",
            "customer",
            "source",
            "entered_by",
            "submitted_at",
            "updated_at",
            "answers",
        ]
        read_only_fields = fields


class ResponseInputSerializer(serializers.Serializer):
    survey = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    source = serializers.ChoiceField(choices=ResponseSource.choices)
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Question id → a score (rating 1–5, NPS 0–10), a choice id or a list of "
        "choice ids, or a text. A second submission for the customer edits the first.",
    )


class ResponseViewSet(ScopedReadOnlyModelViewSet):
    queryset = Response.objects.all()
    serializer_class = ResponseSerializer
    filterset_fields = ["survey", "source"]

    def get_base_queryset(self):
        return Response.objects.prefetch_related("answers__choices").order_by(
            "-submitted_at", "-id"
        )

    @extend_schema(request=ResponseInputSerializer, responses={201: ResponseSerializer})
    def create(self, request):
        """Save a customer's answers collected outside the customer's own page."""
        data = ResponseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        survey = visible_to(user, Survey.objects.all()).filter(pk=data.validated_data["survey"])
        survey = survey.first()
        if survey is None:
            raise serializers.ValidationError({"survey": [_("No such survey.")]})
        customer = visible_to(user, Customer.objects.all())
        customer = customer.filter(pk=data.validated_data["customer"]).first()
        if customer is None:
            raise serializers.ValidationError({"customer": [_("No such customer.")]})
        try:
            response = response_submit(
                survey=survey,
                customer=customer,
                answers=data.validated_data["answers"],
                source=data.validated_data["source"],
                user=user,
            )
        except SurveyClosed:
            raise serializers.ValidationError(
                {"survey": [_("This survey does not take answers now.")]}
            ) from None
        except DjangoValidationError as error:
            raise drf_validation_error(error) from error
        return ApiResponse(ResponseSerializer(response).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("surveys", SurveyViewSet, basename="survey")
    router.register("survey-responses", ResponseViewSet, basename="survey-response")
