"""The admin's brand page and the logo customers' browsers load."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from carecrm.core.branding.forms import SenderBrandForm
from carecrm.core.branding.selectors import brand_logo, current_brand, sender_brand_for_edit
from carecrm.core.branding.services import sender_brand_update

# The URL names the picture's digest, so a browser or CDN may keep it for a year.
LOGO_CACHE = "public, max-age=31536000, immutable"


@login_required
@permission_required("core.change_senderbrand", raise_exception=True)
@require_http_methods(["GET", "POST"])
def brand_settings_view(request: HttpRequest) -> HttpResponse:
    brand = current_brand()
    if request.method == "POST":
        form = SenderBrandForm(request.POST, request.FILES)
        if form.is_valid():
            sender_brand_update(
                company_name=form.cleaned_data["company_name"],
                sms_signature=form.cleaned_data["sms_signature"],
                contact_line=form.cleaned_data["contact_line"],
                logo=form.chosen_logo(),
                remove_logo=form.cleaned_data["remove_logo"],
                user=request.user,
                request=request,
            )
            messages.success(request, _("The sender brand is saved."))
            return redirect("brand:settings")
    else:
        form = SenderBrandForm(
            initial={
                "company_name": brand.company_name,
                "sms_signature": brand.sms_signature,
                "contact_line": brand.contact_line,
            }
        )
    return render(
        request,
        "core/brand_settings.html",
        {
            "form": form,
            "saved": sender_brand_for_edit(),
            "current": brand,
            "kept_logo": form.kept_logo() if form.is_bound else None,
        },
    )


@require_GET
def brand_logo_view(request: HttpRequest, version: str) -> HttpResponse:
    """Public (customer pages show it); an old version answers 404, not a stale picture."""
    logo = brand_logo(version)
    if logo is None:
        raise Http404
    data, content_type = logo
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = LOGO_CACHE
    response["X-Content-Type-Options"] = "nosniff"
    return response
