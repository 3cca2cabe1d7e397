"""What touches leave behind or read: offline care tasks, trigger events and the
co-purchase table."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaign import CareCampaign
from campaigns.models.choices import OfflineChannel, TaskOutcome, TaskStatus, TriggerKind
from carecrm.core.scoping import ScopeRule


class CareTask(models.Model):
    """An offline touch (phone call or visit) for the customer's relationship manager, or
    the campaign owner when the customer has none. Completing it logs an interaction."""

    SCOPE = ScopeRule(department="customer__department", owner="assigned_to")

    campaign = models.ForeignKey(
        CareCampaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="tasks"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="care_tasks",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=OfflineChannel)
    occurrence = models.DateField(_("occasion"))
    due_on = models.DateField(_("due"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_tasks",
    )
    instructions = models.TextField(_("script / instructions"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus, default=TaskStatus.OPEN
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=TaskOutcome, blank=True)
    note = models.TextField(_("what happened"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.OneToOneField(
        "customers.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_task",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer", "channel", "occurrence"],
                name="caretask_one_per_occurrence",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | (~Q(outcome="") & Q(completed_at__isnull=False)),
                name="caretask_done_has_outcome",
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "status", "due_on"], name="caretask_assignee"),
            models.Index(fields=["status", "due_on"], name="caretask_status_due"),
            # The task list, soonest due first a keyset page at a time.
            models.Index(fields=["due_on", "id"], name="caretask_due_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.customer}"


class TriggerEvent(models.Model):
    """Something that happened to a customer which trigger campaigns react to and that no
    other table records by date: tier upgrades (from ``segmentation.signals.tier_changed``)
    and entering churn risk. ``source`` makes recording idempotent."""

    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="trigger_events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TriggerKind)
    occurred_on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=60)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("trigger event")
        verbose_name_plural = _("trigger events")
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "source"], name="triggerevent_unique_source")
        ]
        indexes = [
            models.Index(fields=["kind", "occurred_on"], name="triggerevent_kind_date"),
            models.Index(fields=["customer", "kind"], name="triggerevent_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.occurred_on}"


class ProductAffinity(models.Model):
    """Co-purchase statistics over all orders: ``customers`` distinct customers bought both
    ``product`` and ``also_bought``. Rebuilt in one statement by
    ``campaigns.services.recommendations.affinity_rebuild``."""

    product = models.CharField(_("product"), max_length=120)
    also_bought = models.CharField(_("also bought"), max_length=120)
    customers = models.PositiveIntegerField(_("customers who bought both"))

    class Meta:
        verbose_name = _("product affinity")
        verbose_name_plural = _("product affinities")
        constraints = [
            models.UniqueConstraint(fields=["product", "also_bought"], name="affinity_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.product} → {self.also_bought} ({self.customers})"
