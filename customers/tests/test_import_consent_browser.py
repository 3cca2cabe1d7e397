"""In Chromium, in Chinese, at 1440 px and at 390×844: a manager uploads a CSV with an SMS
consent column as a dry run, records the file's consent basis on the columns step, reads
the per-channel warning of who cannot be reached, and imports the file for real. The
database then holds the consents granted on the basis (with its date and source) and the
audit entries naming the basis; nothing is wider than the screen.

Set ``CARECRM_SCREENSHOTS=1`` to also write docs/screenshots/import-consent-*.png."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.conf import settings

from carecrm.accounts.tests.factories import TEST_PASSWORD
from carecrm.core.models import AuditAction, AuditEntry
from carecrm.core.testing import PHONE, fits_the_screen
from customers.models import ChannelConsent, ImportJob
from customers.tests.import_files import csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "docs" / "screenshots"

CSV = csv_bytes(
    [
        ["姓名", "手机号", "城市", "同意短信"],
        ["王伟", "13800000001", "上海", ""],  # SMS granted on the basis
        ["李娜", "13800000002", "北京", "拒绝"],  # refused: the basis does not override it
        ["张敏", "13800000003", "深圳", "同意"],
    ]
)


def screenshot(page, name: str) -> None:
    if os.environ.get("CARECRM_SCREENSHOTS"):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=True)


def signed_in_chinese(browser, live_server, user, path: str, device: dict):
    context = browser.new_context(locale="zh-CN", **device)
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server.url + "/accounts/login/?next=" + path)
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    return page, problems


@pytest.mark.parametrize(
    ("device", "name"),
    [pytest.param(DESKTOP, "desktop", id="desktop"), pytest.param(PHONE, "phone", id="phone")],
)
def test_a_manager_imports_with_a_consent_basis(
    live_server, browser, eager_celery, manager_a, device, name
):
    page, problems = signed_in_chinese(
        browser, live_server, manager_a, "/customers/imports/new/", device
    )
    page.wait_for_selector("#import-upload-form")
    page.set_input_files(
        "#id_file", files=[{"name": "会员.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    page.check("#id_dry_run")
    page.click("#import-upload-form button[type=submit]")

    # the columns step: the consent column is recognised; record the file's basis
    page.wait_for_selector("#consent-basis")
    assert page.input_value("#id_column_3") == "consent_sms"
    page.fill("#id_consent_basis", "注册时同意")
    page.fill("#id_consent_basis_date", "2026-03-01")
    page.fill("#id_consent_basis_source", "门店会员登记表 2026-03")
    page.check('input[name="consent_basis_channels"][value="sms"]')
    page.check('input[name="consent_basis_channels"][value="phone"]')
    assert fits_the_screen(page)
    page.click("#start-import")

    # the dry run: per channel, who could not be reached
    page.wait_for_selector("#import-reach")
    sms = page.locator('#import-reach li[data-channel="sms"]')
    assert sms.get_attribute("data-unreachable") == "1"
    assert sms.get_attribute("data-refused") == "1"
    assert page.locator('#import-reach li[data-channel="phone"]').count() == 0  # all covered
    email = page.locator('#import-reach li[data-channel="email"]')
    assert email.get_attribute("data-not-asked") == "3"
    assert page.is_visible("#import-reach-hint")
    assert "注册时同意" in page.inner_text("#import-consent-basis")
    assert not ChannelConsent.objects.exists()  # a dry run writes nothing
    assert fits_the_screen(page)
    screenshot(page, f"import-consent-{name}.png")

    page.click("#import-for-real")
    page.wait_for_selector('#import-status[data-status="done"]')
    assert page.inner_text('[data-count="created"]').strip() == "3"
    assert fits_the_screen(page)
    assert problems == []
    page.context.close()

    real = ImportJob.objects.filter(dry_run=False).get()
    consents = {
        (c.customer.name, c.channel): c for c in ChannelConsent.objects.select_related("customer")
    }
    assert {key: c.granted for key, c in consents.items()} == {
        ("王伟", "sms"): True,
        ("王伟", "phone"): True,
        ("李娜", "sms"): False,
        ("李娜", "phone"): True,
        ("张敏", "sms"): True,
        ("张敏", "phone"): True,
    }
    on_basis = consents[("王伟", "sms")]
    assert (on_basis.basis, on_basis.basis_date, on_basis.basis_source) == (
        "注册时同意",
        dt.date(2026, 3, 1),
        "门店会员登记表 2026-03",
    )
    assert consents[("张敏", "sms")].basis == ""  # the file's own column said so
    audit = AuditEntry.objects.get(action=AuditAction.CONSENT, object_id=str(real.pk))
    assert audit.actor == manager_a
    assert audit.detail["consent_basis"] == "注册时同意"
    assert audit.detail["channels"] == ["sms", "phone"]
    assert AuditEntry.objects.filter(action=AuditAction.CONSENT).count() == 2  # dry run, real
