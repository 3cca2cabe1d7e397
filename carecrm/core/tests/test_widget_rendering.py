"""Inputs and selects written out in Python render exactly as Django's templates do."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override
from hypothesis import given, settings
from hypothesis import strategies as st

from carecrm.core.widget_rendering import DJANGO_EMPTY_LABEL, WidgetRenderer

DJANGO = DjangoTemplates()  # Django's own widget templates only
FAST = WidgetRenderer()

text = st.text(alphabet=st.sampled_from(list("ab王<>&\"' =1")), max_size=8)
attr_values = st.one_of(text, st.booleans(), st.integers(-5, 5), st.none())
attrs = st.dictionaries(
    st.sampled_from(["class", "id", "data-x", "placeholder", "required"]), attr_values, max_size=4
)

INPUTS = [
    forms.TextInput, forms.NumberInput, forms.EmailInput, forms.URLInput, forms.PasswordInput,
    forms.HiddenInput, forms.DateInput, forms.DateTimeInput, forms.TimeInput, forms.CheckboxInput,
]  # fmt: skip


def _both(widget: forms.Widget, name: str, value) -> tuple[str, str]:
    return widget.render(name, value, renderer=DJANGO), widget.render(name, value, renderer=FAST)


@pytest.mark.parametrize("widget_class", INPUTS)
@settings(max_examples=40, deadline=None)
@given(name=text, value=st.one_of(text, st.none(), st.integers(0, 9)), extra=attrs)
def test_inputs_render_as_django_templates_do(widget_class, name, value, extra):
    django_html, fast_html = _both(widget_class(attrs=extra), name, value)
    assert fast_html == django_html


choices = st.lists(st.tuples(text, text), max_size=4)


@settings(max_examples=80, deadline=None)
@given(
    name=text,
    flat=choices,
    groups=st.lists(st.tuples(text, choices), max_size=2),
    value=st.one_of(text, st.none()),
    extra=attrs,
    multiple=st.booleans(),
)
def test_selects_render_as_django_templates_do(name, flat, groups, value, extra, multiple):
    widget_class = forms.SelectMultiple if multiple else forms.Select
    widget = widget_class(attrs=extra, choices=[*flat, *groups])
    django_html, fast_html = _both(widget, name, [value] if multiple else value)
    # Django includes a template per option, whose final newline leaves a blank line.
    assert fast_html == django_html.replace("</option>\n", "</option>")


def test_a_selects_empty_choice_reads_choose_or_none_in_the_users_language():
    widget = forms.Select(choices=[("", DJANGO_EMPTY_LABEL), ("a", mark_safe("<b>A</b>"))])
    widget.is_required = True
    with override("zh-hans"):
        required = widget.render("level", "", renderer=FAST)
    widget.is_required = False
    with override("en"):
        optional = widget.render("level", "a", renderer=FAST)
    assert '<option value="" selected>请选择…</option>' in required
    assert '<option value="">(none)</option>' in optional
    assert '<option value="a" selected><b>A</b></option>' in optional  # safe labels stay HTML


def test_lazy_labels_are_translated_when_the_widget_renders():
    widget = forms.Select(choices=[("en", gettext_lazy("Customers"))])
    with override("zh-hans"):
        assert ">客户</option>" in widget.render("x", None, renderer=FAST)


def test_other_widgets_still_render_through_templates():
    html = forms.Textarea(attrs={"rows": 2}).render("note", "a<b", renderer=FAST)
    assert html == forms.Textarea(attrs={"rows": 2}).render("note", "a<b", renderer=DJANGO)
    assert "a&lt;b</textarea>" in html
