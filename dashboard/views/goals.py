"""The goals page: every campaign and event goal in the user's scope, filtered."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard.forms_goals import GoalFilterForm
from dashboard.scope import DashboardScope
from dashboard.selectors.goals import (
    CAMPAIGN_PERMISSION,
    EVENT_PERMISSION,
    definitions,
    goal_rows,
    state_counts,
)


@login_required
@require_GET
def goal_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.has_perm(CAMPAIGN_PERMISSION) or user.has_perm(EVENT_PERMISSION)):
        raise PermissionDenied
    form = GoalFilterForm(request.GET or None, user=user)
    filters = form.filters() if form.is_bound else {}
    department = filters.get("department")
    scope = DashboardScope.for_user(user, department.pk if department else None)
    rows = goal_rows(
        scope,
        today=timezone.localdate(),
        kind=filters.get("kind") or "",
        deadline_from=filters.get("deadline_from"),
        deadline_to=filters.get("deadline_to"),
    )
    state = filters.get("state") or ""
    shown = [row for row in rows if row.state == state] if state else rows
    others = {k: v for k, v in request.GET.items() if k != "state" and v}
    return render(
        request,
        "dashboard/goals.html",
        {
            "form": form,
            "goals": shown,
            "total": len(rows),
            "state": state,
            "states": [
                (code, label, count, urlencode({**others, "state": code}))
                for code, label, count in state_counts(rows)
            ],
            "all_states_query": urlencode(others),
            "scope": scope,
            "definitions": definitions(),
        },
    )
