"""What the campaigns app adds to the shared navigation and home page, and the signal it
listens to."""

from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import (
    ALL_ACTIONS,
    READ_ACTIONS,
    WORK_ACTIONS,
    HomeCard,
    NavGroup,
    NavItem,
    TimelineEntry,
    model_permissions,
    register_demo_seeder,
    register_home_card,
    register_nav,
    register_nav_group,
    register_role_permissions,
    register_timeline_kind,
    register_timeline_provider,
)
from segmentation.signals import tier_changed


def _awaiting_my_approval(user) -> int:
    from campaigns.selectors.campaigns import approval_queue

    return len(approval_queue(user))


def _my_open_tasks(user) -> int:
    from campaigns.selectors.campaigns import my_open_tasks

    return my_open_tasks(user).count()


def _running_campaigns(user) -> int:
    from campaigns.selectors.campaigns import running_campaigns

    return running_campaigns(user).count()


def _on_tier_changed(sender, **kwargs) -> None:
    from campaigns.services.triggers import on_tier_changed

    on_tier_changed(sender, **kwargs)


def _timeline(customer, user):
    """Coupons and care tasks on the customer's 360° page (completed calls and visits
    appear as interactions already)."""
    from campaigns.models import Coupon, TaskStatus
    from campaigns.selectors.campaigns import visible_tasks
    from carecrm.core.scoping import visible_to

    entries = []
    coupons = visible_to(user, Coupon.objects.filter(customer=customer)).select_related(
        "batch__campaign"
    )[:20]
    for coupon in coupons:
        entries.append(
            TimelineEntry(
                at=coupon.issued_at,
                kind="coupon",
                icon="ticket-perforated",
                title=_("Coupon issued: %(campaign)s") % {"campaign": coupon.batch.campaign.name},
                detail=f"¥{coupon.batch.value} · {coupon.code}",
            )
        )
        if coupon.redeemed_at:
            entries.append(
                TimelineEntry(
                    at=coupon.redeemed_at,
                    kind="coupon",
                    icon="bag-check",
                    title=_("Coupon redeemed"),
                    detail=coupon.order_no or coupon.code,
                )
            )
    for task in visible_tasks(user).filter(customer=customer, status=TaskStatus.OPEN)[:20]:
        entries.append(
            TimelineEntry(
                at=task.created_at,
                kind="care_task",
                icon="telephone",
                title=_("Care task: %(channel)s due %(due)s")
                % {"channel": task.get_channel_display(), "due": task.due_on.isoformat()},
                detail=task.campaign.name,
                actor=str(task.assigned_to or ""),
            )
        )
    return entries


def _messages_waiting(user) -> int:
    from campaigns.models import MessageStatus
    from delivery.selectors.messages import visible_messages

    return visible_messages(user).filter(status=MessageStatus.QUEUED).count()


def _seed(**kwargs) -> None:
    from campaigns.demo import seed_campaigns

    seed_campaigns(**kwargs)


register_timeline_provider(_timeline)
register_timeline_kind("coupon", _("Coupons"))
register_timeline_kind("care_task", _("Care tasks"))
register_demo_seeder(60, _seed)
tier_changed.connect(_on_tier_changed, dispatch_uid="campaigns.on_tier_changed")

register_nav_group(NavGroup("campaigns", _("Campaigns"), "megaphone"))
register_nav(
    NavItem(
        "campaigns",
        _("Campaigns"),
        "campaigns:list",
        "megaphone",
        40,
        "campaigns.view_carecampaign",
        group="campaigns",
    )
)
register_nav(
    NavItem(
        "campaign_calendar",
        _("Calendar"),
        "campaigns:calendar",
        "calendar3",
        41,
        "campaigns.view_carecampaign",
        group="campaigns",
    )
)
register_nav(
    NavItem(
        "care_tasks",
        _("My care tasks"),
        "campaigns:tasks",
        "telephone",
        42,
        "campaigns.view_caretask",
        group="campaigns",
    )
)
register_home_card(
    HomeCard(
        "campaigns_awaiting_approval",
        _("Campaigns awaiting my approval"),
        _awaiting_my_approval,
        "campaigns:approvals",
        "patch-check",
        40,
    )
)
register_home_card(
    HomeCard(
        "care_tasks_open",
        _("My open care tasks"),
        _my_open_tasks,
        "campaigns:tasks",
        "telephone",
        41,
    )
)
register_home_card(
    HomeCard(
        "campaigns_running",
        _("Running care campaigns"),
        _running_campaigns,
        "campaigns:list",
        "megaphone",
        42,
    )
)
register_home_card(
    HomeCard(
        "messages_queued",
        _("Care messages waiting to go"),
        _messages_waiting,
        None,
        "send",
        43,
    )
)


# --- role permissions: this app's models, per role (carecrm.accounts.roles syncs them) ---

register_role_permissions(
    "staff",
    [
        *model_permissions(
            "campaigns",
            {
                "carecampaign": WORK_ACTIONS,
                "campaigncontent": WORK_ACTIONS,
                "contenttemplate": ALL_ACTIONS,
                "companyday": ALL_ACTIONS,
                "couponbatch": WORK_ACTIONS,
                "coupon": READ_ACTIONS,
                "caretask": ("view", "change"),
                "campaignreview": READ_ACTIONS,
                "campaignversion": READ_ACTIONS,
                "campaignactivity": READ_ACTIONS,
            },
        ),
        "campaigns.redeem_coupon",
    ],
)
register_role_permissions(
    "manager",
    [
        *model_permissions(
            "campaigns",
            {
                "carecampaign": ALL_ACTIONS,
                "campaigncontent": ALL_ACTIONS,
                "contenttemplate": ALL_ACTIONS,
                "companyday": ALL_ACTIONS,
                "couponbatch": ALL_ACTIONS,
                "coupon": READ_ACTIONS,
                "caretask": WORK_ACTIONS,
                "campaignreview": WORK_ACTIONS,
                "campaignversion": READ_ACTIONS,
                "campaignactivity": READ_ACTIONS,
                "triggerevent": READ_ACTIONS,
            },
        ),
        "campaigns.approve_carecampaign",
        "campaigns.review_carecampaign",
        "campaigns.redeem_coupon",
    ],
)
