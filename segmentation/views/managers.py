"""Relationship managers: loads and settings, VIP list and page (assignment, contact
log, tier history), monthly coverage."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecrm.accounts.models import User
from carecrm.core.counts import KnownCountPaginator, paginated_list
from carecrm.core.forms import add_service_errors
from carecrm.core.scoping import get_visible_or_404
from customers.models import VipLevel
from customers.search import gram_icontains
from customers.selectors import visible_customers
from segmentation.forms import (
    AssignManagerForm,
    ContactLogForm,
    ManagerPolicyForm,
    RelationshipManagerForm,
)
from segmentation.models import VIP_LEVELS, AlertStatus
from segmentation.selectors import (
    MEMBER_ORDER,
    coverage_by_manager,
    coverage_customers,
    manager_loads,
    manager_policy,
    real_contacts,
    tier_history,
    unlisted_vip_holders,
    vip_customers,
)
from segmentation.services.managers import (
    contact_log,
    manager_assign,
    manager_policy_save,
    manager_profile_save,
    managers_auto_assign,
)
from segmentation.views.segments import querystring_base


def _assignable_users(user):
    users = User.objects.filter(is_active=True).select_related("department")
    if not user.is_admin_role:
        users = users.filter(department_id=user.department_id)
    return users


@login_required
@permission_required("segmentation.view_relationshipmanager", raise_exception=True)
def manager_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    policy = manager_policy()
    can_manage = user.is_admin_role or user.is_manager_role
    profile_form = RelationshipManagerForm(users=_assignable_users(user), prefix="profile")
    policy_form = ManagerPolicyForm(instance=policy, prefix="policy")
    if request.method == "POST":
        try:
            if "save_profile" in request.POST:
                profile_form = RelationshipManagerForm(
                    request.POST, users=_assignable_users(user), prefix="profile"
                )
                if profile_form.is_valid():
                    data = profile_form.cleaned_data
                    manager_profile_save(
                        user=user,
                        manager_user=data["user"],
                        region=data["region"],
                        accepts_new=data["accepts_new"],
                    )
                    messages.success(request, _("Relationship manager saved."))
                    return redirect("segmentation:managers")
            elif "save_policy" in request.POST:
                policy_form = ManagerPolicyForm(request.POST, instance=policy, prefix="policy")
                if policy_form.is_valid():
                    manager_policy_save(
                        user=user,
                        max_vips_per_manager=policy_form.cleaned_data["max_vips_per_manager"],
                        coverage_min_level=policy_form.cleaned_data["coverage_min_level"],
                    )
                    messages.success(request, _("Relationship manager settings saved."))
                    return redirect("segmentation:managers")
            elif "auto_assign" in request.POST:
                result = managers_auto_assign(user=user)
                messages.success(
                    request,
                    _("%(assigned)s VIPs assigned; %(left)s left without a manager (all full).")
                    % {"assigned": result.assigned, "left": result.unassigned},
                )
                return redirect("segmentation:managers")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    managers = manager_loads(user).order_by("user__department__name", "user__username")
    unassigned = vip_customers(user, from_level=VipLevel.SILVER).filter(
        relationship_manager__isnull=True
    )
    return render(
        request,
        "segmentation/manager_list.html",
        {
            "managers": managers,
            "cap": policy.max_vips_per_manager,
            "policy": policy,
            "unassigned_count": unassigned.count(),
            "unlisted": unlisted_vip_holders(user),
            "profile_form": profile_form,
            "policy_form": policy_form,
            "can_manage": can_manage,
        },
    )


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def vip_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    customers = vip_customers(user, from_level=VipLevel.SILVER).select_related(
        "department", "relationship_manager"
    )
    level = request.GET.get("level", "")
    manager = request.GET.get("manager", "")
    query = request.GET.get("q", "").strip()
    if level in VIP_LEVELS:
        customers = customers.filter(vip_level=level)
    if manager == "none":
        customers = customers.filter(relationship_manager__isnull=True)
    elif manager.isdigit():
        customers = customers.filter(relationship_manager_id=int(manager))
    if query:
        customers = customers.filter(Q(gram_icontains("name", query)) | Q(mobile_last4=query))
    page, count = paginated_list(request, customers, key=MEMBER_ORDER, descending=True, size=50)
    return render(
        request,
        "segmentation/vip_list.html",
        {
            "page": page,
            "count": count,
            "customers": page.rows,
            "levels": [(level_.value, level_.label) for level_ in VIP_LEVELS],
            "managers": _assignable_users(user),
            "level": level,
            "manager": manager,
            "query": query,
        },
    )


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def vip_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One customer's relationship page: manager, contact log, tier history, alerts."""
    user = request.user
    customer = get_visible_or_404(
        user, visible_customers(user).select_related("relationship_manager", "department"), pk=pk
    )
    managers = _assignable_users(user).filter(department_id=customer.department_id)
    assign_form = AssignManagerForm(
        managers=managers, initial={"manager": customer.relationship_manager_id}
    )
    contact_form = ContactLogForm(
        initial={
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "kind": "call",
            "outcome": "resolved",
        }
    )
    if request.method == "POST":
        if not user.has_perm("customers.change_customer"):
            raise PermissionDenied
        try:
            if "assign" in request.POST:
                assign_form = AssignManagerForm(request.POST, managers=managers)
                if assign_form.is_valid():
                    manager_assign(
                        customer=customer,
                        manager=assign_form.cleaned_data["manager"],
                        user=user,
                        request=request,
                    )
                    messages.success(request, _("Relationship manager changed."))
                    return redirect("segmentation:vip", pk=customer.pk)
            elif "unassign" in request.POST:
                manager_assign(customer=customer, manager=None, user=user, request=request)
                messages.success(request, _("Relationship manager removed."))
                return redirect("segmentation:vip", pk=customer.pk)
            elif "log_contact" in request.POST:
                contact_form = ContactLogForm(request.POST)
                if contact_form.is_valid():
                    contact_log(customer=customer, user=user, **contact_form.cleaned_data)
                    messages.success(request, _("Contact logged."))
                    return redirect("segmentation:vip", pk=customer.pk)
        except ValidationError as exc:
            target = assign_form if "assign" in request.POST else contact_form
            add_service_errors(target, exc)
    contacts = real_contacts().filter(customer=customer).select_related("staff")[:20]
    return render(
        request,
        "segmentation/vip_detail.html",
        {
            "customer": customer,
            "assign_form": assign_form,
            "contact_form": contact_form,
            "contacts": contacts,
            "history": tier_history(customer)[:50],
            "alerts": customer.risk_alerts.select_related("rule", "assigned_to").exclude(
                status=AlertStatus.RESOLVED
            ),
            "can_change": user.has_perm("customers.change_customer"),
        },
    )


