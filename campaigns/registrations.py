"""What the campaigns app adds to the shared navigation and home page, and the signal it
listens to."""

from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import HomeCard, NavItem, register_home_card, register_nav
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


tier_changed.connect(_on_tier_changed, dispatch_uid="campaigns.on_tier_changed")

register_nav(
    NavItem(
        "campaigns",
        _("Campaigns"),
        "campaigns:list",
        "megaphone",
        40,
        "campaigns.view_carecampaign",
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
