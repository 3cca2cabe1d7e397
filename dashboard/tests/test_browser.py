"""In Chromium at 1440 px (English) and 390 px (Chinese): a manager opens the dashboard,
every chart is drawn, the console stays clean and nothing is wider than the screen; the
period picker shows the inputs of the kind chosen and moves the period. An admin sets
the programme targets: a wrong value is refused with its reason, a right one is saved
and drawn on the dashboard."""

import re

import pytest
from django.core.cache import cache

from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.testing import PHONE, fits_the_screen, staff_page
from dashboard.tests.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
CHARTS = 6  # sales, customers, targets and the three breakdowns


@pytest.fixture
def world():
    cache.clear()
    yield build_world()
    cache.clear()


def signed_in(browser, live_server, user, path, *, device, language):
    context = browser.new_context(locale="en-US" if language == "en" else "zh-CN", **device)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server.url + "/accounts/login/?next=" + path)
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    return page, problems


def all_charts_drawn(page) -> None:
    page.wait_for_function(
        f"() => [...document.querySelectorAll('canvas')].filter(c => c.dataset.drawn === '1')"
        f".length === {CHARTS}"
    )
    assert page.evaluate(
        "[...document.querySelectorAll('canvas')].every(c => window.Chart.getChart(c))"
    )


@pytest.mark.parametrize(
    ("device", "language"),
    [pytest.param(DESKTOP, "en", id="desktop-en"), pytest.param(PHONE, "zh-hans", id="phone-zh")],
)
def test_a_manager_reads_the_dashboard(world, live_server, browser, device, language):
    page, problems = signed_in(
        browser, live_server, world.manager, "/", device=device, language=language
    )
    page.wait_for_selector("#kpis")
    all_charts_drawn(page)
    assert page.locator("[data-kpi]").count() == 13
    # my work today: the counts follow the page
    page.wait_for_function("() => !document.querySelector('#home-cards [aria-busy]')")
    assert page.locator("#home-cards .card").count() > 5
    assert fits_the_screen(page)

    # the picker shows the dates of a custom period only when it is chosen
    assert not page.is_visible("#period-from")
    page.select_option("#period-kind", "custom")
    assert page.is_visible("#period-from") and not page.is_visible("#period-on")
    page.fill("#period-from", "2026-11-01")
    page.fill("#period-to", "2026-11-30")
    page.click("#period-show")
    page.wait_for_url(re.compile(r".*period=custom&from=2026-11-01&to=2026-11-30"))
    all_charts_drawn(page)
    # November's spend of East: 2000 − 100 + 60 (world.py)
    assert page.inner_text('[data-kpi="spend"] [data-value]') == "¥1,960.00"
    page.click("#period-previous")
    page.wait_for_url(re.compile(r".*from=2026-10-02&to=2026-10-31"))
    assert page.inner_text('[data-kpi="spend"] [data-value]') == "¥850.00"  # 500 + 200 + 150
    assert fits_the_screen(page)
    assert problems == []


def test_bad_dates_say_so_in_the_browser(world, live_server, browser):
    page, problems = staff_page(
        browser, live_server, world.staff, "/?period=custom&from=2026-02-30&to=2026-03-01"
    )
    page.goto(live_server.url + "/?period=custom&from=2026-02-30&to=2026-03-01")
    assert "“2026-02-30” is not a date (YYYY-MM-DD)." in page.inner_text("#period-problems")
    all_charts_drawn(page)
    assert fits_the_screen(page)
    assert problems == []


@pytest.mark.parametrize(
    "device", [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
)
def test_an_admin_sets_the_targets(world, live_server, browser, device):
    page, problems = staff_page(browser, live_server, world.admin, "/", device=device)
    page.wait_for_selector("#kpis")
    page.click("#targets-link")
    page.wait_for_selector("#targets-form")
    assert fits_the_screen(page)

    page.fill("#id_satisfaction_percent", "150")
    page.fill("#id_vip_growth_percent", "5000")
    page.click("#targets-save")
    page.wait_for_selector(".invalid-feedback")
    errors = page.inner_text("#targets-form")
    assert "Ensure this value is less than or equal to 100." in errors
    assert "A growth target above 1000 percent a year is not realistic." in errors

    page.fill("#id_satisfaction_percent", "92.5")
    page.fill("#id_vip_growth_percent", "6")
    page.click("#targets-save")
    page.wait_for_selector(".alert-success")
    assert "The programme targets are saved." in page.inner_text("main")
    assert "Last changed" in page.inner_text("#targets-changed")

    page.goto(live_server.url + "/")
    all_charts_drawn(page)
    satisfaction = page.inner_text('[data-kpi="satisfaction"] [data-target]')
    assert "Target ≥ 92.5 %" in satisfaction
    assert "Target ≥ 6.0 %" in page.inner_text('[data-kpi="vip_growth"] [data-target]')
    assert problems == []