def _parse_month(raw: str) -> dt.date:
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        return timezone.localdate().replace(day=1)


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def coverage(request: HttpRequest) -> HttpResponse:
    """Monthly VIP coverage: each VIP needs ≥ 1 real contact a month (care programme §3/§4)."""
    user = request.user
    month = _parse_month(request.GET.get("month", ""))
    manager = request.GET.get("manager", "")
    overdue = coverage_customers(user, month=month).filter(contacted=False)
    rows = coverage_by_manager(user, month=month)
    shown = rows
    if manager == "none":
        overdue = overdue.filter(relationship_manager__isnull=True)
        shown = [row for row in rows if row["manager_id"] is None]
    elif manager.isdigit():
        overdue = overdue.filter(relationship_manager_id=int(manager))
        shown = [row for row in rows if row["manager_id"] == int(manager)]
    # The per-manager table already counted the overdue VIPs: no COUNT(*) for the pager.
    paginator = KnownCountPaginator(
        overdue.order_by("relationship_manager_id", "-spend_12m", "pk"),
        50,
        count=sum(row["overdue"] for row in shown),
    )
    page = paginator.get_page(request.GET.get("page"))
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "segmentation/coverage.html",
        {
            "month": month,
            "previous": previous,
            "following": following if following <= timezone.localdate() else None,
            "rows": rows,
            "totals": {
                "vips": sum(r["vips"] for r in rows),
                "contacted": sum(r["contacted"] for r in rows),
                "overdue": sum(r["overdue"] for r in rows),
            },
            "page": page,
            "customers": page.object_list,
            "manager": manager,
            "policy": manager_policy(),
            "querystring_base": querystring_base(request),
        },
    )


@login_required
@require_POST
def vip_auto_assign(request: HttpRequest) -> HttpResponse:
    result = managers_auto_assign(user=request.user)
    messages.success(
        request,
        _("%(assigned)s VIPs assigned; %(left)s left without a manager (all full).")
        % {"assigned": result.assigned, "left": result.unassigned},
    )
    return redirect("segmentation:vips")
