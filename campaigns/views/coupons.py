"""Recording coupon redemptions by hand and from a CSV export of the till."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from campaigns.forms import RedeemForm, RedemptionImportForm
from campaigns.models import RedemptionSource
from campaigns.services.coupons import coupon_redeem, coupon_redemptions_import


@login_required
@permission_required("campaigns.redeem_coupon", raise_exception=True)
def redeem_view(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action") if request.method == "POST" else None
    redeem_form = RedeemForm(request.POST if action == "redeem" else None)
    import_form = RedemptionImportForm(
        request.POST if action == "import" else None,
        request.FILES if action == "import" else None,
    )
    result = redeemed = None
    if action == "redeem" and redeem_form.is_valid():
        try:
            redeemed = coupon_redeem(
                user=request.user, source=RedemptionSource.MANUAL, **redeem_form.cleaned_data
            )
        except ValidationError as error:
            for message in error.messages:
                redeem_form.add_error("code", message)
        else:
            messages.success(
                request, _("Coupon %(code)s is recorded as redeemed.") % {"code": redeemed.code}
            )
            redeem_form = RedeemForm()
    if action == "import" and import_form.is_valid():
        try:
            result = coupon_redemptions_import(
                file=import_form.cleaned_data["file"], user=request.user
            )
        except ValidationError as error:
            import_form.add_error("file", error.messages)
    return render(
        request,
        "campaigns/redeem.html",
        {
            "redeem_form": redeem_form,
            "import_form": import_form,
            "result": result,
            "redeemed": redeemed,
        },
    )
