"""``/api/v1/event-guests/``: the guest lists of the events a user may see (answers,
party sizes, check-ins) and checking a guest in at the door. Invitations and answers go
through the staff pages and the guest's own RSVP link."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from carecrm.core.api import ScopedReadOnlyModelViewSet, drf_validation_error
from events.models import Guest
from events.services.checkin import guest_check_in


class GuestSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = Guest
        fields = [
            "id",
            "event",
            "customer",
            "customer_name",
            "status",
            "source",
            "party_size",
            "dietary_note",
            "invited_at",
            "responded_at",
            "waitlisted_at",
            "promoted_at",
            "checked_in_at",
            "checked_in_by",
        ]
        read_only_fields = fields


class CheckInSerializer(serializers.Serializer):
    recorded = serializers.BooleanField(help_text="False: the guest was checked in before.")
    guest = GuestSerializer()


class GuestViewSet(ScopedReadOnlyModelViewSet):
    queryset = Guest.objects.all()
    serializer_class = GuestSerializer
    filterset_fields = ["event", "status", "source"]

    def get_base_queryset(self):
        return Guest.objects.select_related("customer", "event").order_by("created_at", "id")

    @extend_schema(request=None, responses=CheckInSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def check_in(self, request, pk=None):
        """Check the guest in; a second check-in records nothing and says who was first."""
        if not request.user.has_perm("events.check_in_guest"):
            raise PermissionDenied()
        guest = self.get_object()
        try:
            outcome = guest_check_in(guest=guest, user=request.user)
        except DjangoValidationError as error:
            raise drf_validation_error(error) from error
        return Response(
            CheckInSerializer({"recorded": outcome.recorded, "guest": outcome.guest}).data
        )


def register(router) -> None:
    router.register("event-guests", GuestViewSet, basename="event-guest")
