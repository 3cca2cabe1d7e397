"""A person's first minute, in Debian's Chromium driven by Playwright: open CareCRM, log in
with a seeded demo login, and see the home page with role and department.

Set ``CARECRM_SCREENSHOTS=1`` to also write the screenshots in ``docs/screenshots/``.
"""

import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from carecrm.core.testing import chromium

SCREENSHOT_DIR = Path(settings.BASE_DIR) / "docs" / "screenshots"
PASSWORD = "browser-demo-passphrase"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_company(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", customers=30, seed=11, password=PASSWORD, stdout=io.StringIO())


@pytest.fixture
def browser(demo_company, monkeypatch):
    """Chromium, started after the demo data exists (``carecrm.core.testing.chromium``)."""
    with chromium(monkeypatch) as browser:
        yield browser


def screenshot(page, name: str) -> None:
    if os.environ.get("CARECRM_SCREENSHOTS"):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=True)


def open_page(browser, locale: str):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 760})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return page, problems


def log_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/")


def test_manager_logs_in_and_sees_home_with_role_and_department(live_server, browser):
    page, problems = open_page(browser, "zh-CN")
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    # Bootstrap comes from node_modules through the static files, not a CDN.
    assert page.eval_on_selector(".row", "row => getComputedStyle(row).display") == "flex"
    screenshot(page, "login.png")

    log_in(page, live_server.url, "li.na")
    header = page.inner_text("main")
    assert "欢迎，李娜" in header
    assert "经理 · 华东销售部" in header
    assert "我可见的客户" in header
    page.click("#user-menu")
    assert page.inner_text("[data-role]") == "经理"
    page.click("#user-menu")
    screenshot(page, "home.png")
    assert problems == []


def test_staff_sees_their_department_in_english(live_server, browser):
    page, problems = open_page(browser, "en-US")
    log_in(page, live_server.url, "huang.hao")
    main = page.inner_text("main")
    assert "Welcome, 黄浩" in main
    assert "Staff · 华南销售部" in main
    screenshot(page, "home-en.png")
    page.click("#user-menu")
    page.click("text=Log out")
    page.wait_for_url("**/accounts/login/")
    assert problems == []


@pytest.fixture
def sent_campaign_id(demo_company) -> int:
    """Read before the browser starts (see ``browser``): a campaign with sent messages."""
    from campaigns.models import OutboxMessage

    campaign_id = (
        OutboxMessage.objects.filter(status__in=["sent", "delivered"], source__kind="campaign")
        .values_list("source__object_id", flat=True)
        .first()
    )
    assert campaign_id, "the demo company has sent messages"
    return campaign_id


def test_manager_sees_a_campaigns_delivery_figures_and_charts(
    sent_campaign_id, live_server, browser
):
    """The delivery card loads after the page (htmx) and both charts are drawn with the
    demo's sent messages; no console error (CSP blocks inline scripts)."""
    campaign_id = sent_campaign_id
    page, problems = open_page(browser, "zh-CN")
    log_in(page, live_server.url, "li.na")
    page.goto(f"{live_server.url}/campaigns/{campaign_id}/")
    page.wait_for_selector("#delivery-funnel")
    drawn = page.wait_for_function(
        """() => ['delivery-funnel', 'delivery-series'].every(id => {
               const chart = window.Chart && window.Chart.getChart(id);
               return chart && chart.data.datasets.some(d => d.data.some(v => v > 0));
           })"""
    )
    assert drawn
    assert "打开率" in page.inner_text("main")
    page.click("text=消息记录")
    page.wait_for_url(f"**/campaigns/{campaign_id}/messages/")
    assert page.locator("table tbody tr").count() > 0
    assert problems == []
