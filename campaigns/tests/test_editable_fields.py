"""Which campaign fields a user may set is said once, in ``EDITABLE_FIELDS`` and
``EDITABLE_RELATIONS`` (campaigns.services.campaigns): the campaign form, the API's
writable fields and the services' accepted keys all follow it."""

import importlib.util

import pytest
from django.urls import reverse

from campaigns.api import CampaignSerializer
from campaigns.forms import CampaignForm
from campaigns.services import campaigns as campaign_services
from campaigns.services.campaigns import EDITABLE_FIELDS, EDITABLE_RELATIONS, campaign_update
from campaigns.tests.factories import CampaignFactory

EDITABLE = set(EDITABLE_FIELDS) | set(EDITABLE_RELATIONS)
# A real CareCampaign field nobody may set today, to add to the list in a test.
NOT_EDITABLE = "submitted_by"


def _writable(serializer_class) -> set[str]:
    return {name for name, field in serializer_class().fields.items() if not field.read_only}


def _fresh(module_name: str):
    """A new copy of a module, built from the constants as they are now (the imported one
    is left in place)."""
    spec = importlib.util.find_spec(module_name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_form_serializer_and_service_agree():
    assert set(CampaignForm.base_fields) == EDITABLE
    assert _writable(CampaignSerializer) == EDITABLE
    assert NOT_EDITABLE not in EDITABLE


def test_the_campaign_page_renders_every_editable_field(manager_a_client):
    body = manager_a_client.get(reverse("campaigns:create")).content.decode()
    missing = [name for name in sorted(EDITABLE) if f'name="{name}"' not in body]
    assert not missing


@pytest.mark.django_db
def test_the_service_refuses_a_field_off_the_list(manager_a):
    campaign = CampaignFactory(department=manager_a.department)
    with pytest.raises(ValueError, match=NOT_EDITABLE):
        campaign_update(campaign=campaign, user=manager_a, fields={NOT_EDITABLE: manager_a})


@pytest.mark.django_db
def test_a_field_added_to_the_list_reaches_form_serializer_and_service(monkeypatch, manager_a):
    monkeypatch.setattr(campaign_services, "EDITABLE_FIELDS", (*EDITABLE_FIELDS, NOT_EDITABLE))

    assert NOT_EDITABLE in _fresh("campaigns.forms").CampaignForm.base_fields
    assert NOT_EDITABLE in _writable(_fresh("campaigns.api").CampaignSerializer)

    campaign = CampaignFactory(department=manager_a.department)
    campaign_update(campaign=campaign, user=manager_a, fields={NOT_EDITABLE: manager_a})
    campaign.refresh_from_db()
    assert campaign.submitted_by == manager_a
