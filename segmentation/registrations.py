"""What the segmentation app adds to the shared navigation and home page."""

from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import (
    ALL_ACTIONS,
    READ_ACTIONS,
    WORK_ACTIONS,
    HomeCard,
    NavItem,
    TimelineEntry,
    model_permissions,
    register_demo_seeder,
    register_home_card,
    register_nav,
    register_role_permissions,
    register_timeline_kind,
    register_timeline_provider,
)
from customers.services.order_summaries import order_summaries_changed


def _open_alerts(user) -> int:
    from segmentation.selectors import open_alerts

    return open_alerts(user).count()


def _vips_without_contact(user) -> int:
    from django.utils import timezone

    from segmentation.selectors import coverage_vips

    return coverage_vips(user, month=timezone.localdate()).filter(contacted=False).count()


register_nav(
    NavItem(
        "segments", _("Segments"), "segmentation:list", "funnel", 20, "segmentation.view_segment"
    )
)
register_home_card(
    HomeCard(
        "open_alerts",
        _("My open risk alerts"),
        _open_alerts,
        "segmentation:alerts",
        "exclamation-triangle",
        30,
    )
)
register_home_card(
    HomeCard(
        "vips_without_contact",
        _("VIPs without contact this month"),
        _vips_without_contact,
        "segmentation:coverage",
        "calendar-x",
        40,
    )
)


register_timeline_kind("tier_change", _("Tier changes"))


def _tier_history_entries(customer, user):
    """Tier and VIP level changes on the customer's timeline."""
    from django.urls import reverse
    from django.utils.translation import gettext as _t

    from segmentation.selectors import tier_history

    url = reverse("segmentation:vip", args=[customer.pk])
    for change in tier_history(customer)[:50]:
        yield TimelineEntry(
            at=change.changed_at,
            kind="tier_change",
            icon="arrow-up-circle" if change.direction == "up" else "arrow-down-circle",
            title=f"{change.get_field_display()}: {change.old_label} → {change.new_label}",
            detail=_t("Policy v%(version)s: ¥%(spend)s and %(n)s purchases in the window")
            % {
                "version": change.run.policy.version,
                "spend": change.spend_window,
                "n": change.purchases_window,
            },
            url=url,
        )


register_timeline_provider(_tier_history_entries)


def _seed(*, rng, options, stdout) -> None:
    """Demo data: score the demo customers, give VIPs managers and raise the first alerts,
    as the nightly and hourly tasks would."""
    from carecrm.accounts.models import User
    from customers.models import Customer
    from segmentation.models import RelationshipManager, RunTrigger
    from segmentation.services.alerts import alerts_evaluate
    from segmentation.services.managers import managers_auto_assign
    from segmentation.services.scoring import scoring_run

    run = scoring_run(trigger=RunTrigger.MANUAL)
    # The people the demo customers already name as their manager look after VIPs.
    holders = (
        Customer.objects.exclude(relationship_manager=None)
        .values_list("relationship_manager", flat=True)
        .distinct()
    )
    RelationshipManager.objects.bulk_create(
        [RelationshipManager(user_id=pk) for pk in holders], ignore_conflicts=True
    )
    admin = (
        User.objects.filter(is_superuser=True).first()
        or User.objects.filter(groups__name="admin").first()
    )
    assigned = managers_auto_assign(user=admin).assigned if admin else 0
    alerts = alerts_evaluate()
    stdout.write(
        f"Segmentation: scored {run.customers_scored} customers, {assigned} VIPs given a "
        f"manager, {alerts} risk alerts."
    )


register_demo_seeder(30, _seed)


# --- role permissions: this app's models, per role (carecrm.accounts.roles syncs them) ---

_SEGMENTATION_READ = {
    "segment": ALL_ACTIONS,
    "tierpolicy": READ_ACTIONS,
    "scoringrun": READ_ACTIONS,
    "tierchange": READ_ACTIONS,
    "coveragereport": READ_ACTIONS,
    "riskrule": READ_ACTIONS,
    "riskalert": ("view", "change"),
}
register_role_permissions(
    "staff",
    [
        *model_permissions(
            "segmentation", {**_SEGMENTATION_READ, "relationshipmanager": READ_ACTIONS}
        ),
        "segmentation.handle_riskalert",
    ],
)
register_role_permissions(
    "manager",
    [
        *model_permissions(
            "segmentation", {**_SEGMENTATION_READ, "relationshipmanager": WORK_ACTIONS}
        ),
        "segmentation.handle_riskalert",
    ],
)


# --- live scores: the order writers mark customers; one queued re-score takes them ---


def _order_summaries_changed(sender, **kwargs) -> None:
    from segmentation.services.scoring import live_rescore_enqueue

    live_rescore_enqueue()


order_summaries_changed.connect(_order_summaries_changed, dispatch_uid="segmentation.live_rescore")
