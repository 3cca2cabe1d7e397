from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback and satisfaction")

    def ready(self) -> None:
        from feedback import (  # noqa: F401
            registrations,
            registrations_items,
            registrations_results,
        )
