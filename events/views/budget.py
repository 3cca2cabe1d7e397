"""The event's budget tab: the plan's figures and status, and creating the plan."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from events.selectors.events import event_budget_card
from events.services.events import event_budget_ensure
from events.views.events import budget_plan_url, get_event


@login_required
@permission_required("events.view_event", raise_exception=True)
def budget_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event(request, pk)
    card = event_budget_card(event)
    return render(
        request,
        "events/event_budget.html",
        {"event": event, "tab": "budget", "card": card, "plan_url": budget_plan_url(card.plan)},
    )


@login_required
@require_POST
@permission_required("budgets.add_budgetplan", raise_exception=True)
def budget_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event(request, pk)
    try:
        plan = event_budget_ensure(event=event, user=request.user)
    except PermissionDenied as error:
        messages.error(request, str(error))
        return redirect("events:budget", pk)
    messages.success(request, _("The budget plan is ready: add its lines and submit it."))
    url = budget_plan_url(plan)
    return redirect(url) if url else redirect("events:budget", pk)
