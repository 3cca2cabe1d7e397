"""The touch calendar (every touch due in a month) and the holiday calendar of a year."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.calendar import festivals_in_year, lunar_date_of, solar_birthday_in_year
from campaigns.forms import CompanyDayForm
from campaigns.models import CompanyDay
from campaigns.selectors.campaigns import calendar_month, visible_company_days
from campaigns.services.library import company_day_delete, company_day_save
from carecrm.core.scoping import get_visible_or_404

MIN_YEAR, MAX_YEAR = 1901, 2099  # the range lunardate covers


def _int(value: str, default: int, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if low <= number <= high else default


@login_required
@permission_required("campaigns.view_carecampaign", raise_exception=True)
def calendar_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    year = _int(request.GET.get("year"), today.year, MIN_YEAR + 1, MAX_YEAR - 1)
    month = _int(request.GET.get("month"), today.month, 1, 12)
    include_unapproved = request.GET.get("all") == "1"
    data = calendar_month(
        request.user, year=year, month=month, include_unapproved=include_unapproved
    )
    first = dt.date(year, month, 1)
    previous = first - dt.timedelta(days=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "campaigns/calendar.html",
        {
            "calendar": data,
            "first": first,
            "today": today,
            "previous": previous,
            "following": following,
            "include_unapproved": include_unapproved,
            "month_total": sum(data.totals.values()),
            "campaign_totals": [(c, data.totals[c.pk]) for c in data.campaigns],
            "weekdays": [WEEKDAYS_ABBR[i] for i in range(7)],
        },
    )


@login_required
@permission_required("campaigns.view_carecampaign", raise_exception=True)
def holidays_view(request: HttpRequest) -> HttpResponse:
    """Chinese statutory and traditional festivals of any year (lunar ones computed) and
    the company's own days."""
    year = _int(request.GET.get("year"), timezone.localdate().year, MIN_YEAR + 1, MAX_YEAR - 1)
    festivals = []
    for day, festival in festivals_in_year(year):
        lunar_month, lunar_day, _leap = lunar_date_of(day)
        festivals.append({"date": day, "festival": festival, "lunar": f"{lunar_month}/{lunar_day}"})
    company_days = [
        {
            "day": company_day,
            "date": solar_birthday_in_year(dt.date(2000, company_day.month, company_day.day), year),
            "anniversary": year - company_day.since_year if company_day.since_year else None,
        }
        for company_day in visible_company_days(request.user).order_by("month", "day", "name")[:500]
    ]
    form = (
        CompanyDayForm(user=request.user)
        if request.user.has_perm("campaigns.add_companyday")
        else None
    )
    return render(
        request,
        "campaigns/holidays.html",
        {"year": year, "festivals": festivals, "company_days": company_days, "form": form},
    )


@login_required
@require_POST
@permission_required("campaigns.add_companyday", raise_exception=True)
def company_day_create_view(request: HttpRequest) -> HttpResponse:
    form = CompanyDayForm(request.POST, user=request.user)
    if form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "customer_id"}
        try:
            company_day_save(user=request.user, day=CompanyDay(), fields=fields)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("Day added."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    year = _int(request.POST.get("year"), timezone.localdate().year, MIN_YEAR + 1, MAX_YEAR - 1)
    return redirect(f"{reverse('campaigns:holidays')}?year={year}")


@login_required
@require_POST
@permission_required("campaigns.delete_companyday", raise_exception=True)
def company_day_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    day = get_visible_or_404(request.user, CompanyDay.objects.all(), pk=pk)
    try:
        company_day_delete(user=request.user, day=day)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Day removed."))
    return redirect("campaigns:holidays")
