"""Calling a customer: "show number" (an audited, rate-limited reveal of the full phone
number as a ``tel:`` link) and the tag suggestions of the entry forms."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from customers import selectors
from customers.forms import PhoneRevealForm, split_list
from customers.privacy import display_phone
from customers.services.calling import (
    CONTACT_PERMISSION,
    RevealLimitReached,
    phone_reveal,
    reveals_left,
)


def _reveal_response(request, context: dict, *, status: int = 200) -> HttpResponse:
    template = (
        "customers/_phone_reveal_retry.html" if request.htmx else "customers/phone_reveal_page.html"
    )
    return render(request, template, context, status=status)


@login_required
@permission_required(CONTACT_PERMISSION, raise_exception=True)
@require_POST
def phone_reveal_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_for_edit(request.user, pk)
    form = PhoneRevealForm(request.POST, auto_id=f"id_reveal_{customer.pk}_%s")
    log_link = request.POST.get("log_link") != "0"
    context = {"customer": customer, "form": form, "log_link": log_link, "can_log": True}
    if not form.is_valid():
        return _reveal_response(request, context)
    try:
        number = phone_reveal(
            customer=customer,
            user=request.user,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            request=request,
        )
    except RevealLimitReached as exc:
        return _reveal_response(request, {**context, "error": exc.messages[0]}, status=429)
    except ValidationError as exc:
        return _reveal_response(request, {**context, "error": " ".join(exc.messages)})
    context.update(number=number, display=display_phone(number), left=reveals_left(request.user))
    template = (
        "customers/_phone_revealed.html" if request.htmx else "customers/phone_reveal_page.html"
    )
    return render(request, template, context)


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@require_GET
def tag_suggestions_view(request: HttpRequest) -> HttpResponse:
    """Existing tags in the user's scope matching what is being typed: the last item of a
    comma-separated list (``tags``) or a single tag (``tag_name``)."""
    typed = request.GET.get("tags")
    if typed is None:
        typed = request.GET.get("tag_name", request.GET.get("q", ""))
    items = split_list(typed)
    current = items[-1] if items and not typed.rstrip().endswith((",", "，")) else ""
    chosen = set(items[:-1] if current else items)
    names = [
        name for name in selectors.tag_suggestions(request.user, current) if name not in chosen
    ]
    return render(request, "customers/_tag_suggestions.html", {"names": names, "typed": current})
