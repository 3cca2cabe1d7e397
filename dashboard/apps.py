from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _sqlite_functions(sender, connection, **kwargs) -> None:
    """SQLite counts SMS parts through Python (PostgreSQL does it in SQL)."""
    if connection.vendor != "sqlite":
        return
    from dashboard.selectors.campaigns import SQLITE_FUNCTION, sqlite_sms_parts

    connection.connection.create_function(SQLITE_FUNCTION, 1, sqlite_sms_parts, deterministic=True)


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Dashboard and reports")

    def ready(self) -> None:
        from dashboard import bench, registrations  # noqa: F401

        connection_created.connect(_sqlite_functions, dispatch_uid="dashboard_sqlite_functions")
