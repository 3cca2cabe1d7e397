"""What the dashboard adds to the shared registries: its place in the navigation (first:
it is the home page) and the role groups' permissions. Everyone signed in opens the
dashboard of their own scope; only admins change the programme targets."""

from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import (
    READ_ACTIONS,
    NavItem,
    model_permissions,
    register_nav,
    register_role_permissions,
)

register_nav(NavItem("dashboard", _("Dashboard"), "home", "speedometer2", 1))

_READ_TARGETS = model_permissions("dashboard", {"programmetargets": READ_ACTIONS})
register_role_permissions("staff", _READ_TARGETS)
register_role_permissions("manager", _READ_TARGETS)
