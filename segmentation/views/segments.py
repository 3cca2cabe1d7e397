"""Saved segments: list, rule builder with live count, members preview, CSV export."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecrm.accounts.models import Department, User
from carecrm.core.counts import paginated_list
from carecrm.core.forms import add_service_errors
from carecrm.core.scoping import department_choices_for, get_visible_or_404
from customers.models import Tag
from segmentation.forms import SegmentForm
from segmentation.models import Segment, SegmentKind
from segmentation.rules import (
    RuleError,
    RuleNames,
    describe_rules,
    field_catalogue,
    rule_lines,
    validate_rules,
)
from segmentation.selectors import (
    MEMBER_ORDER,
    place_values,
    rules_customers,
    segment_member_rows,
    visible_segments,
    visible_static_lists,
)
from segmentation.services.segments import (
    EXPORT_PERMISSION,
    segment_count_remember,
    segment_delete,
    segment_export,
    segment_export_xlsx,
    segment_save,
)

PAGE_SIZE = 25


def querystring_base(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


@login_required
@permission_required("segmentation.view_segment", raise_exception=True)
def segment_list(request: HttpRequest) -> HttpResponse:
    segments = visible_segments(request.user)
    query = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    if query:
        segments = segments.filter(Q(name__icontains=query) | Q(description__icontains=query))
    if kind in SegmentKind.values:
        segments = segments.filter(kind=kind)
    page = Paginator(segments.order_by("name", "pk"), 50).get_page(request.GET.get("page"))
    names = RuleNames(*(s.rules for s in page.object_list if s.kind == SegmentKind.DYNAMIC))
    for segment in page.object_list:
        segment.summary = (
            describe_rules(segment.rules, names=names)
            if segment.kind == SegmentKind.DYNAMIC
            else ""
        )
    return render(
        request,
        "segmentation/segment_list.html",
        {
            "page": page,
            "query": query,
            "kind": kind,
            "kinds": SegmentKind.choices,
            "querystring_base": querystring_base(request),
        },
    )


def _builder_context(user) -> dict:
    managers = User.objects.filter(is_active=True)
    if not user.is_admin_role:
        managers = managers.filter(department_id=user.department_id)
    catalogue = field_catalogue()
    extra = {
        "tags": [[str(t.pk), t.name] for t in Tag.objects.order_by("name")[:500]],
        "relationship_manager": [[str(u.pk), str(u)] for u in managers[:500]],
        "static_list": [[str(s.pk), s.name] for s in visible_static_lists(user)[:500]],
        "department": [
            [str(d.pk), str(d)]
            for d in department_choices_for(user, Department.objects.all()).order_by("name")
        ],
    }
    for spec in catalogue:
        if spec["key"] in extra:
            spec["choices"] = extra[spec["key"]]
        elif spec["suggest"]:
            spec["choices"] = [[value, value] for value in place_values(user, spec["key"])]
    return {"catalogue": catalogue}


def _segment_form(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    user = request.user
    departments = department_choices_for(user, Department.objects.all())
    form_kwargs = {
        "user": user,
        "departments": departments,
        "static_lists": visible_static_lists(user),
        "instance": segment,
    }
    if request.method == "POST":
        form = SegmentForm(request.POST, **form_kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = segment_save(
                    user=user,
                    segment=segment,
                    name=data["name"],
                    description=data["description"],
                    kind=data["kind"],
                    department=data["department"],
                    rules=data.get("rules"),
                    static_list=data.get("static_list"),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Segment “%(name)s” saved.") % {"name": saved.name})
                return redirect("segmentation:detail", pk=saved.pk)
    else:
        initial = {"kind": SegmentKind.DYNAMIC}
        if not user.is_admin_role:
            initial["department"] = user.department_id
        form = SegmentForm(initial=initial, **form_kwargs)
    return render(
        request,
        "segmentation/segment_form.html",
        {"form": form, "segment": segment, **_builder_context(user)},
    )


@login_required
@permission_required("segmentation.add_segment", raise_exception=True)
def segment_create(request: HttpRequest) -> HttpResponse:
    return _segment_form(request, None)


@login_required
@permission_required("segmentation.change_segment", raise_exception=True)
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_visible_or_404(request.user, Segment.objects.all(), pk=pk)
    return _segment_form(request, segment)


@login_required
@permission_required("segmentation.view_segment", raise_exception=True)
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_visible_or_404(request.user, visible_segments(request.user), pk=pk)
    members = segment_member_rows(segment, user=request.user)
    page, count = paginated_list(
        request, members, key=MEMBER_ORDER, descending=True, size=PAGE_SIZE
    )
    if count.exact and page.has_previous is False:
        segment_count_remember(segment=segment, count=count.value)
    return render(
        request,
        "segmentation/segment_detail.html",
        {
            "segment": segment,
            "count": count,
            "page": page,
            "customers": page.rows,
            "description": describe_rules(segment.rules) if segment.kind == "dynamic" else "",
            "rule_lines": rule_lines(segment.rules) if segment.kind == "dynamic" else [],
            "match_any": (segment.rules or {}).get("match") == "any",
            "can_export": request.user.has_perm(EXPORT_PERMISSION),
        },
    )


@login_required
@permission_required("segmentation.view_segment", raise_exception=True)
@require_POST
def segment_live_count(request: HttpRequest) -> HttpResponse:
    """htmx: how many customers the rules being edited match right now."""
    error, count, summary, lines, match_any = "", None, "", [], False
    try:
        rules = validate_rules(json.loads(request.POST.get("rules_json") or "{}"))
        department_id = request.POST.get("department") or None
        if not request.user.is_admin_role:
            department_id = request.user.department_id
        kind = request.POST.get("kind", SegmentKind.DYNAMIC)
        if kind == SegmentKind.STATIC:
            error = _("Static segments count their list's members.")
        else:
            names = RuleNames(rules)
            summary = describe_rules(rules, names=names)
            lines = rule_lines(rules, names)
            match_any = rules.get("match") == "any"
            count = rules_customers(
                rules,
                user=request.user,
                department_id=int(department_id) if department_id else None,
            ).count()
    except (ValueError, RuleError) as exc:
        error = str(exc)
    return render(
        request,
        "segmentation/_live_count.html",
        {
            "count": count,
            "error": error,
            "at": timezone.localtime(),
            "summary": summary,
            "rule_lines": lines,
            "match_any": match_any,
        },
    )


@login_required
@permission_required("segmentation.view_segment", raise_exception=True)
def segment_export_csv(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_visible_or_404(request.user, Segment.objects.all(), pk=pk)
    lines = segment_export(segment=segment, user=request.user, request=request)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    filename = f"segment-{segment.pk}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@permission_required("segmentation.view_segment", raise_exception=True)
def segment_export_xlsx_view(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_visible_or_404(request.user, Segment.objects.all(), pk=pk)
    handle = segment_export_xlsx(segment=segment, user=request.user, request=request)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"segment-{segment.pk}-{timezone.localdate():%Y%m%d}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@permission_required("segmentation.delete_segment", raise_exception=True)
@require_POST
def segment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_visible_or_404(request.user, Segment.objects.all(), pk=pk)
    name = segment.name
    segment_delete(segment=segment, user=request.user)
    messages.success(request, _("Segment “%(name)s” deleted.") % {"name": name})
    return redirect("segmentation:list")
