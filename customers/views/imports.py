"""Views of the import screens: upload → column mapping → job page (progress, result,
rejected rows) and the list of recent imports."""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carecrm.channels import ConsentChannel
from carecrm.core.audit import audit_record
from carecrm.core.counts import CountEstimate
from carecrm.core.forms import add_service_errors
from carecrm.core.keyset import paginate_request
from carecrm.core.models import AuditAction
from carecrm.core.scoping import get_visible_or_404
from carecrm.spreadsheet import spreadsheet_text
from customers.forms_imports import ImportMappingForm, ImportUploadForm
from customers.models import ImportJob, ImportKind, ImportPreset, ImportStatus
from customers.selectors_imports import (
    REJECTION_ORDER,
    can_download_rejected_rows,
    import_file_sample,
    import_preview,
    import_reach,
    import_rejections,
    visible_import_jobs,
    visible_import_presets,
)
from customers.services.importing import (
    import_job_create,
    import_job_repeat,
    import_job_start,
    import_preset_delete,
    import_preset_save,
    skip_reason_label,
)
from customers.services.importing_fields import FIELDS, missing_fields
from customers.services.importing_files import ImportFileError

VIEW = "customers.view_importjob"
ADD = "customers.add_importjob"


def _visible_job(request: HttpRequest, pk: int) -> ImportJob:
    return get_visible_or_404(
        request.user, ImportJob.objects.select_related("department", "created_by"), pk=pk
    )


@login_required
@permission_required(VIEW, raise_exception=True)
def import_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    kind = kind if kind in ImportKind.values else ""
    status = status if status in ImportStatus.values else ""
    page = Paginator(visible_import_jobs(request.user, kind=kind, status=status), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "customers/import_list.html",
        {
            "page": page,
            "kind": kind,
            "status": status,
            "kinds": ImportKind.choices,
            "statuses": ImportStatus.choices,
            "presets": [
                (
                    preset,
                    [
                        (column, FIELDS[preset.kind][field].label)
                        for column, field in sorted(preset.mapping.items())
                        if field in FIELDS[preset.kind]
                    ],
                )
                for preset in visible_import_presets(request.user)
            ],
        },
    )


@login_required
@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = import_job_create(
                user=request.user,
                file=data["file"],
                kind=data["kind"],
                existing_mode=data["existing_mode"],
                dry_run=data["dry_run"],
                department=data.get("department"),
                preset=data["preset"],
                start=False,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("customers:import-mapping", pk=job.pk)
    return render(request, "customers/import_new.html", {"form": form, "fields": FIELDS})


@login_required
@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = _visible_job(request, pk)
    if job.created_by_id != request.user.pk:
        raise Http404  # the file is the uploader's until the import starts
    if job.status != ImportStatus.DRAFT:
        return redirect("customers:import-detail", pk=job.pk)
    try:
        columns, samples = import_file_sample(job)
    except ImportFileError as exc:
        messages.error(request, str(exc))
        return redirect("customers:import-new")
    form = ImportMappingForm(
        request.POST or None, columns=columns, kind=job.kind, mapping=job.mapping
    )
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        try:
            job = import_job_start(
                job=job,
                mapping=mapping,
                user=request.user,
                consent_basis=form.basis(),
            )
            if form.cleaned_data["preset_name"]:
                import_preset_save(
                    user=request.user,
                    name=form.cleaned_data["preset_name"],
                    kind=job.kind,
                    mapping=mapping,
                    department=job.department,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("customers:import-detail", pk=job.pk)
    return render(
        request,
        "customers/import_mapping.html",
        {
            "job": job,
            "form": form,
            "rows": list(zip(form.column_fields(), samples, strict=True)),
            "missing": missing_fields(job.mapping, job.kind),
        },
    )


def _rejections(request: HttpRequest, job: ImportJob) -> dict:
    """A keyset page of the rejected rows; the job counted them while importing."""
    page = paginate_request(
        request, import_rejections(job), key=REJECTION_ORDER, descending=False, size=50
    )
    return {
        "rejections": page.rows,
        "rejections_page": page,
        "rejections_count": CountEstimate(job.rejected_count, exact=True),
    }


def _status_context(request: HttpRequest, job: ImportJob) -> dict:
    return {
        "job": job,
        "running": job.status in (ImportStatus.PENDING, ImportStatus.RUNNING),
        "skipped_reasons": sorted(
            ((skip_reason_label(code), count) for code, count in job.skipped_reasons.items()),
            key=lambda item: -item[1],
        ),
        "preview": import_preview(job, request.user),
        "reach": import_reach(job) if job.kind == ImportKind.CUSTOMERS else None,
        "consent_basis_channels": [
            str(ConsentChannel(channel).label)
            for channel in job.consent_basis_channels
            if channel in ConsentChannel.values
        ],
        **_rejections(request, job),
        "can_download": bool(job.error_report) and can_download_rejected_rows(request.user, job),
        "can_repeat": request.user.has_perm(ADD) and job.status == ImportStatus.DONE,
    }


@login_required
@permission_required(VIEW, raise_exception=True)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _visible_job(request, pk)
    if job.status == ImportStatus.DRAFT and job.created_by_id == request.user.pk:
        return redirect("customers:import-mapping", pk=job.pk)
    return render(request, "customers/import_detail.html", _status_context(request, job))


@login_required
@permission_required(VIEW, raise_exception=True)
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The status block alone; the job page polls it with htmx until the job is done."""
    job = _visible_job(request, pk)
    return render(request, "customers/_import_status.html", _status_context(request, job))


@login_required
@permission_required(VIEW, raise_exception=True)
def import_rejected_rows(request: HttpRequest, pk: int) -> FileResponse:
    job = _visible_job(request, pk)
    if not job.error_report or not can_download_rejected_rows(request.user, job):
        raise Http404
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        obj=job,
        detail={"rejected_rows": job.rejected_count},
        request=request,
    )
    name = f"{job.original_name.rsplit('.', 1)[0]}-rejected-rows.csv"
    return FileResponse(
        job.error_report.open("rb"), as_attachment=True, filename=name, content_type="text/csv"
    )


@login_required
@permission_required(ADD, raise_exception=True)
@require_POST
def import_repeat(request: HttpRequest, pk: int) -> HttpResponse:
    job = _visible_job(request, pk)
    try:
        repeat = import_job_repeat(job=job, user=request.user, dry_run=False)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("customers:import-detail", pk=job.pk)
    messages.success(request, _("The import has started."))
    return redirect("customers:import-detail", pk=repeat.pk)


@login_required
@permission_required("customers.delete_importpreset", raise_exception=True)
@require_POST
def import_preset_remove(request: HttpRequest, pk: int) -> HttpResponse:
    preset = get_visible_or_404(request.user, ImportPreset.objects.all(), pk=pk)
    try:
        import_preset_delete(user=request.user, preset=preset)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Preset “%(name)s” deleted.") % {"name": preset.name})
    return redirect("customers:import-list")


@login_required
@permission_required(ADD, raise_exception=True)
def import_template(request: HttpRequest) -> HttpResponse:
    """An empty CSV with the recognised headers of one kind, for people starting a file."""
    kind = request.GET.get("kind", ImportKind.CUSTOMERS)
    if kind not in ImportKind.values:
        raise Http404
    buffer = io.StringIO()
    csv.writer(buffer).writerow(
        [spreadsheet_text(field.aliases[0]) for field in FIELDS[kind].values()]
    )
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{kind}-import-template.csv"'
    return response
