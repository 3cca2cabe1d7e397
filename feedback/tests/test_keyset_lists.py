"""Feedback items a keyset page at a time, counted with the shared helper: every item
exactly once, newest first."""

import pytest

from carecrm.core.testing import walk_keyset_pages
from feedback.models import FeedbackItem
from feedback.tests.factories import FeedbackItemFactory

pytestmark = pytest.mark.django_db


def test_feedback_items_page_newest_first(manager_a_client, department_a):
    FeedbackItemFactory.create_batch(110, department=department_a)

    pages = walk_keyset_pages(manager_a_client, "/feedback/items/", "data-item")

    expected = FeedbackItem.objects.order_by("-created_at", "-id").values_list("pk", flat=True)
    assert [pk for page in pages for pk in page] == [str(pk) for pk in expected]
