"""The customer page (360°) and the screens that keep a record: create, edit, consents,
contact persons, interactions (and their follow-ups), orders and buying intent."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carecrm.core.audit import audit_record
from carecrm.core.counts import paginated_list
from carecrm.core.forms import add_service_errors
from carecrm.core.models import AuditAction
from carecrm.core.registry import customer_actions, panels_for
from customers import selectors
from customers.forms import (
    ConsentForm,
    ContactPersonForm,
    CustomerForm,
    FollowUpFilterForm,
    IntentForm,
    InteractionForm,
    OrderForm,
    OrderLineFormSet,
    ResolveForm,
)
from customers.models import Channel, CustomerKind, CustomerStatus, InteractionOutcome
from customers.privacy import can_see_pii, customer_contact_view, mask_email, mask_phone
from customers.services import interactions, orders
from customers.services import records as services
from customers.timeline import customer_timeline

FOLLOW_UPS_PAGE_SIZE = 50


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _detail_url(customer_id: int) -> str:
    return reverse("customers:detail", args=[customer_id])


# --- the customer page ----------------------------------------------------------------


def _consent_rows(customer) -> list[dict]:
    by_channel = {consent.channel: consent for consent in customer.consents.all()}
    return [
        {"channel": channel, "label": channel.label, "consent": by_channel.get(channel.value)}
        for channel in Channel
    ]


def _contact_person_rows(customer, user) -> list[dict]:
    show = can_see_pii(user)
    return [
        {
            "person": person,
            "mobile": person.mobile if show else mask_phone(person.mobile),
            "email": person.email if show else mask_email(person.email),
        }
        for person in customer.contact_persons.all()
    ]


TIER_CSS = {"high": "success", "medium": "primary", "potential": "info", "low": "secondary"}
VIP_CSS = {"normal": "light", "silver": "secondary", "gold": "warning", "diamond": "dark"}
LIFECYCLE_CSS = {"new": "info", "active": "success", "churn_risk": "danger", "lost": "secondary"}


def _badges(customer) -> list[dict]:
    """Tier, VIP level and lifecycle badges; unscored values are shown as such."""
    return [
        {
            "label": _("Value tier"),
            "value": customer.get_value_tier_display(),
            "css": TIER_CSS.get(customer.value_tier, "light"),
            "key": "tier",
        },
        {
            "label": _("VIP level"),
            "value": customer.get_vip_level_display(),
            "css": VIP_CSS.get(customer.vip_level, "light"),
            "key": "vip",
        },
        {
            "label": _("Lifecycle"),
            "value": customer.get_lifecycle_stage_display(),
            "css": LIFECYCLE_CSS.get(customer.lifecycle_stage, "light"),
            "key": "lifecycle",
        },
    ]


def _registered_actions(customer, user) -> dict[str, list[dict]]:
    """Other apps' links on this page (``register_customer_action``), per place, the ones
    ``user`` may follow, in order."""
    places: dict[str, list[dict]] = {}
    for action in sorted(customer_actions, key=lambda a: (a.order, a.key)):
        if action.permission and not user.has_perm(action.permission):
            continue
        places.setdefault(action.place, []).append(
            {
                "key": action.key,
                "label": action.label,
                "icon": action.icon,
                "url": action.url(customer),
            }
        )
    return places


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_for_page(request.user, pk)
    audit_record(
        actor=request.user,
        action=AuditAction.VIEW,
        customer_id=customer.pk,
        obj=customer,
        request=request,
    )
    timeline = customer_timeline(
        customer=customer,
        user=request.user,
        page=request.GET.get("page", 1),
        kind=request.GET.get("kind", ""),
    )
    context = {
        "customer": customer,
        "contact": customer_contact_view(customer, request.user),
        "consents": _consent_rows(customer),
        "badges": _badges(customer),
        "contact_persons": _contact_person_rows(customer, request.user),
        "orders": selectors.customer_order_summary(customer),
        "open_follow_ups": selectors.open_follow_ups(request.user)
        .filter(customer=customer)
        .count(),
        "timeline": timeline,
        "is_active": customer.status == CustomerStatus.ACTIVE,
        "is_company": customer.kind == CustomerKind.COMPANY,
        "actions": _registered_actions(customer, request.user),
        "panels": panels_for("customer", customer, request.user),
    }
    return render(request, "customers/detail.html", context)


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_timeline_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One page of the timeline, for htmx paging and filtering on the customer page (the
    page itself was audited when it was opened)."""
    customer = selectors.customer_for_page(request.user, pk)
    timeline = customer_timeline(
        customer=customer,
        user=request.user,
        page=request.GET.get("page", 1),
        kind=request.GET.get("kind", ""),
    )
    if not request.htmx:
        query = request.GET.urlencode()
        return redirect(f"{_detail_url(customer.pk)}?{query}#timeline")
    return render(
        request, "customers/detail_timeline.html", {"customer": customer, "timeline": timeline}
    )


