"""Tier policy: read it, preview a draft, save a new version, the rules help page."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.models import Customer
from segmentation.forms import POLICY_GROUPS, TierPolicyForm
from segmentation.models import RfmSegment, ScoringRun, TierPolicy
from segmentation.services.policy import policy_draft, policy_save, policy_validate
from segmentation.services.scoring import (
    MATRIX_FIELDS,
    current_policy,
    scoring_preview,
    scoring_preview_members,
)
from segmentation.views.segments import querystring_base

DRAFT_SESSION_KEY = "segmentation_policy_draft"


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
            "runs": ScoringRun.objects.select_related("policy", "triggered_by")[:15],
        },
    )


def _store_draft(request: HttpRequest, values: dict) -> None:
    request.session[DRAFT_SESSION_KEY] = {
        name: str(value) if isinstance(value, Decimal) else value for name, value in values.items()
    }


def _load_draft(request: HttpRequest) -> TierPolicy:
    stored = request.session.get(DRAFT_SESSION_KEY)
    if not stored:
        raise Http404(_("No preview to show; preview the policy again."))
    form = TierPolicyForm(data={k: "" if v is None else v for k, v in stored.items()})
    if not form.is_valid():
        raise Http404(_("No preview to show; preview the policy again."))
    return policy_draft(values=form.threshold_values())


@login_required
def policy_edit(request: HttpRequest) -> HttpResponse:
    """Admins change thresholds; "Preview" shows the moves without writing, "Save" stores a
    new version and queues scoring with it."""
    _require_admin(request)
    current = current_policy()
    preview = None
    if request.method == "POST":
        form = TierPolicyForm(request.POST)
        if form.is_valid():
            values = form.threshold_values()
            try:
                draft = policy_draft(values=values)
                policy_validate(draft)
                if request.POST.get("action") == "save":
                    note = form.cleaned_data["note"].strip()
                    if not note:
                        raise ValidationError({"note": _("Say why the policy changes.")})
                    saved = policy_save(values=values, user=request.user, note=note)
                    request.session.pop(DRAFT_SESSION_KEY, None)
                    messages.success(
                        request,
                        _("Tier policy v%(version)s saved; customers are being re-scored.")
                        % {"version": saved.version},
                    )
                    return redirect("segmentation:policy")
                preview = scoring_preview(policy=draft)
                _store_draft(request, values)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc.messages)
    else:
        form = TierPolicyForm(instance=TierPolicy(**current.thresholds()))
    return render(
        request,
        "segmentation/policy_edit.html",
        {"form": form, "policy": current, "preview": preview},
    )


@login_required
def policy_preview_members(request: HttpRequest, column: str) -> HttpResponse:
    """The customers of one preview cell (current value → value under the draft)."""
    _require_admin(request)
    if column not in MATRIX_FIELDS:
        raise Http404(column)
    old, new = request.GET.get("from", ""), request.GET.get("to", "")
    draft = _load_draft(request)
    ids = scoring_preview_members(policy=draft, column=column, old=old, new=new)
    page = Paginator(ids, 50).get_page(request.GET.get("page"))
    customers = (
        Customer.objects.filter(pk__in=list(page.object_list))
        .select_related("department", "relationship_manager")
        .order_by("pk")
    )
    labels = dict(MATRIX_FIELDS[column].choices)
    return render(
        request,
        "segmentation/policy_preview_members.html",
        {
            "page": page,
            "customers": customers,
            "column_label": Customer._meta.get_field(column).verbose_name,
            "old_label": labels.get(old, old),
            "new_label": labels.get(new, new),
            "old": old,
            "new": new,
            "total": len(ids),
            "querystring_base": querystring_base(request),
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
