"""Risk alerts: the inbox, one alert (acknowledge, resolve), the rules (admins edit)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecrm.accounts.models import User
from carecrm.core.counts import paginated_list
from carecrm.core.scoping import get_visible_or_404
from segmentation.forms import AlertResolveForm, RiskRuleFormSet
from segmentation.models import AlertStatus, RiskAlert, RiskRule, Severity
from segmentation.selectors import ALERT_ORDER, alert_figures, alerts_inbox
from segmentation.services.alerts import (
    alert_acknowledge,
    alert_resolve,
    alerts_acknowledge_many,
    alerts_assign_many,
    risk_rules_save,
)


@login_required
@permission_required("segmentation.view_riskalert", raise_exception=True)
def alert_inbox(request: HttpRequest) -> HttpResponse:
    scope = request.GET.get("scope", "mine")
    scope = scope if scope in ("mine", "all") else "mine"
    status = request.GET.get("status", "unresolved")
    severity = request.GET.get("severity", "")
    alerts = alerts_inbox(request.user, scope=scope)
    if status == "unresolved":
        alerts = alerts.exclude(status=AlertStatus.RESOLVED)
    elif status in AlertStatus.values:
        alerts = alerts.filter(status=status)
    if severity in Severity.values:
        alerts = alerts.filter(severity=severity)
    page, count = paginated_list(request, alerts, key=ALERT_ORDER, descending=False, size=50)
    return render(
        request,
        "segmentation/alert_inbox.html",
        {
            "page": page,
            "alerts": page.rows,
            "count": count,
            "scope": scope,
            "status": status,
            "severity": severity,
            "statuses": AlertStatus.choices,
            "severities": Severity.choices,
            "now": timezone.now(),
            "assignees": _assignees(request.user),
        },
    )


def _assignees(user):
    """Who a manager or administrator may give alerts to: active people in their scope."""
    if not (user.is_admin_role or user.is_manager_role):
        return User.objects.none()
    people = User.objects.filter(is_active=True).select_related("department")
    if not user.is_admin_role:
        people = people.filter(department_id=user.department_id)
    return people.order_by("department__name", "last_name", "first_name", "username")


@login_required
@permission_required("segmentation.handle_riskalert", raise_exception=True)
@require_POST
def alert_bulk(request: HttpRequest) -> HttpResponse:
    """Acknowledge or assign the ticked alerts of the inbox at once."""
    ids = [int(pk) for pk in request.POST.getlist("alert") if pk.isdigit()]
    query = QueryDict(request.POST.get("query", "")).urlencode()
    target = redirect(reverse("segmentation:alerts") + (f"?{query}" if query else ""))
    if not ids:
        messages.error(request, _("Tick the alerts first."))
        return target
    try:
        if request.POST.get("action") == "assign":
            assignee = _assignees(request.user).filter(pk=request.POST.get("assignee")).first()
            if assignee is None:
                messages.error(request, _("Choose who takes the alerts."))
                return target
            done, skipped = alerts_assign_many(alert_ids=ids, assignee=assignee, user=request.user)
            messages.success(
                request,
                _("%(done)s alerts given to %(name)s.") % {"done": done, "name": assignee},
            )
        else:
            done, skipped = alerts_acknowledge_many(alert_ids=ids, user=request.user)
            messages.success(request, _("%(done)s alerts acknowledged.") % {"done": done})
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return target
    if skipped:
        messages.warning(
            request,
            _(
                "%(skipped)s of the ticked alerts were left as they were (already handled "
                "or not yours to change)."
            )
            % {"skipped": skipped},
        )
    return target


@login_required
@permission_required("segmentation.view_riskalert", raise_exception=True)
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_visible_or_404(
        request.user,
        RiskAlert.objects.select_related(
            "customer", "rule", "assigned_to", "escalated_to", "acknowledged_by", "resolved_by"
        ),
        pk=pk,
    )
    form = AlertResolveForm()
    return render(
        request,
        "segmentation/alert_detail.html",
        {"alert": alert, "figures": alert_figures(alert), "form": form, "now": timezone.now()},
    )


@login_required
@permission_required("segmentation.handle_riskalert", raise_exception=True)
@require_POST
def alert_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_visible_or_404(request.user, RiskAlert.objects.all(), pk=pk)
    try:
        alert_acknowledge(alert=alert, user=request.user)
        messages.success(request, _("Alert acknowledged."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("segmentation:alert", pk=pk)


@login_required
@permission_required("segmentation.handle_riskalert", raise_exception=True)
@require_POST
def alert_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_visible_or_404(
        request.user, RiskAlert.objects.select_related("customer", "rule"), pk=pk
    )
    form = AlertResolveForm(request.POST)
    if form.is_valid():
        try:
            alert_resolve(alert=alert, user=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Alert resolved."))
            return redirect("segmentation:alert", pk=pk)
    return render(
        request,
        "segmentation/alert_detail.html",
        {"alert": alert, "figures": alert_figures(alert), "form": form, "now": timezone.now()},
        status=400,
    )


@login_required
@permission_required("segmentation.view_riskrule", raise_exception=True)
def risk_rules(request: HttpRequest) -> HttpResponse:
    queryset = RiskRule.objects.all()
    can_edit = request.user.is_admin_role
    if request.method == "POST" and can_edit:
        formset = RiskRuleFormSet(request.POST, queryset=queryset)
        if formset.is_valid():
            risk_rules_save(user=request.user, formset=formset)
            messages.success(request, _("Risk rules saved."))
            return redirect("segmentation:risk-rules")
    else:
        formset = RiskRuleFormSet(queryset=queryset)
    return render(
        request,
        "segmentation/risk_rules.html",
        {"formset": formset, "can_edit": can_edit},
    )
