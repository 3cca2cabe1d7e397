from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from customers import registrations, timeline  # noqa: F401
        from customers.services import order_summaries

        order_summaries.connect()
