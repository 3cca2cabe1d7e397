"""The delivery engine's tables: the senders (``MessageSource``: a campaign, an event, a
survey …), one outbox row per (source occasion, customer, channel), the events that follow
it, and the rules that decide whether it may go (frequency caps, quiet hours,
unsubscribes).

The outbox row is the truth about a touch (docs/delivery.md): its unique key makes a
re-run dispatch harmless, and its status changes in the same transaction as the decision
that caused it, so no worker's memory decides what has been sent.
"""

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecrm.channels import MessageChannel
from carecrm.core.scoping import ScopeRule

# The channels the engine sends on (phone calls and visits become care tasks).
DeliveryChannel = MessageChannel


class Priority(models.IntegerChoices):
    """Lower sorts first when the delivery step must choose between touches."""

    HIGH = 1, _("High")
    NORMAL = 2, _("Normal")
    LOW = 3, _("Low")


class CareKind(models.TextChoices):
    """What a touch is about, as the customer sees it: they may refuse one kind and keep
    the others, and caps let the more important kinds win (``CARE_KIND_PRIORITY``)."""

    BIRTHDAY = "birthday", _("Birthday greetings")
    HOLIDAY = "holiday", _("Holiday greetings")
    SERVICE = "service", _("Service follow-ups")
    EVENT = "event", _("Event invitations")
    PROMOTION = "promotion", _("Offers and recommendations")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")
    SUPPRESSED = "suppressed", _("Suppressed")
    # Handed to the provider, answer lost: it may have arrived, so it is never posted
    # again automatically; a receipt, the provider's status or an operator settles it.
    UNCERTAIN = "uncertain", _("Uncertain")


# Messages that count against a frequency cap: everything that went, may have gone or
# may still go.
COUNTED_STATUSES = (
    MessageStatus.QUEUED,
    MessageStatus.SENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNCERTAIN,
)
# Messages that reached the provider.
SENT_STATUSES = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.BOUNCED)
FINAL_STATUSES = (
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.FAILED,
    MessageStatus.BOUNCED,
    MessageStatus.SUPPRESSED,
)


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    NO_CONSENT = "no_consent", _("No consent for the channel")
    INVALID_CONTACT = "invalid_contact", _("Invalid contact")
    DUPLICATE = "duplicate", _("Duplicate of another campaign's touch")
    FREQUENCY_CAP = "frequency_cap", _("Frequency cap reached")
    DISPLACED = "displaced", _("Gave way to higher-priority care")
    # The value dates from when only campaigns sent; any source stopped (cancelled).
    SOURCE_STOPPED = "campaign_stopped", _("Stopped by its sender before sending")


class MessageClass(models.TextChoices):
    """Care and marketing touches count against frequency caps; a service message the
    customer asked for (an RSVP confirmation, a survey they started, a complaint
    follow-up) does not, but still obeys unsubscribe-from-everything, consent and quiet
    hours. The figures show the two apart."""

    CARE = "care", _("Care and marketing")
    SERVICE = "service", _("Service the customer asked for")


class SourceState(models.TextChoices):
    ACTIVE = "active", _("Sending")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled")


class MessageSource(models.Model):
    """What a message is sent for: one row per sender object (a campaign, an event's
    invitations, a survey's reminders …). ``kind`` is registered by the app that owns
    the object (``delivery.registry``), which also renders its messages; delivery itself
    knows nothing of campaigns, events or surveys.

    Claims take only messages of an active source: pausing holds them, cancelling
    suppresses them with a reason; what the provider already has stays sent."""

    kind = models.CharField(_("kind"), max_length=40)
    object_id = models.PositiveBigIntegerField(_("object ID"))
    label = models.CharField(_("name"), max_length=200)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=SourceState, default=SourceState.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("message source")
        verbose_name_plural = _("message sources")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="source_one_per_object")
        ]

    def __str__(self) -> str:
        return self.label


class SourceKindClass(models.Model):
    """An admin's decision on one kind of sender (campaigns, service notices, event
    invitations …): whether its messages are care touches that count against frequency
    caps and duplicates, or service messages the customer asked for (exempt from caps,
    never from unsubscribe-from-everything, consent or quiet hours). A kind without a row
    keeps the class its app registered (``delivery.registry.SourceKind.message_class``).
    ``messages_enqueue`` reads it for every source it writes; messages already written
    keep the class they were decided under."""

    kind = models.CharField(_("kind of sender"), max_length=40, unique=True)
    counts_against_caps = models.BooleanField(_("counts against frequency caps"))
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("class of a kind of sender")
        verbose_name_plural = _("classes of the kinds of sender")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.kind}: {'care' if self.counts_against_caps else 'service'}"

    @property
    def message_class(self) -> str:
        return MessageClass.CARE if self.counts_against_caps else MessageClass.SERVICE


