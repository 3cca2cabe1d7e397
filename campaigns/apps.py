from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Care campaigns")

    def ready(self) -> None:
        from campaigns import bench, demo_delivery, registrations, sources  # noqa: F401

        sources.register()
