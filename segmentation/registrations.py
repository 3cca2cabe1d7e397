"""What the segmentation app adds to the shared navigation and home page."""

from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import HomeCard, NavItem, register_home_card, register_nav


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
