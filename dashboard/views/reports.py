"""The reports page: any period's care report as PDF or XLSX for the reader's scope, and
the emailed monthly reports with what became of each."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from carecrm.core.scoping import get_visible_or_404
from dashboard.forms import ReportForm, default_report_day
from dashboard.models import ReportDelivery
from dashboard.selectors.report_deliveries import MAX_ATTEMPTS, visible_deliveries
from dashboard.selectors.reports import care_report
from dashboard.services.report_deliveries import delivery_send_again
from dashboard.services.report_files import (
    PDF,
    XLSX,
    report_filename,
    report_pdf,
    report_xlsx,
)

DELIVERIES_PER_PAGE = 25
FILES = {"pdf": (report_pdf, PDF), "xlsx": (report_xlsx, XLSX)}


def _form(request) -> ReportForm:
    """Bound to the query when there is one; otherwise last month, as the form shows."""
    if request.GET.keys() - {"page"}:
        return ReportForm(request.GET, user=request.user)
    last_month = default_report_day(timezone.localdate())
    return ReportForm({"period": "month", "on": last_month.isoformat()}, user=request.user)


def _page(request, form: ReportForm, status: int = 200):
    deliveries = None
    if request.user.has_perm("dashboard.view_reportdelivery"):
        deliveries = Paginator(visible_deliveries(request.user), DELIVERIES_PER_PAGE).get_page(
            request.GET.get("page")
        )
    context = {
        "form": form,
        "deliveries": deliveries,
        "page": deliveries,
        "max_attempts": MAX_ATTEMPTS,
        "can_send_again": request.user.has_perm("dashboard.change_reportdelivery"),
    }
    return render(request, "dashboard/reports.html", context, status=status)


@require_GET
@login_required
@permission_required("dashboard.download_report", raise_exception=True)
def reports_page(request):
    form = _form(request)
    form.is_valid()
    return _page(request, form)


@require_GET
@login_required
@permission_required("dashboard.download_report", raise_exception=True)
def report_download(request, kind: str):
    """The report of the chosen period and scope as a file; a period that cannot be
    read gives the page back with what is wrong, never a report of some other period."""
    form = _form(request)
    if not form.is_valid():
        return _page(request, form, status=400)
    render_file, content_type = FILES[kind]
    report = care_report(form.scope, form.report_period)
    response = HttpResponse(render_file(report), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{report_filename(report, kind)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
@permission_required("dashboard.change_reportdelivery", raise_exception=True)
def delivery_send(request, pk: int):
    delivery = get_visible_or_404(request.user, ReportDelivery.objects.all(), pk=pk)
    try:
        delivery_send_again(delivery=delivery, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The report for %(recipient)s is being sent again.")
            % {"recipient": delivery.recipient},
        )
    return redirect("dashboard:reports")
