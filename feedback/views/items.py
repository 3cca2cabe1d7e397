"""Feedback item pages: the list (filters, SLA badge, keyset pages), entering an item by
hand, the detail page with its history and actions, and the admin's deadlines."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from carecrm.core.counts import paginated_list
from carecrm.core.keyset import SortKey
from carecrm.core.scoping import get_visible_or_404
from feedback.forms_items import (
    FollowUpForm,
    ItemFilterForm,
    ItemForm,
    NoteForm,
    ResolveForm,
    SeverityDeadlineFormSet,
)
from feedback.keywords import suggest_category
from feedback.models import ItemStatus, SeverityDeadline, Topic
from feedback.selectors.items import is_breached, items_filter, visible_items
from feedback.services import items as item_services

PAGE_SIZE = 50
CREATED = SortKey("created_at")


@login_required
@permission_required("feedback.view_feedbackitem", raise_exception=True)
def item_list(request, mine: bool = False):
    now = timezone.now()
    params = request.GET.copy()
    if mine:
        params["mine"] = "on"
    form = ItemFilterForm(params, user=request.user)
    items = visible_items(request.user)
    if form.is_valid():
        items = items_filter(items, params=form.cleaned_data, user=request.user, now=now)
    page, count = paginated_list(request, items, key=CREATED, descending=True, size=PAGE_SIZE)
    for item in page.rows:
        item.breached = is_breached(item, now)
    return render(
        request,
        "feedback/item_list.html",
        {"page": page, "count": count, "form": form, "mine": mine},
    )


@login_required
@permission_required("feedback.add_feedbackitem", raise_exception=True)
def item_create(request):
    if request.method == "POST":
        form = ItemForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                item = item_services.item_create_by_hand(
                    user=request.user, fields=form.cleaned_data
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Feedback item created."))
                return redirect("feedback:item", item.pk)
    else:
        form = ItemForm(user=request.user, search=request.GET.get("q", "").strip())
    return render(
        request,
        "feedback/item_form.html",
        {"form": form, "q": request.GET.get("q", "").strip()},
    )


@login_required
@permission_required("feedback.add_feedbackitem", raise_exception=True)
def item_suggest(request):
    """The category suggested for the words typed so far (an HTMX fragment)."""
    text = f"{request.GET.get('title', '')}\n{request.GET.get('description', '')}"
    suggested = suggest_category(text)
    return render(
        request,
        "feedback/item_suggestion.html",
        {"suggested": Topic(suggested).label if suggested else ""},
    )


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


ACTIVITY_LABELS = {
    "created": _lazy("Created"),
    "taken": _lazy("Taken"),
    "responded": _lazy("First response"),
    "resolved": _lazy("Resolved"),
    "closed": _lazy("Closed"),
    "reopened": _lazy("Reopened"),
    "escalated": _lazy("Escalated to the managers"),
    "category": _lazy("Category changed"),
    "follow_up_satisfied": _lazy("Checked back: satisfied"),
    "follow_up_not_satisfied": _lazy("Checked back: not satisfied"),
    "follow_up_unreachable": _lazy("Checked back: could not be reached"),
}


def _detail_context(request, item, **forms):
    activities = list(item.activities.select_related("actor")[:100])
    for activity in activities:
        activity.label = ACTIVITY_LABELS.get(activity.action, activity.action)
    return {
        "item": item,
        "breached": is_breached(item),
        "activities": activities,
        "resolve_form": forms.get("resolve_form") or ResolveForm(),
        "follow_up_form": forms.get("follow_up_form") or FollowUpForm(),
        "note_form": NoteForm(),
        "can_change": request.user.has_perm("feedback.change_feedbackitem"),
        "suggested_label": Topic(item.suggested_category).label if item.suggested_category else "",
        "statuses": ItemStatus,
    }


@login_required
@permission_required("feedback.view_feedbackitem", raise_exception=True)
def item_detail(request, pk: int):
    item = get_visible_or_404(request.user, visible_items(request.user), pk=pk)
    return render(request, "feedback/item_detail.html", _detail_context(request, item))


ACTIONS = ("take", "respond", "resolve", "close", "reopen", "follow-up", "accept-category")


@login_required
@permission_required("feedback.change_feedbackitem", raise_exception=True)
@require_POST
def item_action(request, pk: int, action: str):
    item = get_visible_or_404(request.user, visible_items(request.user), pk=pk)
    forms = {}
    try:
        if action == "take":
            item_services.item_take(item=item, user=request.user)
            messages.success(request, _("You now own this item."))
        elif action == "respond":
            note = NoteForm(request.POST)
            note.is_valid()
            item_services.item_respond(
                item=item, user=request.user, note=note.cleaned_data.get("note", "")
            )
            messages.success(request, _("First response recorded."))
        elif action == "resolve":
            form = ResolveForm(request.POST)
            if not form.is_valid():
                forms["resolve_form"] = form
                raise ValidationError(_("The item was not resolved: see below."))
            item_services.item_resolve(
                item=item, user=request.user, note=form.cleaned_data["resolution_note"]
            )
            messages.success(request, _("Item resolved. Check back with the customer in 3 days."))
        elif action == "close":
            item_services.item_close(item=item, user=request.user)
            messages.success(request, _("Item closed."))
        elif action == "reopen":
            note = NoteForm(request.POST)
            note.is_valid()
            item_services.item_reopen(
                item=item, user=request.user, note=note.cleaned_data.get("note", "")
            )
            messages.success(request, _("Item reopened."))
        elif action == "follow-up":
            form = FollowUpForm(request.POST)
            if not form.is_valid():
                forms["follow_up_form"] = form
                raise ValidationError(_("The check back was not recorded: see below."))
            item_services.item_follow_up(
                item=item,
                user=request.user,
                outcome=form.cleaned_data["follow_up_outcome"],
                note=form.cleaned_data["follow_up_note"],
            )
            messages.success(request, _("Check back recorded."))
        elif action == "accept-category":
            item_services.item_accept_category(item=item, user=request.user)
            messages.success(request, _("Suggested category accepted."))
        else:
            raise ValidationError(_("Unknown action."))
    except PermissionDenied:
        raise
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        item.refresh_from_db()
        return render(
            request,
            "feedback/item_detail.html",
            _detail_context(request, item, **forms),
        )
    return redirect("feedback:item", item.pk)


@login_required
def severity_deadlines(request):
    """Admins set how fast each severity must be answered and resolved."""
    if not request.user.is_admin_role:
        raise PermissionDenied(_("Only administrators change the deadlines."))
    queryset = SeverityDeadline.objects.all()
    if request.method == "POST":
        formset = SeverityDeadlineFormSet(request.POST, queryset=queryset)
        if formset.is_valid():
            with transaction.atomic():
                formset.save()
            messages.success(
                request, _("Deadlines saved. They apply to items created from now on.")
            )
            return redirect("feedback:item-deadlines")
    else:
        formset = SeverityDeadlineFormSet(queryset=queryset)
    return render(request, "feedback/item_deadlines.html", {"formset": formset})
