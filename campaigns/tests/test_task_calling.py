"""A phone care task offers "show number" where staff are asked to call: the list and the
task page show the number masked with the button; the reveal is the customers app's."""

import datetime as dt

import pytest
from django.urls import reverse

from campaigns.models import CareTask
from campaigns.tests.factories import CampaignFactory
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_phone_tasks_offer_show_number_on_the_list_and_the_task(
    staff_a_client, staff_a, department_a
):
    customer = CustomerFactory(department=department_a, mobile="+8613812345678")
    task = CareTask.objects.create(
        campaign=CampaignFactory(department=department_a),
        customer=customer,
        channel="phone",
        occurrence=dt.date(2027, 3, 10),
        due_on=dt.date(2027, 3, 10),
        assigned_to=staff_a,
    )
    reveal = reverse("customers:phone-reveal", args=[customer.pk])
    for url in ("/campaigns/tasks/", f"/campaigns/tasks/{task.pk}/"):
        page = staff_a_client.get(url, **EN).content.decode()
        assert "138****5678" in page
        assert f'hx-post="{reveal}"' in page, url
        assert "13812345678" not in page
    # The task page records the call itself ("Complete and log"): the revealed number
    # does not send staff to a second form.
    page = staff_a_client.post(
        reveal, {"reason": "care_call", "log_link": "0"}, HTTP_HX_REQUEST="1"
    ).content.decode()
    assert "tel:+8613812345678" in page
    assert "data-log-call" not in page
