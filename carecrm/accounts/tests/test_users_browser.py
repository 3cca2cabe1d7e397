"""In Chromium, in Chinese, at 1440 px and on a phone (390 px): an administrator opens the
users page from the settings menu, creates a manager in a department through the form —
a weak password first, which the form refuses with the validators' reason — and the
database holds the user, their group, department and the audit row. Nothing overflows the
phone's width.

Set ``CARECRM_SCREENSHOTS=1`` to also write the screenshots in ``docs/screenshots/``.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from carecrm.accounts.models import User
from carecrm.accounts.tests.factories import TEST_PASSWORD, DepartmentFactory, UserFactory
from carecrm.core.models import AuditEntry
from carecrm.core.testing import PHONE, chromium, fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "docs" / "screenshots"
PASSWORD = "a-long-and-unusual-passphrase-7"


def screenshot(page, name: str) -> None:
    if os.environ.get("CARECRM_SCREENSHOTS"):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=True)


@pytest.fixture
def people(db):
    east = DepartmentFactory(name="华东销售部", code="east-sales", region="华东")
    south = DepartmentFactory(name="华南销售部", code="south-sales", region="华南")
    admin = UserFactory(username="it.admin", display_name="周敏", role="admin", department=None)
    for n, (department, role) in enumerate([(east, "staff"), (east, "manager"), (south, "staff")]):
        UserFactory(username=f"colleague{n}", role=role, department=department)
    UserFactory(username="left.company", display_name="离职员工", department=south, is_active=False)
    return {"admin": admin, "south": south}


@pytest.fixture
def browser(people, monkeypatch):
    with chromium(monkeypatch) as browser:
        yield browser
    connections.close_all()


def _log_in(browser, base_url: str, device: dict):
    context = browser.new_context(locale="zh-CN", **device)
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base_url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(base_url + "/")
    page.fill("#id_username", "it.admin")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/")
    return page, problems


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_admin_creates_a_manager_in_a_department(live_server, browser, people, device):
    page, problems = _log_in(browser, live_server.url, device)
    if device is PHONE:
        page.click(".navbar-toggler")
    page.click('[data-nav-group="settings"]')
    page.click('[data-nav="users"]')
    page.wait_for_selector("#user-count")
    assert fits_the_screen(page)
    rows = "#user-table" if device is DESKTOP else "#user-cards"
    assert page.locator(f'{rows} [data-user="left.company"]').is_visible()
    assert page.locator(f'{rows} [data-user="left.company"] .text-bg-secondary').count() == 1
    assert page.inner_text(f'{rows} [data-user="colleague1"] [data-role]') == "经理"
    screenshot(page, "users-desktop.png" if device is DESKTOP else "users-phone.png")

    page.click("#new-user")
    page.wait_for_selector("#user-form")
    page.fill("#id_username", "chen.jing")
    page.fill("#id_display_name", "陈静")
    page.fill("#id_email", "chen.jing@example.cn")
    page.fill("#id_phone", "13912345678")
    page.select_option("#id_department", label="华南销售部")
    page.get_by_role("radio", name="经理").check()
    assert page.locator("#initial-password").is_hidden()  # an invitation by default
    page.check("input[name=access][value=password]")
    assert page.locator("#initial-password").is_visible()
    page.fill("#id_password", "short-pw")
    page.fill("#id_password_confirm", "short-pw")
    assert fits_the_screen(page)
    if device is DESKTOP:
        screenshot(page, "users-new-desktop.png")
    page.click("#user-form button[type=submit]")

    page.wait_for_selector("#id_password.is-invalid")
    assert "12" in page.inner_text("#user-form")  # the length validator's reason
    assert page.input_value("#id_display_name") == "陈静"
    assert page.get_by_role("radio", name="经理").is_checked()
    assert not User.objects.filter(username="chen.jing").exists()

    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_confirm", PASSWORD)
    page.click("#user-form button[type=submit]")
    page.wait_for_selector("#user-edit-form")
    assert page.inner_text("h1").strip() == "陈静"
    assert fits_the_screen(page)

    user = User.objects.get(username="chen.jing")
    assert list(user.groups.values_list("name", flat=True)) == ["manager"]
    assert user.department == people["south"]
    assert (user.display_name, user.email, user.phone) == (
        "陈静",
        "chen.jing@example.cn",
        "13912345678",
    )
    assert user.check_password(PASSWORD) and not user.is_superuser
    entry = AuditEntry.objects.get(object_type="accounts.user", object_id=str(user.pk))
    assert entry.actor == people["admin"] and entry.detail["event"] == "user_created"
    assert entry.detail["after"]["role"] == "manager"
    assert entry.detail["after"]["department"] == "华南销售部"
    assert page.locator("#audit-lines li").count() == 1

    page.goto(live_server.url + "/settings/departments/")
    assert "3" in page.locator('[data-department="south-sales"]').inner_text()  # with 陈静
    assert fits_the_screen(page)
    assert problems == []
    page.context.close()
