from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Care campaigns")

    def ready(self) -> None:
        from campaigns import (  # noqa: F401
            bench,
            bench_load,
            demo_delivery,
            registrations,
            sources,
        )

        sources.register()
