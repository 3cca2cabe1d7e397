"""The content template library."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.content import PLACEHOLDERS, check_content
from campaigns.forms import TemplateForm
from campaigns.models import ContentTemplate, TouchChannel
from campaigns.selectors.campaigns import visible_templates
from campaigns.services.library import content_template_delete, content_template_save
from campaigns.views.campaigns import querystring_base
from carecrm.core.scoping import visible_to


@login_required
@permission_required("campaigns.view_contenttemplate", raise_exception=True)
def template_list_view(request: HttpRequest) -> HttpResponse:
    channel = request.GET.get("channel", "")
    query = request.GET.get("q", "").strip()
    templates = visible_templates(request.user)
    if channel in TouchChannel.values:
        templates = templates.filter(channel=channel)
    if query:
        templates = templates.filter(name__icontains=query)
    page = Paginator(templates.order_by("channel", "name", "pk"), 50).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "template": template,
            "check": check_content(
                channel=template.channel,
                subject=template.subject,
                body=template.body,
                html_body=template.html_body,
            ),
        }
        for template in page.object_list
    ]
    return render(
        request,
        "campaigns/template_list.html",
        {
            "page": page,
            "rows": rows,
            "channel": channel,
            "query": query,
            "channels": TouchChannel.choices,
            "querystring_base": querystring_base(request),
        },
    )


def _own_template(request, pk: int) -> ContentTemplate:
    template = visible_to(request.user, ContentTemplate.objects.all()).filter(pk=pk).first()
    if template is None:
        raise Http404(_("content template"))
    return template


@login_required
@permission_required("campaigns.add_contenttemplate", raise_exception=True)
def template_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    template = _own_template(request, pk) if pk else ContentTemplate()
    form = TemplateForm(request.POST or None, instance=template, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            content_template_save(
                user=request.user,
                template=ContentTemplate.objects.get(pk=pk) if pk else ContentTemplate(),
                fields=form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Template saved."))
            return redirect("campaigns:templates")
    return render(
        request,
        "campaigns/template_form.html",
        {"form": form, "template": template if pk else None, "placeholders": PLACEHOLDERS.items()},
    )


@login_required
@require_POST
@permission_required("campaigns.delete_contenttemplate", raise_exception=True)
def template_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    content_template_delete(user=request.user, template=_own_template(request, pk))
    messages.success(request, _("Template deleted."))
    return redirect("campaigns:templates")
