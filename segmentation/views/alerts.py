"""Risk alerts: the inbox, one alert (acknowledge, resolve), the rules (admins edit)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecrm.core.scoping import get_visible_or_404
from segmentation.forms import AlertResolveForm, RiskRuleFormSet
from segmentation.models import AlertStatus, RiskAlert, RiskRule, Severity
from segmentation.selectors import alerts_inbox
from segmentation.services.alerts import alert_acknowledge, alert_resolve, risk_rules_save
from segmentation.views.segments import querystring_base


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
    page = Paginator(alerts.order_by("due_at", "pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "segmentation/alert_inbox.html",
        {
            "page": page,
            "alerts": page.object_list,
            "scope": scope,
            "status": status,
            "severity": severity,
            "statuses": AlertStatus.choices,
            "severities": Severity.choices,
            "now": timezone.now(),
            "querystring_base": querystring_base(request),
        },
    )


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
        {"alert": alert, "form": form, "now": timezone.now()},
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
        {"alert": alert, "form": form, "now": timezone.now()},
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
