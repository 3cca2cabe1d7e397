from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Loyalty points and referrals")

    def ready(self) -> None:
        from loyalty import receivers, registrations  # noqa: F401

        receivers.connect()
