"""Data quality and privacy screens: duplicates and merge, contact verification, personal
data export, anonymisation and the audit trail."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carecrm.core.audit import audit_record_many
from carecrm.core.counts import paginated_list
from carecrm.core.forms import add_service_errors
from carecrm.core.models import AuditAction
from carecrm.core.scoping import get_visible_or_404
from customers.forms_quality import (
    AnonymiseForm,
    AuditFilterForm,
    DataQualityPolicyForm,
    MergeForm,
    VerificationOutcomeForm,
)
from customers.models import CustomerStatus, VerificationOutcome, VerificationTask
from customers.privacy import can_see_pii, customer_contact_view
from customers.selectors import visible_customers
from customers.selectors_quality import (
    AUDIT_ORDER,
    DUPLICATE_KINDS,
    UNREACHABLE_ORDER,
    VERIFICATION_ORDER,
    VERIFICATION_SCOPES,
    audit_entries,
    duplicate_groups_page,
    related_row_counts,
    unreachable_customers,
    verification_periods,
    verification_tasks,
)
from customers.services.merge import customer_merge
from customers.services.privacy_ops import customer_anonymise, customer_personal_data_export
from customers.services.quality import (
    VERIFICATION_TASK_NAME,
    data_quality_policy,
    data_quality_policy_update,
    verification_record,
)

DUPLICATE_GROUPS_PER_PAGE = 20


def _audit_pii_view(request: HttpRequest, customer_ids, screen: str) -> None:
    """Showing unmasked contacts is a view of personal data (care programme: audited)."""
    if can_see_pii(request.user) and customer_ids:
        audit_record_many(
            actor=request.user,
            action=AuditAction.VIEW,
            customer_ids=sorted(set(customer_ids)),
            detail={"screen": screen},
            request=request,
        )


def _customer_page_or(customer_id: int, fallback: str) -> str:
    try:
        return reverse("customers:detail", args=[customer_id])
    except NoReverseMatch:
        return reverse(fallback)


# --- Duplicates and merge ------------------------------------------------------------------


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def duplicates(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "phone")
    if kind not in DUPLICATE_KINDS:
        kind = "phone"
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    page = duplicate_groups_page(
        request.user, kind, number=number, per_page=DUPLICATE_GROUPS_PER_PAGE
    )
    _audit_pii_view(
        request,
        [member.customer.pk for group in page.object_list for member in group.members],
        "duplicates",
    )
    return render(
        request,
        "customers/quality_duplicates.html",
        {
            "kind": kind,
            "kinds": DUPLICATE_KINDS,
            "page": page,
            "can_merge": request.user.has_perm("customers.merge_customer"),
            "tab": "duplicates",
        },
    )


@login_required
@permission_required("customers.merge_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest, pk: int, other_pk: int) -> HttpResponse:
    if pk == other_pk:
        raise Http404
    customers = visible_customers(request.user).select_related("department", "relationship_manager")
    left = get_visible_or_404(request.user, customers, pk=pk)
    right = get_visible_or_404(request.user, customers, pk=other_pk)
    form = MergeForm(request.POST or None, left=left, right=right)
    if request.method == "POST" and form.is_valid():
        survivor, duplicate = form.survivor_and_duplicate()
        try:
            customer_merge(
                survivor=survivor,
                duplicate=duplicate,
                field_choices=form.field_choices(),
                user=request.user,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(duplicate)s (#%(duplicate_id)s) was merged into %(survivor)s.")
                % {
                    "duplicate": duplicate.name,
                    "duplicate_id": duplicate.pk,
                    "survivor": survivor.name,
                },
            )
            return redirect(_customer_page_or(survivor.pk, "customers:duplicates"))
    if request.method == "GET":
        _audit_pii_view(request, [left.pk, right.pk], "merge")
    related = [
        {"name": r.name, "left": r.counts.get(left.pk, 0), "right": r.counts.get(right.pk, 0)}
        for r in related_row_counts([left.pk, right.pk])
    ]
    return render(
        request,
        "customers/quality_merge.html",
        {
            "form": form,
            "left": left,
            "right": right,
            "rows": form.rows(request.user),
            "related": [r for r in related if r["left"] or r["right"]],
            "tab": "duplicates",
        },
    )


# --- Contact verification ---------------------------------------------------------------------


def _parse_period(raw: str | None) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        return None


@login_required
@permission_required("customers.view_verificationtask", raise_exception=True)
def verifications(request: HttpRequest) -> HttpResponse:
    scope = request.GET.get("scope", "mine")
    if scope not in VERIFICATION_SCOPES:
        scope = "mine"
    outcome = request.GET.get("outcome", VerificationOutcome.PENDING)
    if outcome not in VerificationOutcome.values:
        outcome = ""
    period = _parse_period(request.GET.get("period"))
    overdue = request.GET.get("overdue") == "1"
    tasks = verification_tasks(
        request.user, scope=scope, outcome=outcome or None, period=period, overdue=overdue
    )
    page, count = paginated_list(request, tasks, key=VERIFICATION_ORDER, descending=False, size=50)
    rows = [
        {"task": task, "contact": customer_contact_view(task.customer, request.user)}
        for task in page.rows
    ]
    _audit_pii_view(request, [task.customer_id for task in page.rows], "verifications")
    return render(
        request,
        "customers/quality_verifications.html",
        {
            "page": page,
            "count": count,
            "rows": rows,
            "scope": scope,
            "outcome": outcome,
            "outcomes": VerificationOutcome.choices,
            "period": period,
            "periods": verification_periods(request.user),
            "overdue": overdue,
            "today": timezone.localdate(),
            "tab": "verifications",
        },
    )


@login_required
@permission_required("customers.change_verificationtask", raise_exception=True)
@require_http_methods(["GET", "POST"])
def verification_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_visible_or_404(
        request.user,
        VerificationTask.objects.select_related("customer", "assigned_to", "completed_by"),
        pk=pk,
    )
    customer = task.customer
    pending = task.outcome == VerificationOutcome.PENDING
    if pending and customer.status != CustomerStatus.ACTIVE:
        pending = False
    form = VerificationOutcomeForm(request.POST or None, initial={"method": task.method})
    if request.method == "POST":
        if not pending:
            messages.error(request, _("The outcome of this verification was already recorded."))
            return redirect("customers:verification-record", pk=task.pk)
        if form.is_valid():
            try:
                verification_record(
                    task=task,
                    user=request.user,
                    outcome=form.cleaned_data["outcome"],
                    method=form.cleaned_data["method"],
                    mobile=form.cleaned_data["mobile"],
                    email=form.cleaned_data["email"],
                    note=form.cleaned_data["note"],
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Verification of %(name)s recorded.") % {"name": customer.name},
                )
                return redirect("customers:verifications")
    else:
        _audit_pii_view(request, [customer.pk], "verification")
    return render(
        request,
        "customers/quality_verification_record.html",
        {
            "task": task,
            "customer": customer,
            "contact": customer_contact_view(customer, request.user),
            "form": form,
            "pending": pending,
            "tab": "verifications",
        },
    )


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def unreachable(request: HttpRequest) -> HttpResponse:
    page, count = paginated_list(
        request,
        unreachable_customers(request.user),
        key=UNREACHABLE_ORDER,
        descending=True,
        size=50,
    )
    rows = [{"customer": c, "contact": customer_contact_view(c, request.user)} for c in page.rows]
    _audit_pii_view(request, [c.pk for c in page.rows], "unreachable")
    return render(
        request,
        "customers/quality_unreachable.html",
        {"page": page, "count": count, "rows": rows, "tab": "unreachable"},
    )


@login_required
@permission_required("customers.change_dataqualitypolicy", raise_exception=True)
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest) -> HttpResponse:
    from django_celery_beat.models import PeriodicTask

    current = data_quality_policy()
    form = DataQualityPolicyForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            data_quality_policy_update(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Data quality policy saved."))
            return redirect("customers:quality-policy")
    schedules = [
        {"task": task, "when": _describe_crontab(task.crontab) if task.crontab else ""}
        for task in PeriodicTask.objects.filter(task=VERIFICATION_TASK_NAME).select_related(
            "crontab"
        )
    ]
    return render(
        request,
        "customers/quality_policy.html",
        {"form": form, "policy": current, "schedules": schedules, "tab": "policy"},
    )


def _describe_crontab(crontab) -> str:
    """ "Day 1 of every month, 09:00 (Asia/Shanghai)" for the usual monthly schedule; the
    crontab expression for anything an administrator made more elaborate."""
    fields = (crontab.minute, crontab.hour, crontab.day_of_month)
    if all(f.isdigit() for f in fields) and crontab.month_of_year == crontab.day_of_week == "*":
        return _("Day %(day)s of every month, %(time)s (%(zone)s)") % {
            "day": crontab.day_of_month,
            "time": f"{int(crontab.hour):02d}:{int(crontab.minute):02d}",
            "zone": crontab.timezone,
        }
    return (
        f"{crontab.minute} {crontab.hour} {crontab.day_of_month} "
        f"{crontab.month_of_year} {crontab.day_of_week} ({crontab.timezone})"
    )


@login_required
@permission_required("customers.change_dataqualitypolicy", raise_exception=True)
@require_POST
def policy_draw_now(request: HttpRequest) -> HttpResponse:
    """Draw this month's sample now (e.g. after raising the percentage); the draw tops up
    to the quota and never duplicates tasks, so pressing twice is harmless."""
    from customers.tasks.quality import verification_sample

    verification_sample.delay_on_commit()
    messages.success(
        request,
        _("This month's sample is being drawn; the verifications appear in a minute."),
    )
    return redirect("customers:quality-policy")


# --- Privacy -----------------------------------------------------------------------------------


def _any_visible_customer(request: HttpRequest, pk: int):
    return get_visible_or_404(
        request.user,
        visible_customers(request.user, include_inactive=True).select_related("department"),
        pk=pk,
    )


@login_required
@permission_required("customers.view_customer_pii", raise_exception=True)
@require_http_methods(["GET", "POST"])
def personal_data_export(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _any_visible_customer(request, pk)
    if request.method == "POST":
        document = customer_personal_data_export(
            customer=customer, user=request.user, request=request
        )
        response = HttpResponse(document, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="customer-{customer.pk}-personal-data.json"'
        )
        response["Cache-Control"] = "no-store"
        return response
    related = [
        {"name": r.name, "count": r.counts.get(customer.pk, 0)}
        for r in related_row_counts([customer.pk])
    ]
    return render(
        request,
        "customers/quality_personal_data.html",
        {"customer": customer, "related": [r for r in related if r["count"]], "tab": None},
    )


@login_required
@permission_required("customers.anonymise_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def anonymise(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _any_visible_customer(request, pk)
    already = customer.status == CustomerStatus.ANONYMISED
    form = AnonymiseForm(request.POST or None)
    if request.method == "POST" and not already and form.is_valid():
        try:
            customer_anonymise(
                customer=customer,
                user=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied:
            raise
        else:
            messages.success(request, _("Customer #%(id)s was anonymised.") % {"id": customer.pk})
            return redirect("customers:audit", pk=customer.pk)
    related = [
        {"name": r.name, "count": r.counts.get(customer.pk, 0)}
        for r in related_row_counts([customer.pk])
    ]
    return render(
        request,
        "customers/quality_anonymise.html",
        {
            "customer": customer,
            "form": form,
            "already": already,
            "related": [r for r in related if r["count"]],
            "tab": None,
        },
    )


# --- Audit trail -----------------------------------------------------------------------------


def _filtered_entries(form: AuditFilterForm, **fixed):
    data = form.cleaned_data if form.is_valid() else {}
    filters = {
        "actor_id": data["actor"].pk if data.get("actor") else None,
        "action": data.get("action") or None,
        "date_from": data.get("date_from"),
        "date_to": data.get("date_to"),
        "customer_id": data.get("customer"),
    }
    filters.update(fixed)
    return audit_entries(**filters)


def _audit_page(request: HttpRequest, entries):
    return paginated_list(request, entries, key=AUDIT_ORDER, descending=True, size=50)


@login_required
@permission_required("core.view_auditentry", raise_exception=True)
def customer_audit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _any_visible_customer(request, pk)
    form = AuditFilterForm(request.GET or None, with_customer=False)
    page, count = _audit_page(request, _filtered_entries(form, customer_id=customer.pk))
    return render(
        request,
        "customers/quality_audit.html",
        {
            "customer": customer,
            "form": form,
            "page": page,
            "count": count,
            "tab": None,
        },
    )


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not request.user.is_admin_role:
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    page, count = _audit_page(request, _filtered_entries(form))
    return render(
        request,
        "customers/quality_audit.html",
        {
            "customer": None,
            "form": form,
            "page": page,
            "count": count,
            "tab": "audit",
        },
    )
