"""What the dashboard adds to the shared registries: its menu in the navigation (first:
the dashboard is the home page) and the role groups' permissions. Everyone signed in
opens the dashboard of their own scope; only admins change the programme targets."""

from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import (
    READ_ACTIONS,
    NavGroup,
    NavItem,
    model_permissions,
    register_nav,
    register_nav_group,
    register_role_permissions,
)

register_nav_group(NavGroup("dashboard", _("Dashboard"), "speedometer"))
register_nav(NavItem("dashboard", _("Overview"), "home", "speedometer2", 1, group="dashboard"))

_READ_TARGETS = model_permissions("dashboard", {"programmetargets": READ_ACTIONS})
register_role_permissions("staff", _READ_TARGETS)
register_role_permissions("manager", _READ_TARGETS)

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
register_nav(
    NavItem(
        "goals",
        _("Goals"),
        "dashboard:goals",
        "bullseye",
        10,
        None,
        group="dashboard",
    )
)
