"""Survey results, the satisfaction overview across surveys, and their exports."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from carecrm.accounts.models import Department
from carecrm.core.scoping import get_visible_or_404
from feedback.models import Survey
from feedback.selectors.results import (
    definitions,
    satisfaction_overview,
    survey_results,
    trend_chart_json,
)
from feedback.services.exports import results_csv, results_xlsx


def chosen_department(request):
    """Admins pick any department (or all); everyone else sees their own."""
    user = request.user
    if not user.is_admin_role:
        if user.department_id is None:
            raise PermissionDenied
        return user.department
    value = request.GET.get("department", "")
    return Department.objects.filter(pk=value).first() if value.isdigit() else None


def _survey(request, pk: int) -> Survey:
    return get_visible_or_404(
        request.user, Survey.objects.select_related("department", "event", "campaign"), pk=pk
    )


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
def survey_results_view(request, pk: int):
    survey = _survey(request, pk)
    results = survey_results(survey)
    return render(
        request,
        "feedback/results.html",
        {
            "survey": survey,
            "results": results,
            "definitions": definitions(),
            "trend_json": trend_chart_json(results.trend),
        },
    )


def _filename(survey: Survey, ext: str) -> str:
    return f"survey-{survey.pk}-results-{timezone.localdate():%Y%m%d}.{ext}"


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
def survey_results_csv(request, pk: int):
    survey = _survey(request, pk)
    response = HttpResponse(results_csv(survey), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(survey, "csv")}"'
    return response


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
def survey_results_xlsx(request, pk: int):
    survey = _survey(request, pk)
    response = HttpResponse(
        results_xlsx(survey),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(survey, "xlsx")}"'
    return response


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
def satisfaction_view(request):
    department = chosen_department(request)
    overview = satisfaction_overview(request.user, department)
    return render(
        request,
        "feedback/results_overview.html",
        {
            "overview": overview,
            "department": department,
            "departments": Department.objects.order_by("name")
            if request.user.is_admin_role
            else None,
            "definitions": definitions(),
            "trend_json": trend_chart_json(overview.trend),
        },
    )
