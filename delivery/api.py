"""The messages API (``/api/v1/messages/``): outbox messages of every sender to customers
in the user's scope, masked and audited like the pages. A sender's own fields (a
campaign's ID, the ``?campaign=`` filter) come from its registration
(``SourceKind.api_field``): delivery names no sender."""

from rest_framework import serializers
from rest_framework.response import Response

from carecrm.core.api import ScopedReadOnlyModelViewSet
from carecrm.core.api_pagination import KeysetPagination
from carecrm.core.audit import audit_record_many
from carecrm.core.keyset import SortKey
from carecrm.core.models import AuditAction
from customers.privacy import can_see_pii, text_for
from delivery.models import OutboxMessage
from delivery.registry import source_kinds
from delivery.selectors.messages import address_for, message_text_for_staff


class SenderObjectField(serializers.IntegerField):
    """The ID of the object that sent the message when it is of ``kind`` (a campaign's ID
    for a campaign's message), else null."""

    def __init__(self, kind: str, **kwargs):
        self.kind = kind
        super().__init__(source="source", read_only=True, allow_null=True, **kwargs)

    def to_representation(self, source) -> int | None:
        return source.object_id if source.kind == self.kind else None


def sender_fields() -> dict[str, str]:
    """API field name -> source kind, for every registered kind that names one."""
    return {kind.api_field: key for key, kind in source_kinds.items() if kind.api_field}


class MessageSerializer(serializers.ModelSerializer):
    """``source``: what the message was sent for (``source_kind``: campaign, event …);
    and, per kind of sender that registered one (``SourceKind.api_field``), the ID of its
    object — ``campaign``: the campaign's ID when a campaign sent it (else null)."""

    source_kind = serializers.CharField(source="source.kind", read_only=True)
    source_label = serializers.CharField(source="source.label", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    address = serializers.SerializerMethodField()
    masked = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "source",
            "source_kind",
            "source_label",
            "customer",
            "customer_name",
            "channel",
            "address",
            "masked",
            "occasion",
            "planned_on",
            "care_kind",
            "message_class",
            "priority",
            "status",
            "reason",
            "deferred",
            "send_after",
            "attempts",
            "subject",
            "body",
            "provider_id",
            "error",
            "error_code",
            "created_at",
            "sent_at",
            "delivered_at",
            "failed_at",
            "opened_at",
            "clicked_at",
            "replied_at",
            "unsubscribed_at",
            "open_count",
            "click_count",
        ]
        read_only_fields = fields

    def get_fields(self):
        fields = super().get_fields()
        extra = {name: SenderObjectField(kind) for name, kind in sender_fields().items()}
        ordered = {}
        for name, field in fields.items():
            ordered[name] = field
            if name == "source_label":
                ordered.update(extra)
        return ordered

    def get_address(self, message: OutboxMessage) -> str:
        return address_for(self.context["request"].user, message)

    def get_masked(self, message: OutboxMessage) -> bool:
        return not can_see_pii(self.context["request"].user)

    def get_body(self, message: OutboxMessage) -> str:
        return message_text_for_staff(message.body)

    def get_error(self, message: OutboxMessage) -> str:
        """A provider's error quotes the address it refused: masked like ``address``."""
        return text_for(self.context["request"].user, message.error)


class MessageViewSet(ScopedReadOnlyModelViewSet):
    """Outbox messages to customers in the user's scope; the address is masked for users
    without ``view_customer_pii``, as on the pages."""

    queryset = OutboxMessage.objects.all()
    serializer_class = MessageSerializer
    filterset_fields = [
        "source",
        "customer",
        "status",
        "channel",
        "reason",
        "occasion",
        "message_class",
    ]
    ordering_fields = ["created_at", "sent_at", "id"]
    # Keyset pages (``?cursor=``), never COUNT(*) or OFFSET over the outbox.
    pagination_class = KeysetPagination
    keyset_sorts = {
        "created_at": SortKey("created_at"),
        "sent_at": SortKey("sent_at", nullable=True),
        "id": SortKey("id"),
    }
    keyset_default = "-created_at"

    def get_base_queryset(self):
        messages = OutboxMessage.objects.select_related("customer", "source")
        for name, kind in sender_fields().items():
            value = self.request.query_params.get(name)
            if value:
                if not value.isdigit():
                    return messages.none()
                messages = messages.filter(source__kind=kind, source__object_id=int(value))
        return messages.order_by("-created_at", "-id")

    def _audit(self, customer_ids: list[int]) -> None:
        """Full addresses shown are views of personal data (as on the pages)."""
        if customer_ids and can_see_pii(self.request.user):
            audit_record_many(
                actor=self.request.user,
                action=AuditAction.VIEW,
                customer_ids=customer_ids,
                detail={"via": "api", "what": "messages"},
                request=self.request,
            )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._audit([message.customer_id for message in page or []])
        return page

    def retrieve(self, request, *args, **kwargs):
        message = self.get_object()
        self._audit([message.customer_id])
        return Response(self.get_serializer(message).data)


def register(router) -> None:
    router.register("messages", MessageViewSet, basename="message")
