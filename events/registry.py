"""Where apps above events add to an event's review without events naming them.

Feedback (a later app, above events) adds its survey results to the review page, the
XLSX export and the PDF report, and the goal figures only it can measure, from its
``AppConfig.ready()``::

    from events.registry import (
        ReviewSection, register_goal_metric, register_review_section,
    )

    def survey_section(event, user):
        results = survey_results(event, user)
        if results is None:
            return None  # no survey for this event: no section
        return ReviewSection(
            key="survey",
            title=_("Post-event survey"),
            rows=[(_("Answers"), str(results.answers)), (_("Satisfied"), "92.00 %")],
        )

    register_review_section(survey_section)
    register_goal_metric("satisfaction", lambda event: satisfaction_percent(event))

A section is data (a title and label/value rows), not HTML, so the page, the workbook and
the PDF show the same figures. A section function gets the event and the user reading
the review (to keep the user's scope) and returns ``None`` when it has nothing to add.
A goal-metric function returns the metric's actual figure (a ``Decimal``, percent for
rate metrics) or ``None`` while it cannot be measured; until one is registered, the
satisfaction and feedback-rate goals show "not measured yet".
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class ReviewSection:
    key: str
    title: str | Promise
    rows: list[tuple[str | Promise, str]] = field(default_factory=list)
    note: str | Promise = ""


ReviewSectionFn = Callable[[Any, Any], ReviewSection | None]
GoalMetricFn = Callable[[Any], Decimal | None]

review_sections: list[ReviewSectionFn] = []
goal_metrics: dict[str, GoalMetricFn] = {}


def register_review_section(fn: ReviewSectionFn) -> None:
    """Add ``fn(event, user) -> ReviewSection | None`` to every event's review (once)."""
    if fn not in review_sections:
        review_sections.append(fn)


def register_goal_metric(metric: str, fn: GoalMetricFn) -> None:
    """Let ``fn(event) -> Decimal | None`` measure goals of ``metric`` (a ``GoalMetric``)."""
    goal_metrics[metric] = fn
