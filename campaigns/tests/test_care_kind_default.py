"""The kind of care follows the campaign kind until staff choose one: a birthday campaign
is birthday care and a holiday one festival care (their own suppression and caps), not
offers — on the server whatever the browser sent, and the form says so."""

import pytest

from campaigns.forms import CampaignForm
from campaigns.models import CareCampaign
from delivery.models import CareKind

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _data(department, owner, **extra) -> dict:
    return {
        "name": "关怀",
        "department": department.pk,
        "owner": owner.pk,
        "priority": 2,
        "goal_metric": "repurchase_rate",
        "goal_target": "20",
        "channel_strategy": "preferred",
        "backup_plan": "投诉即停",
        "send_time": "10:00",
        "days_before": "3",
        "trigger_delay_days": "0",
        **extra,
    }


@pytest.mark.parametrize(
    ("kind", "extra", "expected"),
    [
        ("birthday", {}, CareKind.BIRTHDAY),
        ("holiday", {"holiday_source": "festival", "festival": "mid_autumn"}, CareKind.HOLIDAY),
        ("trigger", {"trigger": "first_purchase"}, CareKind.SERVICE),
        ("one_off", {"send_at": "2099-01-01T10:00"}, CareKind.PROMOTION),
    ],
)
def test_a_new_campaign_left_to_follow_gets_its_kinds_care(
    staff_a_client, staff_a, department_a, kind, extra, expected
):
    data = _data(department_a, staff_a, kind=kind, care_kind="", **extra)
    response = staff_a_client.post("/campaigns/new/", data, **EN)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert CareCampaign.objects.get().care_kind == expected


def test_the_new_form_does_not_preselect_offers(staff_a_client):
    page = staff_a_client.get("/campaigns/new/", **EN).content.decode()
    assert '<option value="" selected>Follows the campaign kind</option>' in page
    assert '<option value="promotion" selected' not in page
    # the help text names what the kind gives, as the form does
    assert "Birthday → Birthday greetings" in page
    assert 'data-defaults="birthday:birthday,holiday:holiday,trigger:service' in page


def test_a_chosen_care_kind_is_kept(staff_a_client, staff_a, department_a):
    data = _data(department_a, staff_a, kind="birthday", care_kind="promotion")
    staff_a_client.post("/campaigns/new/", data, **EN)
    assert CareCampaign.objects.get().care_kind == CareKind.PROMOTION


def test_changing_the_kind_of_a_campaign_moves_care_that_followed_the_old_kind(
    staff_a, department_a
):
    campaign = CareCampaign.objects.create(
        name="活动", kind="one_off", care_kind=CareKind.PROMOTION, department=department_a
    )
    data = _data(department_a, staff_a, kind="birthday", care_kind="promotion")
    form = CampaignForm(data, instance=campaign, user=staff_a)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["care_kind"] == CareKind.BIRTHDAY

    # chosen by hand before (not the old kind's default): kept
    campaign.care_kind = CareKind.EVENT
    data = _data(department_a, staff_a, kind="birthday", care_kind="event")
    form = CampaignForm(data, instance=campaign, user=staff_a)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["care_kind"] == CareKind.EVENT
