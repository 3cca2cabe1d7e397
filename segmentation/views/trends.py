"""The segment's Trends tab and its CSV/XLSX export."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from carecrm.core.scoping import get_visible_or_404
from segmentation.selectors import visible_segments
from segmentation.selectors.trends import RANGE_CHOICES, segment_trends, trend_range
from segmentation.services.segments import EXPORT_PERMISSION
from segmentation.services.trends import FORMATS, segment_trends_export


@login_required
@permission_required("segmentation.view_segment", raise_exception=True)
@require_GET
def segment_trends_view(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_visible_or_404(request.user, visible_segments(request.user), pk=pk)
    month_range, errors = trend_range(request.GET)
    trends = segment_trends(segment, user=request.user, month_range=month_range)
    return render(
        request,
        "segmentation/segment_trends.html",
        {
            "segment": segment,
            "trends": trends,
            "range": month_range,
            "range_choices": RANGE_CHOICES,
            "range_query": urlencode(month_range.as_query()),
            "errors": errors,
            "chart": trends.chart_data() if trends.has_purchases else None,
            "formats": FORMATS,
            "can_export": request.user.has_perm(EXPORT_PERMISSION),
        },
    )


@login_required
@permission_required("segmentation.view_segment", raise_exception=True)
@require_GET
def segment_trends_download(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_visible_or_404(request.user, visible_segments(request.user), pk=pk)
    file_format = request.GET.get("as", "csv")
    if file_format not in FORMATS:
        return HttpResponseBadRequest(
            _("Export as CSV or XLSX, not “%(format)s”.") % {"format": file_format},
            content_type="text/plain; charset=utf-8",
        )
    month_range, _errors = trend_range(request.GET)
    content, content_type, filename = segment_trends_export(
        segment=segment,
        user=request.user,
        month_range=month_range,
        file_format=file_format,
        request=request,
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
