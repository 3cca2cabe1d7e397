"""The feedback targets page and the lists behind its figures."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from carecrm.accounts.models import Department
from feedback.selectors.targets import (
    CHANGE_GOAL,
    HANDLED_GOAL,
    SATISFACTION_GOAL,
    VIP_COVERAGE_GOAL,
    handled_items,
    quarter_answers,
    targets,
    vip_answered,
    vip_customers,
)
from feedback.views.results import chosen_department


def _context(request):
    department = chosen_department(request)
    return department, {
        "department": department,
        "departments": Department.objects.order_by("name") if request.user.is_admin_role else None,
        "query": f"?department={department.pk}"
        if department is not None and request.user.is_admin_role
        else "",
    }


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
def targets_view(request):
    department, context = _context(request)
    figures = targets(department)
    context.update(
        {
            "targets": figures,
            "figures": figures.figures(),
            "met": figures.met,
            "goals": {
                "handled": HANDLED_GOAL,
                "satisfaction": SATISFACTION_GOAL,
                "change": CHANGE_GOAL,
                "vip_coverage": VIP_COVERAGE_GOAL,
            },
        }
    )
    return render(request, "feedback/targets.html", context)


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
def targets_handled(request):
    department, context = _context(request)
    figures = targets(department)
    context.update(
        {
            "list": "handled",
            "period": figures.month.label,
            "items": handled_items(department, figures.month)
            .select_related("department", "owner")
            .order_by("-resolved_at", "-pk")[:500],
        }
    )
    return render(request, "feedback/targets_list.html", context)


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
def targets_satisfaction(request):
    department, context = _context(request)
    figures = targets(department)
    answers = (
        quarter_answers(department, figures.last_quarter)
        .filter(question__kind="rating", score__isnull=False)
        .select_related("response__survey", "question")
        .order_by("-response__submitted_at", "-pk")[:500]
    )
    context.update(
        {"list": "satisfaction", "period": figures.last_quarter.label, "answers": answers}
    )
    return render(request, "feedback/targets_list.html", context)


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
def targets_vip(request):
    department, context = _context(request)
    figures = targets(department)
    answered = set(vip_answered(department, figures.this_quarter).values_list("pk", flat=True))
    customers = list(vip_customers(department).select_related("department").order_by("name")[:500])
    for customer in customers:
        customer.answered = customer.pk in answered
    context.update({"list": "vip", "period": figures.this_quarter.label, "customers": customers})
    return render(request, "feedback/targets_list.html", context)
