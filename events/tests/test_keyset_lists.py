"""An event's guests a keyset page at a time, counted with the shared helper: every
guest exactly once in the order they were added, filters kept."""

import pytest

from carecrm.core.testing import walk_keyset_pages
from events.models import EventStatus, Guest
from events.tests.factories import EventFactory, GuestFactory

pytestmark = pytest.mark.django_db


def test_guests_page_in_the_order_they_were_added(manager_a_client, department_a):
    event = EventFactory(department=department_a, status=EventStatus.OPEN, capacity=500)
    GuestFactory.create_batch(110, event=event)

    pages = walk_keyset_pages(
        manager_a_client, f"/events/{event.pk}/guests/?q=", "data-guest", keep={"q": ""}
    )

    expected = Guest.objects.order_by("created_at", "id").values_list("pk", flat=True)
    assert [pk for page in pages for pk in page] == [str(pk) for pk in expected]
