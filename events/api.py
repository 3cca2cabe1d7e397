"""The events part of ``/api/v1/``: events (created and changed through the services, with
their approval and status actions), goals, milestones and tasks, all in the user's scope."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from carecrm.core.api import ScopedModelViewSet, drf_validation_error
from events.models import Event, EventGoal, EventTask, Milestone
from events.selectors.events import approval_blockers, visible_events
from events.services import events as event_services
from events.services import tasks as task_services
from events.services import timeline as timeline_services
from segmentation.models import Segment


def _raise(error: Exception):
    if isinstance(error, DjangoPermissionDenied):
        raise PermissionDenied(str(error)) from error
    raise drf_validation_error(error) from error


class GoalSerializer(serializers.ModelSerializer):
    class Meta:
        model = EventGoal
        fields = ["id", "event", "metric", "baseline", "target", "deadline", "actual", "position"]
        read_only_fields = ["actual", "position"]


class EventSerializer(serializers.ModelSerializer):
    target_segments = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Segment.objects.all(), required=False
    )
    goals = GoalSerializer(many=True, read_only=True)
    shift_milestones = serializers.BooleanField(
        write_only=True,
        required=False,
        allow_null=True,
        default=None,
        help_text="When the start date moves and milestones are open: true moves them by as "
        "many days, false keeps their dates.",
    )

    class Meta:
        model = Event
        read_only_fields = [
            "status",
            "approved_at",
            "approved_by",
            "cancelled_at",
            "cancel_reason",
            "reviewed_at",
            "created_at",
            "updated_at",
        ]
        fields = [
            "id",
            *event_services.EDITABLE_FIELDS,
            *event_services.EDITABLE_RELATIONS,
            *read_only_fields,
            "goals",
            "shift_milestones",
        ]
        extra_kwargs = {"department": {"required": False}}

    def _split(self, data: dict) -> tuple[dict, dict, bool | None]:
        shift = data.pop("shift_milestones", None)
        relations = {k: data.pop(k) for k in event_services.EDITABLE_RELATIONS if k in data}
        return data, relations, shift

    def create(self, validated_data):
        fields, relations, _shift = self._split(validated_data)
        try:
            return event_services.event_create(
                user=self.context["request"].user, fields=fields, **relations
            )
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise(error)

    def update(self, instance, validated_data):
        fields, relations, shift = self._split(validated_data)
        try:
            return event_services.event_update(
                event=instance,
                user=self.context["request"].user,
                fields=fields,
                shift_milestones=shift,
                **relations,
            )
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise(error)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class BlockersSerializer(serializers.Serializer):
    blockers = serializers.ListField(child=serializers.CharField())


class EventViewSet(ScopedModelViewSet):
    """Events in your scope (``DELETE`` only a draft without guests or budget; cancel the
    rest). ``POST …/approve/`` needs an approved budget plan (and an
    administrator's approval above the share cap); ``GET …/blockers/`` says what is missing."""

    queryset = Event.objects.all()
    serializer_class = EventSerializer
    filterset_fields = ["status", "type", "department"]
    ordering_fields = ["starts_at", "created_at"]

    def get_base_queryset(self):
        return Event.objects.select_related("department", "owner").prefetch_related(
            "goals", "target_segments"
        )

    def perform_destroy(self, instance):
        """A refusal is a 403: this event may not be deleted (it may be cancelled)."""
        try:
            event_services.event_delete(event=instance, user=self.request.user)
        except DjangoValidationError as error:
            raise PermissionDenied(" ".join(error.messages)) from error
        except DjangoPermissionDenied as error:
            _raise(error)

    def _act(self, fn, **kwargs):
        event = self.get_object()
        try:
            fn(event=event, user=self.request.user, **kwargs)
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise(error)
        return Response(self.get_serializer(self.get_queryset().get(pk=event.pk)).data)

    @extend_schema(request=None, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        if not request.user.has_perm("events.approve_event"):
            raise PermissionDenied()
        return self._act(event_services.event_approve)

    @extend_schema(request=None, responses=EventSerializer)
    @action(detail=True, methods=["post"], url_path="open")
    def open_for_rsvps(self, request, pk=None):
        if not request.user.has_perm("events.change_event"):
            raise PermissionDenied()
        return self._act(event_services.event_open)

    @extend_schema(request=CancelSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        if not request.user.has_perm("events.change_event"):
            raise PermissionDenied()
        self.get_object()
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(event_services.event_cancel, reason=data.validated_data["reason"])

    @extend_schema(responses=BlockersSerializer)
    @action(detail=True, methods=["get"])
    def blockers(self, request, pk=None):
        return Response({"blockers": approval_blockers(self.get_object())})


def _event_in_scope(serializer, value: Event) -> Event:
    if not visible_events(serializer.context["request"].user).filter(pk=value.pk).exists():
        raise serializers.ValidationError("No such event.")
    return value


class ChildSerializer(serializers.ModelSerializer):
    def validate_event(self, value):
        value = _event_in_scope(self, value)
        if self.instance is not None and value.pk != self.instance.event_id:
            raise serializers.ValidationError("A record stays with its event.")
        return value


class GoalWriteSerializer(ChildSerializer):
    class Meta(GoalSerializer.Meta):
        pass


class EventChildViewSet(ScopedModelViewSet):
    """A goal, milestone or task of an event, written through its service:
    ``save_service(event=, user=, fields=, <record_arg>=)`` and
    ``delete_service(<record_arg>=, user=)``."""

    record_arg = ""

    @staticmethod
    def save_service(**kwargs):
        raise NotImplementedError

    @staticmethod
    def delete_service(**kwargs):
        raise NotImplementedError

    def _save(self, serializer):
        event = serializer.validated_data.get("event") or serializer.instance.event
        fields = {k: v for k, v in serializer.validated_data.items() if k != "event"}
        try:
            serializer.instance = self.save_service(
                event=event,
                user=self.request.user,
                fields=fields,
                **{self.record_arg: serializer.instance},
            )
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            _raise(error)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer)

    def perform_destroy(self, instance):
        self.delete_service(**{self.record_arg: instance, "user": self.request.user})


class GoalViewSet(EventChildViewSet):
    queryset = EventGoal.objects.all()
    serializer_class = GoalWriteSerializer
    filterset_fields = ["event"]
    record_arg = "goal"
    save_service = staticmethod(event_services.goal_save)
    delete_service = staticmethod(event_services.goal_delete)

    def get_base_queryset(self):
        return EventGoal.objects.select_related("event")


class MilestoneSerializer(ChildSerializer):
    done = serializers.BooleanField(write_only=True, required=False)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "event",
            "phase",
            "key",
            "name",
            "starts_on",
            "due_on",
            "owner",
            "done_at",
            "done",
            "notes",
        ]
        read_only_fields = ["key", "done_at"]


class MilestoneViewSet(EventChildViewSet):
    queryset = Milestone.objects.all()
    serializer_class = MilestoneSerializer
    filterset_fields = ["event", "phase", "owner"]

    def get_base_queryset(self):
        return Milestone.objects.select_related("event")

    record_arg = "milestone"
    save_service = staticmethod(timeline_services.milestone_save)
    delete_service = staticmethod(timeline_services.milestone_delete)


class TaskSerializer(ChildSerializer):
    class Meta:
        model = EventTask
        fields = [
            "id",
            "event",
            "role",
            "milestone",
            "title",
            "owner",
            "due_on",
            "status",
            "notes",
            "completed_at",
            "created_at",
        ]
        read_only_fields = ["completed_at", "created_at"]


class TaskViewSet(EventChildViewSet):
    """Event tasks in your scope; ``?mine=1`` only your own."""

    queryset = EventTask.objects.all()
    serializer_class = TaskSerializer
    filterset_fields = ["event", "status", "owner"]
    ordering_fields = ["due_on"]

    def get_base_queryset(self):
        tasks = EventTask.objects.select_related("event")
        if self.request.query_params.get("mine") == "1":
            tasks = tasks.filter(owner=self.request.user)
        return tasks

    record_arg = "task"
    save_service = staticmethod(task_services.task_save)
    delete_service = staticmethod(task_services.task_delete)


def register(router) -> None:
    router.register("events", EventViewSet, basename="event")
    router.register("event-goals", GoalViewSet, basename="event-goal")
    router.register("event-milestones", MilestoneViewSet, basename="event-milestone")
    router.register("event-tasks", TaskViewSet, basename="event-task")
