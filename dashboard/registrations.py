"""What the dashboard adds to the shared registries (navigation, permissions, beat)."""

from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import (
    NavGroup,
    NavItem,
    register_nav,
    register_nav_group,
    register_role_permissions,
)

register_nav_group(NavGroup("dashboard", _("Dashboard"), "speedometer"))
register_nav(
    NavItem(
        "reports",
        _("Reports"),
        "dashboard:reports",
        "file-earmark-bar-graph",
        15,
        "dashboard.download_report",
        group="dashboard",
    )
)

# Everyone downloads reports of their own scope; managers also see the emailed monthly
# reports of their department and send a failed one again. Admins hold every permission.
register_role_permissions("staff", ["dashboard.download_report"])
register_role_permissions(
    "manager",
    [
        "dashboard.download_report",
        "dashboard.view_reportdelivery",
        "dashboard.change_reportdelivery",
    ],
)
