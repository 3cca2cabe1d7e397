"""A service's refusal looks the same everywhere: on a form (``add_service_errors``) and as
an ``/api/v1/`` 400 or 403 (the DRF ``EXCEPTION_HANDLER``)."""

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from carecrm.core.api import api_exception_handler
from carecrm.core.forms import add_service_errors


class NameForm(forms.Form):
    name = forms.CharField()


def test_field_errors_land_on_their_field_the_rest_above_the_form():
    form = NameForm(data={"name": "x"})
    assert form.is_valid()
    add_service_errors(
        form,
        ValidationError({"name": ["taken"], "__all__": ["locked"], "hidden": ["not shown"]}),
    )
    assert form.errors["name"] == ["taken"]
    assert form.non_field_errors() == ["locked", "not shown"]


def test_a_plain_message_goes_above_the_form():
    form = NameForm(data={"name": "x"})
    assert form.is_valid()
    add_service_errors(form, ValidationError(["one", "two"]))
    assert form.non_field_errors() == ["one", "two"]


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_the_api_answers_a_service_validation_error_with_a_400():
    response = api_exception_handler(ValidationError({"name": ["taken"], "__all__": ["no"]}), {})
    assert response.status_code == 400
    assert response.data == {"name": ["taken"], "non_field_errors": ["no"]}

    response = api_exception_handler(ValidationError("Nothing changed."), {})
    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["Nothing changed."]}


@pytest.mark.django_db
def test_the_api_answers_a_service_permission_error_with_a_403():
    response = api_exception_handler(PermissionDenied("Only managers approve."), {})
    assert response.status_code == 403
    assert response.data == {"detail": "Only managers approve."}


def test_the_handler_is_the_one_drf_uses():
    from rest_framework.settings import api_settings

    assert api_settings.EXCEPTION_HANDLER is api_exception_handler
