"""Searching the customer list in Chromium as staff types: results follow the search box
(htmx), and past the search limit the results area says to wait — it does not freeze or
show stale results."""

import pytest
from django.db import connections

from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.testing import chromium
from customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_search_as_they_type_and_are_told_to_wait_past_the_limit(
    live_server, settings, staff_a, department_a, monkeypatch
):
    settings.SEARCH_RATE_LIMIT = "2/minute"
    CustomerFactory(department=department_a, name="欧阳娜娜", mobile="+8613912345678")
    CustomerFactory(department=department_a, name="司马光", mobile="+8613811112222")
    with chromium(monkeypatch) as browser:
        page = browser.new_page(locale="zh-CN", viewport={"width": 1440, "height": 900})
        page.goto(live_server.url + "/customers/")
        page.fill("#id_username", staff_a.username)
        page.fill("#id_password", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#id_q")

        for text, expected in (("欧阳", "欧阳娜娜"), ("5678", "欧阳娜娜")):
            with page.expect_response(lambda r: "/customers/" in r.url and "q=" in r.url):
                page.fill("#id_q", text)
            page.wait_for_function("name => document.body.innerText.includes(name)", arg=expected)
            assert "司马光" not in page.inner_text("main")
        with page.expect_response(lambda r: r.status == 429):
            page.fill("#id_q", "司马")
        page.wait_for_selector("#search-throttled")
        assert "司马光" not in page.inner_text("main")
    connections.close_all()
