"""Message logs and the messages API a keyset page at a time: every message exactly once
in order, filters kept, a bad cursor answered clearly, no COUNT(*) over the outbox."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import DeliveryChannel, MessageStatus, OutboxMessage
from campaigns.tests.factories import CampaignFactory
from carecrm.core.testing import unbounded_counts, walk_keyset_pages
from customers.tests.factories import CustomerFactory
from delivery.tests.outbox import message

pytestmark = pytest.mark.django_db
OUTBOX = OutboxMessage._meta.db_table


@pytest.fixture
def campaign(department_a):
    campaign = CampaignFactory(department=department_a, name="中秋关怀")
    for n, customer in enumerate(CustomerFactory.create_batch(130, department=department_a)):
        status = MessageStatus.DELIVERED if n % 10 else MessageStatus.FAILED
        message(campaign, customer, DeliveryChannel.SMS, status=status)
    return campaign


def _newest_first(**filters) -> list[str]:
    return [
        str(pk)
        for pk in OutboxMessage.objects.filter(**filters)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    ]


def test_the_campaign_message_log_pages_through_every_message_once(staff_a_client, campaign):
    url = f"/campaigns/{campaign.pk}/messages/?status=delivered"

    pages = walk_keyset_pages(staff_a_client, url, "data-message", keep={"status": "delivered"})

    assert [len(page) for page in pages] == [50, 50, 17]
    assert [pk for page in pages for pk in page] == _newest_first(status="delivered")


def test_an_edited_cursor_shows_the_first_page_with_a_message(staff_a_client, campaign):
    response = staff_a_client.get(f"/campaigns/{campaign.pk}/messages/?after=bm9wZQ")

    body = response.content.decode()
    assert response.status_code == 200
    assert "data-cursor-invalid" in body
    assert body.count("data-message=") == 50


def test_a_deep_page_of_the_log_counts_nothing_in_full(staff_a_client, campaign, settings):
    settings.LIST_EXACT_COUNT_BELOW = 20
    settings.LIST_COUNT_CAP = 20
    first = staff_a_client.get(f"/campaigns/{campaign.pk}/messages/")
    deeper = first.content.decode().split('rel="next" href="')[1].split('"')[0]

    with CaptureQueriesContext(connection) as queries:
        response = staff_a_client.get(deeper.replace("&amp;", "&"))

    assert response.status_code == 200
    assert unbounded_counts(queries.captured_queries, OUTBOX) == []
    assert "130 messages" not in response.content.decode()


# --- the API ----------------------------------------------------------------------------


def test_the_messages_api_follows_cursors_through_every_message(api_client_for, staff_a, campaign):
    client = api_client_for(staff_a)
    seen, url = [], "/api/v1/messages/?status=delivered"
    while url:
        data = client.get(url).json()
        seen += [row["id"] for row in data["results"]]
        assert data["count"] == 117 and data["count_exact"]
        url = data["next"]
        assert url is None or "status=delivered" in url

    assert [str(pk) for pk in seen] == _newest_first(status="delivered")


def test_the_messages_api_goes_back_with_previous(api_client_for, staff_a, campaign):
    client = api_client_for(staff_a)
    first = client.get("/api/v1/messages/").json()
    second = client.get(first["next"]).json()

    back = client.get(second["previous"]).json()

    assert back["results"] == first["results"]
    assert back["previous"] is None


def test_the_messages_api_sorts_by_a_documented_field(api_client_for, staff_a, campaign):
    data = api_client_for(staff_a).get("/api/v1/messages/?ordering=id").json()

    ids = [row["id"] for row in data["results"]]
    assert ids == sorted(ids)
    assert "ordering=id" in data["next"]


def test_old_clients_asking_for_a_page_number_still_get_it(api_client_for, staff_a, campaign):
    data = api_client_for(staff_a).get("/api/v1/messages/?page=3").json()

    assert [str(row["id"]) for row in data["results"]] == _newest_first()[100:]
    assert data["next"] is None and "page=2" in data["previous"]


def test_an_edited_api_cursor_is_a_clear_404(api_client_for, staff_a, campaign):
    response = api_client_for(staff_a).get("/api/v1/messages/?cursor=bm9wZQ")

    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid cursor"


def test_an_api_page_counts_nothing_in_full(api_client_for, staff_a, campaign, settings):
    settings.LIST_EXACT_COUNT_BELOW = 20
    settings.LIST_COUNT_CAP = 20
    client = api_client_for(staff_a)

    with CaptureQueriesContext(connection) as queries:
        data = client.get("/api/v1/messages/").json()

    assert unbounded_counts(queries.captured_queries, OUTBOX) == []
    assert not data["count_exact"]
