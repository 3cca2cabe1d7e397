"""What the feedback app adds to the navigation and the role groups."""

from django.utils.translation import gettext_lazy as _

from carecrm.core.registry import (
    ALL_ACTIONS,
    READ_ACTIONS,
    WORK_ACTIONS,
    NavGroup,
    NavItem,
    model_permissions,
    register_nav,
    register_nav_group,
    register_role_permissions,
)

register_nav_group(NavGroup("feedback", _("Feedback"), "chat-square-heart"))
register_nav(
    NavItem(
        "surveys",
        _("Surveys"),
        "feedback:surveys",
        "clipboard-check",
        50,
        "feedback.view_survey",
        group="feedback",
    )
)
register_nav(
    NavItem(
        "feedback_items",
        _("Feedback items"),
        "feedback:items",
        "chat-square-text",
        51,
        "feedback.view_feedbackitem",
        group="feedback",
    )
)

_STAFF = {
    "survey": WORK_ACTIONS,
    "question": ALL_ACTIONS,
    "choice": ALL_ACTIONS,
    "surveyinvitation": WORK_ACTIONS,
    "response": WORK_ACTIONS,
    "answer": WORK_ACTIONS,
    "feedbackitem": WORK_ACTIONS,
    "itemactivity": WORK_ACTIONS,
    "severitydeadline": READ_ACTIONS,
}
register_role_permissions("staff", model_permissions("feedback", _STAFF))
register_role_permissions(
    "manager",
    model_permissions("feedback", {**_STAFF, "survey": ALL_ACTIONS, "feedbackitem": ALL_ACTIONS}),
)


# --- surveys: builder, distribution, the public answer page (services/surveys.py, ---------
# --- services/distribution.py, services/responses.py, views/surveys.py, views/public.py) --
from carecrm.core.registry import register_demo_seeder, register_public_prefix  # noqa: E402
from feedback import receivers as _survey_receivers  # noqa: E402
from feedback import sources as _survey_sources  # noqa: E402

_survey_sources.register()
_survey_receivers.connect()
register_public_prefix("/q/")


def _seed_surveys(**kwargs) -> None:
    from feedback.demo import seed_surveys

    seed_surveys(**kwargs)


register_demo_seeder(80, _seed_surveys)