# --- create and edit ------------------------------------------------------------------


@login_required
@permission_required("customers.add_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(
                user=request.user,
                data=form.service_data(),
                tags=form.cleaned_data["tags"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect(_detail_url(customer.pk))
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@login_required
@permission_required("customers.change_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_for_edit(request.user, pk)
    form = CustomerForm(request.POST or None, instance=customer, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.customer_update(
                customer=customer,
                user=request.user,
                data=form.service_data(),
                tags=form.cleaned_data["tags"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("Changes saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect(_detail_url(customer.pk))
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


# --- consents -------------------------------------------------------------------------


@login_required
@permission_required("customers.change_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def consents_manage(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_for_edit(request.user, pk)
    current = {consent.channel: consent for consent in customer.consents.all()}
    forms = [
        ConsentForm(request.POST or None, channel=channel, current=current.get(channel.value))
        for channel in Channel
    ]
    if request.method == "POST" and all(form.is_valid() for form in forms):
        decided = [form for form in forms if form.granted is not None]
        for form in decided:
            services.consent_set(
                customer=customer,
                channel=form.channel,
                granted=form.granted,
                method=form.cleaned_data["method"],
                note=form.cleaned_data["note"],
                user=request.user,
                request=request,
            )
        if decided:
            messages.success(
                request,
                _("Consent recorded for %(channels)s.")
                % {"channels": ", ".join(str(form.channel.label) for form in decided)},
            )
        else:
            messages.info(request, _("No decision was chosen, so nothing was recorded."))
        return redirect(_detail_url(customer.pk))
    return render(request, "customers/consent_form.html", {"customer": customer, "forms": forms})


# --- contact persons ------------------------------------------------------------------


@login_required
@permission_required("customers.change_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_person_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_for_edit(request.user, pk)
    if customer.kind != CustomerKind.COMPANY:
        messages.error(request, _("Only company customers have contact persons."))
        return redirect(_detail_url(customer.pk))
    form = ContactPersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.contact_person_add(
                customer=customer, user=request.user, data=form.service_data(), request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contact person %(name)s added.") % {"name": person.name})
            return redirect(_detail_url(customer.pk) + "#contact-persons")
    return render(
        request,
        "customers/contact_person_form.html",
        {"customer": customer, "form": form, "person": None},
    )


@login_required
@permission_required("customers.change_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.contact_person_for(request.user, pk)
    form = ContactPersonForm(request.POST or None, instance=person, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_person_update(
                person=person, user=request.user, data=form.service_data(), request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contact person saved."))
            return redirect(_detail_url(person.customer_id) + "#contact-persons")
    return render(
        request,
        "customers/contact_person_form.html",
        {"customer": person.customer, "form": form, "person": person},
    )


@login_required
@permission_required("customers.change_customer", raise_exception=True)
@require_POST
def contact_person_remove(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.contact_person_for(request.user, pk)
    services.contact_person_remove(person=person, user=request.user, request=request)
    messages.success(request, _("Contact person %(name)s removed.") % {"name": person.name})
    return redirect(_detail_url(person.customer_id) + "#contact-persons")


# --- interactions and follow-ups ------------------------------------------------------


@login_required
@permission_required("customers.add_interaction", raise_exception=True)
@require_http_methods(["GET", "POST"])
def interaction_log(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_for_edit(request.user, pk)
    initial = {}
    for name in ("kind", "channel"):
        if request.GET.get(name):
            initial[name] = request.GET[name]
    form = InteractionForm(
        request.POST or None, initial=initial, user=request.user, customer=customer
    )
    if request.method == "POST" and form.is_valid():
        try:
            interactions.interaction_log(
                customer=customer, user=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Interaction logged."))
            return redirect(_detail_url(customer.pk))
    return render(request, "customers/interaction_form.html", {"customer": customer, "form": form})


@login_required
@permission_required("customers.change_interaction", raise_exception=True)
@require_http_methods(["GET", "POST"])
def interaction_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = selectors.interaction_for(request.user, pk)
    default_next = _detail_url(interaction.customer_id)
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        interactions.interaction_resolve(
            interaction=interaction,
            user=request.user,
            resolution=form.cleaned_data["resolution"],
            request=request,
        )
        messages.success(
            request,
            _("%(kind)s with %(name)s marked as resolved.")
            % {"kind": interaction.get_kind_display(), "name": interaction.customer.name},
        )
        return redirect(_safe_next(request, default_next))
    return render(
        request,
        "customers/interaction_resolve.html",
        {
            "interaction": interaction,
            "customer": interaction.customer,
            "form": form,
            "is_resolved": interaction.outcome == InteractionOutcome.RESOLVED,
            "next": _safe_next(request, default_next),
        },
    )


@login_required
@permission_required("customers.view_interaction", raise_exception=True)
def follow_ups(request: HttpRequest) -> HttpResponse:
    form = FollowUpFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.follow_ups_for(
        request.user,
        mine=filters.get("who") == FollowUpFilterForm.MINE,
        kind=filters.get("kind") or "",
        overdue_only=bool(filters.get("overdue")),
    )
    page, count = paginated_list(
        request,
        queryset,
        key=selectors.FOLLOW_UP_ORDER,
        descending=False,
        size=FOLLOW_UPS_PAGE_SIZE,
    )
    return render(
        request,
        "customers/follow_ups.html",
        {
            "form": form,
            "page": page,
            "count": count,
            "today": timezone.localdate(),
            "can_resolve": request.user.has_perm("customers.change_interaction"),
            # shown on the phone's "Filters" button, whose form is folded away
            "active_filters": (filters.get("who") == FollowUpFilterForm.MINE)
            + bool(filters.get("kind"))
            + bool(filters.get("overdue")),
        },
    )


# --- orders and intent ----------------------------------------------------------------


@login_required
@permission_required("customers.add_order", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_for_edit(request.user, pk)
    form = OrderForm(
        request.POST or None,
        initial={"ordered_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    lines = OrderLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            order = orders.order_record(
                customer=customer,
                order_no=form.cleaned_data["order_no"],
                ordered_at=form.cleaned_data["ordered_at"],
                store=form.cleaned_data["store"],
                lines=lines.lines(),
                user=request.user,
                request=request,
                generate_number=True,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Order %(order_no)s recorded: ¥%(amount)s.")
                % {"order_no": order.order_no, "amount": order.amount},
            )
            return redirect(_detail_url(customer.pk))
    return render(
        request,
        "customers/order_form.html",
        {"customer": customer, "form": form, "lines": lines},
    )


@login_required
@permission_required("customers.add_intentevent", raise_exception=True)
@require_http_methods(["GET", "POST"])
def intent_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_for_edit(request.user, pk)
    form = IntentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            orders.intent_record(
                customer=customer, user=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Buying intent recorded."))
            return redirect(_detail_url(customer.pk))
    return render(request, "customers/intent_form.html", {"customer": customer, "form": form})
