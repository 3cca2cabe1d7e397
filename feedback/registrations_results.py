"""What survey results add elsewhere: the customer's timeline (answers and feedback
items; anonymous responses never), the event review (a survey section and the
satisfaction and feedback-rate goals), a panel on campaign pages, and the navigation."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecrm.core.registry import (
    NavItem,
    Panel,
    TimelineEntry,
    register_nav,
    register_record_panel,
    register_timeline_kind,
    register_timeline_provider,
)
from events.registry import ReviewSection, register_goal_metric, register_review_section

register_nav(
    NavItem(
        "satisfaction",
        gettext_lazy("Satisfaction"),
        "feedback:satisfaction",
        "speedometer2",
        52,
        "feedback.view_survey",
        group="feedback",
    )
)


def _timeline(customer, user):
    """The customer's survey answers (not anonymous ones) and feedback items."""
    from carecrm.core.scoping import visible_to
    from feedback.models import FeedbackItem, Response

    entries = []
    if user.has_perm("feedback.view_response"):
        responses = (
            visible_to(user, Response.objects.filter(customer=customer))
            .exclude(survey__anonymous=True)
            .select_related("survey")
            .prefetch_related("answers__question")[:30]
        )
        for response in responses:
            scores = [
                f"{a.question.text[:20]}: {a.score}"
                for a in response.answers.all()
                if a.score is not None
            ]
            entries.append(
                TimelineEntry(
                    at=response.submitted_at,
                    kind="survey",
                    icon="clipboard-check",
                    title=_("Answered the survey: %(title)s") % {"title": response.survey.title},
                    detail=" · ".join(scores[:4]),
                    url=reverse("feedback:survey-results", args=[response.survey_id])
                    if user.has_perm("feedback.view_survey")
                    else None,
                )
            )
    if user.has_perm("feedback.view_feedbackitem"):
        items = visible_to(user, FeedbackItem.objects.filter(customer=customer))[:30]
        for item in items:
            entries.append(
                TimelineEntry(
                    at=item.created_at,
                    kind="feedback",
                    icon="chat-square-text",
                    title=_("Feedback: %(title)s") % {"title": item.title},
                    detail=f"{item.get_severity_display()} · {item.get_status_display()}",
                )
            )
    return entries


register_timeline_provider(_timeline)
register_timeline_kind("survey", gettext_lazy("Survey answers"))
register_timeline_kind("feedback", gettext_lazy("Feedback"))


def _event_section(event, user):
    """The results of the surveys linked to the event that the user may see."""
    from carecrm.core.scoping import visible_to
    from feedback.models import Answer, Survey
    from feedback.selectors.results import event_feedback_rate, scores, show_percent

    surveys = visible_to(user, Survey.objects.filter(event=event))
    if not surveys.exists():
        return None
    figures = scores(Answer.objects.filter(response__survey__in=surveys))
    return ReviewSection(
        key="survey",
        title=gettext_lazy("Post-event survey"),
        rows=[
            (gettext_lazy("Surveys"), str(surveys.count())),
            (gettext_lazy("Responses"), str(figures.responses)),
            (gettext_lazy("CSAT"), figures.csat_text),
            (gettext_lazy("NPS"), figures.nps_text),
            (gettext_lazy("Feedback rate"), show_percent(event_feedback_rate(event))),
        ],
        note=gettext_lazy(
            "CSAT: answers of 4 or 5 ÷ all 1–5 ratings. NPS: the share of 9–10 minus the "
            "share of 0–6 among 0–10 answers, in points. Feedback rate: attendees checked in "
            "who answered ÷ attendees."
        ),
    )


def _satisfaction(event):
    from feedback.selectors.results import event_satisfaction

    return event_satisfaction(event)


def _feedback_rate(event):
    from feedback.selectors.results import event_feedback_rate

    return event_feedback_rate(event)


register_review_section(_event_section)
register_goal_metric("satisfaction", _satisfaction)
register_goal_metric("feedback_rate", _feedback_rate)


def _campaign_panel(campaign, user):
    """Responses, CSAT and NPS of the surveys linked to the campaign that the user sees."""
    from carecrm.core.scoping import visible_to
    from feedback.models import Answer, Survey
    from feedback.selectors.results import scores

    if not user.has_perm("feedback.view_survey"):
        return None
    surveys = list(visible_to(user, Survey.objects.filter(campaign=campaign)).order_by("pk"))
    if not surveys:
        return None
    figures = scores(Answer.objects.filter(response__survey__in=surveys))
    url = reverse("feedback:survey-results", args=[surveys[0].pk])
    return Panel(
        key="survey-results",
        title=_("Survey results"),
        rows=[
            (_("Surveys"), str(len(surveys))),
            (_("Responses"), str(figures.responses)),
            (_("CSAT"), figures.csat_text),
            (_("NPS"), figures.nps_text),
        ],
        url=url,
        url_label=_("Results of %(title)s") % {"title": surveys[0].title}
        if len(surveys) == 1
        else _("Results of the first survey"),
    )


register_record_panel("campaign", _campaign_panel)
