"""What the loyalty app adds elsewhere: its menu entries (in the customers menu), what
each role may do, the points and referral panels and the points entries on the customer
page, and its demo data."""

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecrm.core.registry import (
    READ_ACTIONS,
    NavItem,
    Panel,
    PanelAction,
    TimelineEntry,
    model_permissions,
    register_demo_seeder,
    register_nav,
    register_record_panel,
    register_role_permissions,
    register_timeline_kind,
    register_timeline_provider,
)

register_nav(
    NavItem(
        "loyalty_points",
        gettext_lazy("Loyalty points"),
        "loyalty:overview",
        "star",
        16,
        "loyalty.view_pointsaccount",
        group="customers",
    )
)
register_nav(
    NavItem(
        "referrals",
        gettext_lazy("Referrals"),
        "loyalty:referrals",
        "diagram-3",
        17,
        "customers.view_customer",
        group="customers",
    )
)

# Staff and managers read points and redeem them for their customers; the rules are the
# administrators' (who hold every permission).
for _role in ("staff", "manager"):
    register_role_permissions(
        _role,
        [
            *model_permissions("loyalty", {"pointsaccount": READ_ACTIONS}),
            *model_permissions("loyalty", {"pointsentry": READ_ACTIONS}),
            "loyalty.redeem_points",
        ],
    )


def _points_panel(customer, user):
    """Balance, what expires soon, the last entries, the full ledger and redemption."""
    if not user.has_perm("loyalty.view_pointsaccount"):
        return None
    from customers.models import CustomerStatus, VipLevel
    from loyalty.describe import describe, points_text
    from loyalty.selectors.points import points_summary, recent_entries
    from loyalty.selectors.settings import loyalty_settings

    rules = loyalty_settings()
    summary = points_summary(customer, rules=rules)
    rows = [(_("Balance"), points_text(summary.balance))]
    if summary.expiring:
        rows.append(
            (
                _("Expiring by %(day)s") % {"day": date_format(summary.expiring_by, "Y-m-d")},
                points_text(summary.expiring),
            )
        )
    if user.has_perm("loyalty.view_pointsentry"):
        for entry in recent_entries(customer, 3):
            day = (
                entry.earned_at if entry.kind == "earn" else entry.created_at
            ) or entry.created_at
            label = f"{date_format(day, 'Y-m-d')} · {describe(entry, referral_visible=False)}"
            rows.append((label, points_text(entry.points, signed=True)))
    actions = []
    note = ""
    if customer.status == CustomerStatus.ACTIVE and user.has_perm("loyalty.redeem_points"):
        if summary.may_redeem:
            actions.append(
                PanelAction(
                    "redeem",
                    _("Redeem points"),
                    reverse("loyalty:redeem", args=[customer.pk]),
                    "gift",
                )
            )
        else:
            note = _("Points can be redeemed from the %(level)s level up.") % {
                "level": VipLevel(summary.redeem_min_level).label
            }
    if summary.balance < 0:
        note = _("Below zero: a refund took back points already spent.")
    return Panel(
        key="points",
        title=_("Loyalty points"),
        rows=rows,
        url=reverse("loyalty:ledger", args=[customer.pk])
        if user.has_perm("loyalty.view_pointsentry")
        else None,
        url_label=_("Full ledger"),
        actions=actions,
        note=note,
    )


def _referral_panel(customer, user):
    """Who referred the customer, whom they referred, and the bonus it brought."""
    from customers.models import CustomerStatus
    from loyalty.describe import points_text
    from loyalty.selectors.referrals import referral_stats

    stats = referral_stats(customer, user)
    if stats.referrer_id is None:
        referrer = "—"
    else:
        referrer = stats.referrer_name or _("a customer of another department")
    rows = [
        (_("Referred by"), referrer),
        (_("Customers referred"), str(stats.referred)),
        (_("Of whom VIPs"), str(stats.vip)),
        (_("Referral bonus received"), points_text(stats.bonus_points)),
    ]
    actions = []
    if stats.referrer_id and stats.referrer_name:
        actions.append(
            PanelAction(
                "open-referrer",
                _("Open the referrer"),
                reverse("customers:detail", args=[stats.referrer_id]),
                "person",
            )
        )
    if customer.status == CustomerStatus.ACTIVE and user.has_perm("customers.change_customer"):
        actions.append(
            PanelAction(
                "set-referrer",
                _("Change the referrer") if stats.referrer_id else _("Set the referrer"),
                reverse("loyalty:referrer", args=[customer.pk]),
                "person-plus",
            )
        )
    return Panel(
        key="referrals",
        title=_("Referrals"),
        rows=rows,
        url=f"{reverse('loyalty:referrals')}?referrer={customer.pk}" if stats.referred else None,
        url_label=_("Customers this one referred"),
        actions=actions,
    )


register_record_panel("customer", _points_panel)
register_record_panel("customer", _referral_panel)


def _timeline(customer, user):
    """Every ledger entry that moved points (one query)."""
    if not user.has_perm("loyalty.view_pointsentry"):
        return []
    from loyalty.describe import describe, points_text
    from loyalty.models import EntryKind, PointsEntry

    icons = {
        EntryKind.EARN: "star",
        EntryKind.CORRECTION: "pencil-square",
        EntryKind.REVERSAL: "arrow-counterclockwise",
        EntryKind.BIRTHDAY: "cake2",
        EntryKind.REFERRAL: "people",
        EntryKind.REDEMPTION: "gift",
        EntryKind.EXPIRY: "hourglass-bottom",
    }
    url = reverse("loyalty:ledger", args=[customer.pk])
    entries = (
        PointsEntry.objects.filter(customer=customer)
        .exclude(points=0)
        .select_related("order", "original_order", "created_by")
        .order_by("-created_at", "-id")
    )
    return [
        TimelineEntry(
            at=entry.earned_at if entry.kind == EntryKind.EARN else entry.created_at,
            kind="points",
            icon=icons.get(entry.kind, "star"),
            title=_("%(points)s points · %(kind)s")
            % {
                "points": points_text(entry.points, signed=True),
                "kind": EntryKind(entry.kind).label,
            },
            detail=describe(entry, referral_visible=False),
            url=url,
            actor=str(entry.created_by) if entry.created_by else "",
        )
        for entry in entries
    ]


register_timeline_provider(_timeline)
register_timeline_kind("points", gettext_lazy("Points"))


def _seed(**kwargs) -> None:
    from loyalty.demo import seed_loyalty

    seed_loyalty(**kwargs)


# After segmentation (30), which sets the VIP levels the rates and bonuses depend on.
register_demo_seeder(40, _seed)
