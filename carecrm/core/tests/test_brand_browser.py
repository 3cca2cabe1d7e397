"""An admin sets the sender brand in Chromium: the preview follows the typing and the
chosen logo, a mistake keeps everything typed, and saving stores what the customer pages
then show."""

import pytest
from django.db import connections

from carecrm.accounts.tests.factories import TEST_PASSWORD, UserFactory
from carecrm.core.models import SenderBrand
from carecrm.core.testing import PHONE, chromium
from carecrm.core.tests.factories import picture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin(db):
    return UserFactory(username="brand.admin", role="admin", department=None)


@pytest.fixture
def browser(admin, monkeypatch):
    with chromium(monkeypatch) as browser:
        yield browser
    connections.close_all()


def _log_in(browser, base_url: str, *, viewport: dict):
    context = browser.new_context(locale="zh-CN", **viewport)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(base_url + "/settings/brand/")
    page.fill("#id_username", "brand.admin")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#brand-form")
    return page, problems


@pytest.mark.parametrize(
    "viewport", [{"viewport": {"width": 1440, "height": 900}}, PHONE], ids=["desktop", "phone"]
)
def test_an_admin_sets_the_brand_and_a_mistake_keeps_what_was_typed(
    live_server, browser, tmp_path, viewport
):
    logo = tmp_path / "logo.png"
    logo.write_bytes(picture("PNG", (96, 96)))
    page, problems = _log_in(browser, live_server.url, viewport=viewport)

    page.fill("#id_company_name", "悦享生活")
    page.fill("#id_sms_signature", "【悦享生活】")
    page.fill("#id_contact_line", "客服热线 400-820-8820")
    page.set_input_files("#id_logo", str(logo))
    assert page.inner_text("[data-preview-company]") == "悦享生活"
    page.wait_for_function(
        "() => document.querySelector('[data-preview-logo]').naturalWidth === 96"
    )
    page.click("#brand-form button[type=submit]")

    page.wait_for_selector("#id_sms_signature.is-invalid")
    assert "【】" in page.inner_text("#brand-form")
    assert page.input_value("#id_contact_line") == "客服热线 400-820-8820"
    assert page.locator("#kept-logo").count() == 1
    assert not SenderBrand.objects.filter(company_name="悦享生活").exists()

    page.fill("#id_sms_signature", "悦享生活")
    page.click("#brand-form button[type=submit]")
    page.wait_for_selector("#brand-changed")

    brand = SenderBrand.objects.get()
    assert (brand.company_name, brand.sms_signature, brand.contact_line) == (
        "悦享生活",
        "悦享生活",
        "客服热线 400-820-8820",
    )
    assert bytes(brand.logo) == logo.read_bytes()
    page.wait_for_function("() => document.querySelector('#current-logo img').naturalWidth === 96")
    assert problems == []
