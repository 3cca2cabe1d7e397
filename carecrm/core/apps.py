from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "carecrm.core"
    label = "core"
    verbose_name = _("CareCRM core")

    def ready(self) -> None:
        from carecrm.core import checks  # noqa: F401  (registers system checks)
        from carecrm.core.demo import seed_brand
        from carecrm.core.registry import (
            NavGroup,
            NavItem,
            register_demo_seeder,
            register_nav,
            register_nav_group,
            register_role_permissions,
        )

        # Admins' settings menu: users and departments (accounts), the sender brand.
        register_nav_group(NavGroup("settings", _("Settings"), "gear"))
        register_nav(
            NavItem(
                "brand",
                _("Sender brand"),
                "brand:settings",
                "building",
                90,
                "core.change_senderbrand",
                group="settings",
            )
        )
        register_demo_seeder(5, seed_brand)
        register_role_permissions("manager", ["core.view_auditentry"])
