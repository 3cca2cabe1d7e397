"""Staff record a customer's opt-out told on a call (or in person), and remove a refusal
when the customer asks to receive care messages again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from customers.selectors import customer_for_edit
from delivery.forms_preferences import OptOutForm, ResubscribeForm
from delivery.models import UnsubscribeSource
from delivery.selectors.preferences import customer_unsubscribes
from delivery.services.preferences import unsubscribe, unsubscribe_remove


@login_required
@permission_required("customers.change_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def optout_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_for_edit(request.user, customer_id)
    unsubscribes = customer_unsubscribes(request.user, customer)
    action = request.POST.get("action") if request.method == "POST" else None
    optout_form = OptOutForm(request.POST if action == "optout" else None)
    resubscribe_form = ResubscribeForm(
        request.POST if action == "resubscribe" else None, unsubscribes=unsubscribes
    )
    if action == "optout" and optout_form.is_valid():
        data = optout_form.cleaned_data
        unsubscribe(
            customer=customer,
            channel=data["channel"],
            care_kind=data["care_kind"],
            source=UnsubscribeSource.STAFF,
            method=data["method"],
            note=data["note"],
            user=request.user,
            request=request,
        )
        messages.success(request, _("The opt-out is recorded; queued messages are stopped."))
        return redirect("delivery_ops:optout", customer_id=customer.pk)
    if action == "resubscribe" and resubscribe_form.is_valid():
        try:
            unsubscribe_remove(
                unsubscribe=resubscribe_form.cleaned_data["unsubscribe"],
                note=resubscribe_form.cleaned_data["note"],
                user=request.user,
                request=request,
            )
        except ValidationError as error:
            resubscribe_form.add_error("note", error.messages)
        else:
            messages.success(request, _("The refusal is removed."))
            return redirect("delivery_ops:optout", customer_id=customer.pk)
    return render(
        request,
        "delivery/optout.html",
        {
            "customer": customer,
            "unsubscribes": unsubscribes,
            "optout_form": optout_form,
            "resubscribe_form": resubscribe_form,
        },
    )
