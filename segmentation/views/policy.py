"""Tier policy: read it, preview a draft, save a new version, the rules help page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carecrm.core.counts import paginated_list
from carecrm.core.forms import add_service_errors
from customers.models import Customer
from customers.selectors import visible_customers
from segmentation.forms import POLICY_GROUPS, TierPolicyForm
from segmentation.models import (
    PolicyPreview,
    PolicyPreviewMove,
    PreviewStatus,
    RfmSegment,
    RunTrigger,
    ScoringRun,
    TierPolicy,
)
from segmentation.selectors import MOVE_ORDER
from segmentation.services.policy import policy_preview_start, policy_save, preview_values
from segmentation.services.scoring import MATRIX_FIELDS, current_policy, stored_matrices


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_admin_role:
        raise PermissionDenied(_("Only administrators may change the tier policy."))


def _policy_rows(policy: TierPolicy) -> list:
    return [
        (
            title,
            [
                (TierPolicy._meta.get_field(name).verbose_name, getattr(policy, name))
                for name in names
            ],
        )
        for title, names in POLICY_GROUPS
    ]


@login_required
@permission_required("segmentation.view_tierpolicy", raise_exception=True)
def policy_detail(request: HttpRequest) -> HttpResponse:
    policy = current_policy()
    return render(
        request,
        "segmentation/policy_detail.html",
        {
            "policy": policy,
            "groups": _policy_rows(policy),
            "versions": TierPolicy.objects.select_related("created_by")[:30],
            "runs": ScoringRun.objects.exclude(trigger=RunTrigger.LIVE).select_related(
                "policy", "triggered_by"
            )[:15],
        },
    )


def _preview_context(preview: PolicyPreview | None) -> dict:
    if preview is None:
        return {"preview": None}
    matrices = stored_matrices(preview.matrices) if preview.status == PreviewStatus.DONE else {}
    return {"preview": preview, "matrices": matrices}


@login_required
def policy_edit(request: HttpRequest) -> HttpResponse:
    """Admins change thresholds. "Preview" queues a computation of the moves (nothing is
    written to customers) and shows it when ready; "Save" stores a new version and queues
    scoring with it."""
    _require_admin(request)
    current = current_policy()
    preview = None
    if request.method == "POST":
        form = TierPolicyForm(request.POST)
        if form.is_valid():
            values = form.threshold_values()
            try:
                if request.POST.get("action") == "save":
                    note = form.cleaned_data["note"].strip()
                    if not note:
                        raise ValidationError({"note": _("Say why the policy changes.")})
                    saved = policy_save(values=values, user=request.user, note=note)
                    messages.success(
                        request,
                        _("Tier policy v%(version)s saved; customers are being re-scored.")
                        % {"version": saved.version},
                    )
                    return redirect("segmentation:policy")
                preview = policy_preview_start(values=values, user=request.user)
                return redirect(f"{reverse('segmentation:policy-edit')}?preview={preview.pk}")
            except ValidationError as exc:
                add_service_errors(form, exc)
    else:
        preview_id = request.GET.get("preview", "")
        preview = (
            PolicyPreview.objects.filter(pk=int(preview_id)).first()
            if preview_id.isdigit()
            else None
        )
        values = preview_values(preview) if preview else current.thresholds()
        form = TierPolicyForm(instance=TierPolicy(**{**current.thresholds(), **values}))
    return render(
        request,
        "segmentation/policy_edit.html",
        {"form": form, "policy": current, **_preview_context(preview)},
    )


@login_required
def policy_preview_status(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the preview section, polled until the preview is ready."""
    _require_admin(request)
    preview = get_object_or_404(PolicyPreview, pk=pk)
    return render(request, "segmentation/_policy_preview.html", _preview_context(preview))


@login_required
def policy_preview_members(request: HttpRequest, pk: int, column: str) -> HttpResponse:
    """The customers of one preview cell (current value → value under the draft)."""
    _require_admin(request)
    if column not in MATRIX_FIELDS:
        raise Http404(column)
    preview = get_object_or_404(PolicyPreview, pk=pk, status=PreviewStatus.DONE)
    old, new = request.GET.get("from", ""), request.GET.get("to", "")
    moves = PolicyPreviewMove.objects.filter(
        preview=preview, field=column, old_value=old, new_value=new
    )
    page, count = paginated_list(request, moves, key=MOVE_ORDER, descending=False, size=50)
    customers = (
        visible_customers(request.user)
        .filter(pk__in=[move.customer_id for move in page.rows])
        .select_related("department", "relationship_manager")
        .order_by("pk")
    )
    labels = dict(MATRIX_FIELDS[column].choices)
    return render(
        request,
        "segmentation/policy_preview_members.html",
        {
            "preview": preview,
            "page": page,
            "customers": customers,
            "column_label": Customer._meta.get_field(column).verbose_name,
            "old_label": labels.get(old, old),
            "new_label": labels.get(new, new),
            "count": count,
        },
    )


@login_required
@require_POST
def policy_run_now(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    from segmentation.tasks import score_customers

    score_customers.delay()
    messages.info(request, _("Scoring queued; the run appears below when it finishes."))
    return redirect("segmentation:policy")


@login_required
def rules_help(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "segmentation/help.html",
        {"policy": current_policy(), "segments": RfmSegment.choices},
    )
