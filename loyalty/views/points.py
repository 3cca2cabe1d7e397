"""The points pages: the programme overview, a customer's full ledger and the redemption
form."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carecrm.core.counts import paginated_list
from carecrm.core.forms import add_service_errors
from customers.filters import customer_search_condition
from customers.models import Customer, CustomerStatus, VipLevel
from customers.privacy import can_see_pii
from customers.selectors import customer_for_page
from loyalty.describe import describe
from loyalty.forms import AccountFilterForm, LedgerFilterForm, RedeemForm
from loyalty.models import EntryKind
from loyalty.selectors.points import (
    ACCOUNT_ORDER,
    LEDGER_ORDER,
    customer_ledger,
    entries_without_account,
    ledger_mismatches,
    points_summary,
    programme_figures,
    visible_accounts,
)
from loyalty.selectors.referrals import visible_ids
from loyalty.selectors.settings import loyalty_settings
from loyalty.services.redemption import REDEEM_PERMISSION, points_redeem

PAGE_SIZE = 50


@login_required
@permission_required("loyalty.view_pointsaccount", raise_exception=True)
def overview(request: HttpRequest) -> HttpResponse:
    """What the customers the user sees hold, what moved this month, and their accounts."""
    today = timezone.localdate()
    month_start = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time.min))
    form = AccountFilterForm(request.GET or None)
    accounts = visible_accounts(request.user).filter(customer__status=CustomerStatus.ACTIVE)
    if form.is_valid():
        if form.cleaned_data["q"]:
            condition = customer_search_condition(
                form.cleaned_data["q"], sees_contact=can_see_pii(request.user)
            )
            accounts = accounts.filter(customer__in=Customer.objects.filter(condition).values("pk"))
        if form.cleaned_data["balance"] == "positive":
            accounts = accounts.filter(balance__gt=0)
        elif form.cleaned_data["balance"] == "negative":
            accounts = accounts.filter(balance__lt=0)
    page, count = paginated_list(
        request, accounts, key=ACCOUNT_ORDER, descending=True, size=PAGE_SIZE
    )
    integrity = None
    if request.user.is_admin_role:
        integrity = ledger_mismatches().count() + entries_without_account().count()
    return render(
        request,
        "loyalty/overview.html",
        {
            "figures": programme_figures(request.user, since=month_start),
            "month_start": month_start,
            "form": form,
            "page": page,
            "count": count,
            "rules": loyalty_settings(),
            "integrity_problems": integrity,
        },
    )


@login_required
@permission_required("loyalty.view_pointsentry", raise_exception=True)
def ledger(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Every entry of one customer's points, newest first, with the running figures."""
    customer = customer_for_page(request.user, customer_id)
    rules = loyalty_settings()
    summary = points_summary(customer, rules=rules)
    form = LedgerFilterForm(request.GET or None)
    entries = customer_ledger(customer)
    if form.is_valid() and form.cleaned_data["kind"]:
        entries = entries.filter(kind=form.cleaned_data["kind"])
    page, count = paginated_list(
        request, entries, key=LEDGER_ORDER, descending=True, size=PAGE_SIZE
    )
    rows = page.rows
    seen = visible_ids(
        request.user, [entry.referral_id for entry in rows if entry.kind == EntryKind.REFERRAL]
    )
    for entry in rows:
        entry.text = describe(entry, referral_visible=entry.referral_id in seen)
        entry.dated = entry.earned_at if entry.kind == EntryKind.EARN else entry.created_at
    return render(
        request,
        "loyalty/ledger.html",
        {
            "customer": customer,
            "summary": summary,
            "rules": rules,
            "min_level_label": VipLevel(summary.redeem_min_level).label,
            "form": form,
            "page": page,
            "count": count,
            "rows": rows,
            "is_active": customer.status == CustomerStatus.ACTIVE,
            "may_redeem": request.user.has_perm(REDEEM_PERMISSION),
        },
    )


@login_required
@permission_required(REDEEM_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def redeem(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Spend a customer's points on a reward."""
    customer = customer_for_page(request.user, customer_id)
    rules = loyalty_settings()
    form = RedeemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = points_redeem(
                customer=customer,
                points=form.cleaned_data["points"],
                reward=form.cleaned_data["reward"],
                note=form.cleaned_data["note"],
                user=request.user,
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(points)s points redeemed for %(reward)s.")
                % {"points": -entry.points, "reward": entry.reward},
            )
            return redirect("loyalty:ledger", customer.pk)
    summary = points_summary(customer, rules=rules)
    return render(
        request,
        "loyalty/redeem.html",
        {
            "customer": customer,
            "form": form,
            "summary": summary,
            "min_level_label": VipLevel(summary.redeem_min_level).label,
            "is_active": customer.status == CustomerStatus.ACTIVE,
        },
    )
