"""Referrals: the list with its filters, the figures per relationship manager, and setting
who referred a customer (the rules are in ``customers.services.referrals``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carecrm.core.counts import paginated_list
from carecrm.core.forms import add_service_errors
from customers.models import CustomerStatus
from customers.privacy import can_see_pii
from customers.selectors import customer_for_page, visible_customers
from customers.services.referrals import referrer_set
from loyalty.forms import ReferralFilterForm, ReferrerForm
from loyalty.selectors.referrals import (
    REFERRAL_ORDER,
    ReferralFilters,
    manager_referral_stats,
    referral_list,
    referral_stats,
    referrer_candidates,
    visible_ids,
)
from loyalty.views.points import PAGE_SIZE

CANDIDATES = 20


def _referrer_from(request: HttpRequest):
    """The referrer a list link filters by (``?referrer=<id>``), if the user sees them."""
    value = request.GET.get("referrer", "")
    if not value.isdigit():
        return None
    return visible_customers(request.user, include_inactive=True).filter(pk=value).first()


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def referral_list_view(request: HttpRequest) -> HttpResponse:
    form = ReferralFilterForm(request.GET or None, user=request.user)
    referrer = _referrer_from(request)
    filters = ReferralFilters(referrer=referrer.pk if referrer else None)
    if form.is_valid():
        data = form.cleaned_data
        filters = ReferralFilters(
            q=data["q"].strip(),
            vip=data["vip"],
            bonus=data["bonus"],
            manager=data["manager"].pk if data["manager"] else None,
            referrer=filters.referrer,
            referred_from=data["referred_from"],
            referred_to=data["referred_to"],
        )
    page, count = paginated_list(
        request,
        referral_list(request.user, filters),
        key=REFERRAL_ORDER,
        descending=True,
        size=PAGE_SIZE,
    )
    rows = page.rows
    seen = visible_ids(request.user, [row.referred_by_id for row in rows])
    for row in rows:
        row.referrer_visible = row.referred_by_id in seen
    return render(
        request,
        "loyalty/referrals.html",
        {
            "form": form,
            "page": page,
            "count": count,
            "rows": rows,
            "referrer": referrer,
        },
    )


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def referral_managers(request: HttpRequest) -> HttpResponse:
    """Referrals brought in by each relationship manager's customers."""
    form = ReferralFilterForm(request.GET or None, user=request.user)
    since = form.cleaned_data["referred_from"] if form.is_valid() else None
    rows = manager_referral_stats(request.user, since=since)
    totals = {
        "referrers": sum(row.referrers for row in rows),
        "referred": sum(row.referred for row in rows),
        "vip": sum(row.vip for row in rows),
        "bonus_points": sum(row.bonus_points for row in rows),
    }
    return render(
        request,
        "loyalty/referral_managers.html",
        {"form": form, "rows": rows, "totals": totals, "since": since},
    )


@login_required
@permission_required("customers.change_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def referrer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Search a customer by name or mobile and record them as this customer's referrer,
    or clear it."""
    customer = customer_for_page(request.user, customer_id)
    search = request.GET.get("q", "").strip()
    masked = not can_see_pii(request.user)
    if request.method == "POST":
        candidates = visible_customers(request.user).exclude(pk=customer.pk)
        if "clear" in request.POST:
            form = ReferrerForm(candidates=candidates, masked=masked)
            try:
                changed = referrer_set(
                    customer=customer, referrer=None, user=request.user, request=request
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if changed:
                    messages.success(request, _("The referrer is removed."))
                return redirect("customers:detail", customer.pk)
        else:
            form = ReferrerForm(request.POST, candidates=candidates, masked=masked)
            if form.is_valid():
                try:
                    referrer_set(
                        customer=customer,
                        referrer=form.cleaned_data["referrer"],
                        referred_on=form.cleaned_data["referred_on"],
                        user=request.user,
                        request=request,
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(
                        request,
                        _("%(referrer)s is recorded as the referrer of %(customer)s.")
                        % {"referrer": form.cleaned_data["referrer"].name, "customer": customer},
                    )
                    return redirect("customers:detail", customer.pk)
    else:
        found = referrer_candidates(request.user, search, exclude=customer.pk)[:CANDIDATES]
        form = ReferrerForm(candidates=found, masked=masked)
    stats = referral_stats(customer, request.user)
    return render(
        request,
        "loyalty/referrer_form.html",
        {
            "customer": customer,
            "form": form,
            "search": search,
            "stats": stats,
            "is_active": customer.status == CustomerStatus.ACTIVE,
            "searched": bool(search),
        },
    )
