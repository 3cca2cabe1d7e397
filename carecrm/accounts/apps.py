from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "carecrm.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from carecrm.accounts.roles import register, sync_role_permissions
        from carecrm.core.registry import NavItem, register_nav

        register()
        # In the admins' settings menu (its group is registered by carecrm.core).
        register_nav(
            NavItem(
                "users",
                _("Users"),
                "accounts:user_list",
                "people",
                88,
                "accounts.change_user",
                group="settings",
            )
        )
        register_nav(
            NavItem(
                "departments",
                _("Departments"),
                "accounts:department_list",
                "diagram-3",
                89,
                "accounts.change_department",
                group="settings",
            )
        )
        post_migrate.connect(sync_role_permissions, dispatch_uid="carecrm-sync-role-permissions")
