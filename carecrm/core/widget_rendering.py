"""Form widgets written out in Python for the templates every form uses.

Django renders each widget through templates (``input.html`` including ``attrs.html``,
``select.html`` including one template per option). On the customer list that cost about
12 ms a page, more than the search itself, for some twenty inputs and selects. The two
shapes below produce the same HTML as Django's templates, character for character (a test
compares them), except that a select's empty choice reads "Choose…" or "(none)" in the
user's language instead of Django's "---------", and options follow each other without the
blank line Django's per-option include leaves. Every other widget template still renders
through the template engine, so a project template override of those keeps working.
"""

from django.forms.renderers import TemplatesSetting
from django.utils.html import conditional_escape, escape
from django.utils.translation import gettext

WIDGETS = "django/forms/widgets/"
# Django's templates for these are exactly ``{% include "django/forms/widgets/input.html" %}``.
INPUT_TEMPLATES = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "input", "text", "number", "email", "password", "url", "tel", "search", "color",
        "date", "datetime", "time", "hidden", "checkbox",
    )
)  # fmt: skip
SELECT_TEMPLATE = f"{WIDGETS}select.html"
DJANGO_EMPTY_LABEL = "---------"


def render_attrs(attrs: dict) -> str:
    """``attrs.html``: ``True`` writes the bare name, ``False`` leaves the attribute out."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def render_input(widget: dict) -> str:
    value = widget["value"]
    value_attr = "" if value is None else f' value="{escape(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{value_attr}{render_attrs(widget["attrs"])}>'
    )


def _option_label(label, *, required: bool) -> str:
    if label == DJANGO_EMPTY_LABEL:
        return conditional_escape(gettext("Choose…") if required else gettext("(none)"))
    return conditional_escape(label)


def render_select(widget: dict) -> str:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{render_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        parts.extend(
            f'\n  <option value="{escape(option["value"])}"{render_attrs(option["attrs"])}>'
            f"{_option_label(option['label'], required=widget['required'])}</option>"
            for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class WidgetRenderer(TemplatesSetting):
    """The project's form renderer (``FORM_RENDERER``): inputs and selects in Python, every
    other template (forms, fields, radio lists, textareas) through the template engine."""

    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            return render_input(context["widget"])
        if template_name == SELECT_TEMPLATE:
            return render_select(context["widget"])
        return super().render(template_name, context, request=request)
