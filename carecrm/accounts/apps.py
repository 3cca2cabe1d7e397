from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "carecrm.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from carecrm.accounts.roles import register, sync_role_permissions

        register()
        post_migrate.connect(sync_role_permissions, dispatch_uid="carecrm-sync-role-permissions")