class MessageEventKind(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DEFERRED = "deferred", _("Deferred by quiet hours")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    RETRY = "retry", _("Transient error, will retry")
    FAILED = "failed", _("Failed")
    DELIVERED = "delivered", _("Delivered")
    BOUNCED = "bounced", _("Bounced")
    SUPPRESSED = "suppressed", _("Suppressed")
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Clicked")
    REPLIED = "replied", _("Replied")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    REQUEUED = "requeued", _("Requeued")
    UNCERTAIN = "uncertain", _("Outcome uncertain")
    RESOLVED = "resolved", _("Settled by an operator")


class OutboxMessage(models.Model):
    """One message to one customer on one channel for one occasion of a source.

    Written set-based by ``messages_enqueue`` (queued or suppressed with a reason); the
    text is rendered by the source's renderer when a sender claims it, so what is stored
    is exactly what was sent.
    """

    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    source = models.ForeignKey(
        MessageSource,
        verbose_name=_("sent for"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=DeliveryChannel)
    occasion = models.DateField(_("occasion"))
    due_on = models.DateField(_("due"))
    planned_on = models.DateField(
        _("planned send date"), help_text=_("Local date it is planned to go out (caps count it).")
    )
    care_kind = models.CharField(_("kind of care"), max_length=12, choices=CareKind)
    message_class = models.CharField(
        _("class"), max_length=10, choices=MessageClass, default=MessageClass.CARE
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority)
    status = models.CharField(
        _("status"), max_length=12, choices=MessageStatus, default=MessageStatus.QUEUED
    )
    reason = models.CharField(
        _("suppressed because"), max_length=20, choices=SuppressionReason, blank=True
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    send_after = models.DateTimeField(_("not before"))
    deferred = models.BooleanField(_("deferred by quiet hours"), default=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claim = models.UUIDField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Set, and committed, just before the provider is asked; a row still ``sending``
    # with it set may be at the provider, so it is never posted again automatically.
    handed_at = models.DateTimeField(_("handed to the provider at"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    html_body = models.TextField(_("HTML body"), blank=True)
    links = models.JSONField(_("links"), default=list, blank=True)
    provider_id = models.CharField(_("provider message ID"), max_length=100, blank=True)
    error = models.CharField(_("last error"), max_length=500, blank=True)
    error_code = models.CharField(_("error code"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("first clicked at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    open_count = models.PositiveIntegerField(_("opens"), default=0)
    click_count = models.PositiveIntegerField(_("clicks"), default=0)

    class Meta:
        # Created by the campaigns app; moved here without copying a row.
        db_table = "campaigns_outboxmessage"
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "occasion", "customer", "channel"],
                name="outbox_one_per_source_occasion",
            ),
            models.CheckConstraint(
                condition=Q(status="suppressed", reason__gt="")
                | (~Q(status="suppressed") & Q(reason="")),
                name="outbox_suppressed_has_reason",
            ),
        ]
        indexes = [
            # Claims walk this in order (priority first) and stop after one batch.
            models.Index(
                fields=["priority", "send_after", "id"],
                condition=Q(status="queued"),
                name="outbox_queued",
            ),
            models.Index(
                fields=["lease_until"], condition=Q(status="sending"), name="outbox_sending"
            ),
            models.Index(fields=["customer", "planned_on"], name="outbox_customer_day"),
            models.Index(fields=["source", "status"], name="outbox_source_status"),
            models.Index(fields=["status", "sent_at"], name="outbox_status_sent"),
            models.Index(fields=["provider_id"], name="outbox_provider_id"),
            models.Index(fields=["address", "channel", "sent_at"], name="outbox_address"),
            # The log of every message walks this newest first, a keyset page at a time.
            models.Index(fields=["created_at", "id"], name="outbox_created"),
            # One sender's log (a campaign's) and one customer's messages, likewise.
            models.Index(fields=["source", "created_at", "id"], name="outbox_source_created"),
            models.Index(fields=["customer", "created_at", "id"], name="outbox_customer_created"),
            # The messages API may also be read by sending time.
            models.Index(fields=["sent_at", "id"], name="outbox_sent_id"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_channel_display()} → {self.customer_id}"

    @property
    def idempotency_key(self) -> str:
        """The same on every attempt, so a gateway that saw the first one drops a repeat."""
        return f"carecrm-{self.pk}"


class MessageEvent(models.Model):
    """What happened to a message after it was queued: attempts with the provider's
    answer, receipts, opens, clicks, replies. The message row holds the latest state."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=12, choices=MessageEventKind)
    at = models.DateTimeField(_("when"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        # Created by the campaigns app; moved here without copying a row.
        db_table = "campaigns_messageevent"
        verbose_name = _("message event")
        verbose_name_plural = _("message events")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["message", "at"], name="msgevent_message"),
            models.Index(fields=["kind", "at"], name="msgevent_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.kind}"


class FrequencyCap(models.Model):
    """At most ``max_messages`` touches in any ``period_days`` consecutive days, on one
    channel or (channel left empty) across all channels. Admin-configured."""

    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=DeliveryChannel,
        blank=True,
        help_text=_("Leave empty to count every channel together."),
    )
    max_messages = models.PositiveSmallIntegerField(
        _("at most"), validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    period_days = models.PositiveSmallIntegerField(
        _("in days"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        # Created by the campaigns app; moved here without copying a row.
        db_table = "campaigns_frequencycap"
        verbose_name = _("frequency cap")
        verbose_name_plural = _("frequency caps")
        ordering = ["channel", "period_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "period_days"], name="frequencycap_one_per_period"
            )
        ]

    def __str__(self) -> str:
        scope = self.get_channel_display() if self.channel else _("all channels")
        return _("≤ %(n)d in %(days)d days (%(scope)s)") % {
            "n": self.max_messages,
            "days": self.period_days,
            "scope": scope,
        }


def quiet_hours_default_start() -> dt.time:
    """21:00. Callables, not fixed times: Django's check flags a fixed time default that
    falls within ten seconds of the clock (fields.W161), which failed the deploy check
    when it ran at 21:00:00 or 08:00:00 UTC."""
    return dt.time(21, 0)


def quiet_hours_default_end() -> dt.time:
    return dt.time(8, 0)


class QuietHours(models.Model):
    """A daily window (local time) in which a channel sends nothing; messages due inside
    it wait until it ends. ``starts_at`` after ``ends_at`` spans midnight."""

    channel = models.CharField(_("channel"), max_length=10, choices=DeliveryChannel, unique=True)
    starts_at = models.TimeField(_("from"), default=quiet_hours_default_start)
    ends_at = models.TimeField(_("until"), default=quiet_hours_default_end)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        # Created by the campaigns app; moved here without copying a row.
        db_table = "campaigns_quiethours"
        verbose_name = _("quiet hours")
        verbose_name_plural = _("quiet hours")
        ordering = ["channel"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(starts_at=models.F("ends_at")), name="quiethours_not_empty"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class UnsubscribeSource(models.TextChoices):
    LINK = "link", _("Unsubscribe link")
    ONE_CLICK = "one_click", _("One-click (mail client)")
    REPLY = "reply", _("Reply message")
    PREFERENCE_PAGE = "preference_page", _("Preference page")
    STAFF = "staff", _("Recorded by staff")
    COMPLAINT = "complaint", _("Spam complaint")


class Unsubscribe(models.Model):
    """A customer's refusal: of one kind of care, of one channel, or (both empty) of all
    care messages. One row per scope; removing it (preference page) resubscribes."""

    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="unsubscribes",
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=DeliveryChannel, blank=True, default=""
    )
    care_kind = models.CharField(
        _("kind of care"), max_length=12, choices=CareKind, blank=True, default=""
    )
    source = models.CharField(_("how"), max_length=20, choices=UnsubscribeSource)
    message = models.ForeignKey(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        # Created by the campaigns app; moved here without copying a row.
        db_table = "campaigns_unsubscribe"
        verbose_name = _("unsubscribe")
        verbose_name_plural = _("unsubscribes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "channel", "care_kind"], name="unsubscribe_one_per_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel or '*'} {self.care_kind or '*'}"


class DispatchLock(models.Model):
    """A single row every dispatcher updates first: on PostgreSQL the row lock, on SQLite
    the write lock, serialise cap decisions so two dispatchers never exceed a cap."""

    name = models.CharField(max_length=20, unique=True)
    taken_at = models.DateTimeField(null=True)

    class Meta:
        # Created by the campaigns app; moved here without copying a row.
        db_table = "campaigns_dispatchlock"
        verbose_name = _("dispatch lock")
        default_permissions = ()

    def __str__(self) -> str:
        return self.name


class DispatchRun(models.Model):
    """One dispatch pass over a day's due touches, for the operations page."""

    day = models.DateField(_("day"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    queued = models.PositiveIntegerField(_("queued"), default=0)
    suppressed = models.PositiveIntegerField(_("suppressed"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        # Created by the campaigns app; moved here without copying a row.
        db_table = "campaigns_dispatchrun"
        verbose_name = _("dispatch run")
        verbose_name_plural = _("dispatch runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.day} {self.started_at:%H:%M}"
