"""The navigation bar stays one line: areas of one app sit in its menu, a menu holds only
what the user may open, and a menu of one is a plain link."""

import re

import pytest
from django.test import override_settings

from carecrm.core.registry import NavGroup, NavItem, nav_groups, nav_items

pytestmark = pytest.mark.django_db


def _menu(body: str, group: str) -> list[str]:
    block = re.search(rf'data-nav-group="{group}".*?</ul>', body, re.S)
    return re.findall(r'data-nav="([^"]+)"', block.group(0)) if block else []


def test_campaigns_calendar_and_care_tasks_are_one_menu(manager_a_client):
    body = manager_a_client.get("/").content.decode()
    assert _menu(body, "campaigns") == ["campaigns", "campaign_calendar", "care_tasks"]
    assert _menu(body, "customers") == [
        "customers",
        "products",
        "data_quality",
        "loyalty_points",
        "referrals",
    ]
    assert _menu(body, "dashboard") == ["dashboard", "goals", "reports"]
    assert 'data-nav="segments"' in body
    assert 'data-nav-group="segments"' not in body
    assert 'data-nav="users"' not in body  # admins' settings


def test_admins_settings_menu_holds_users_departments_and_the_brand(admin_client_user):
    body = admin_client_user.get("/").content.decode()
    assert _menu(body, "settings") == ["users", "departments", "brand"]


def test_a_menu_whose_user_may_open_one_item_is_a_plain_link(staff_a_client, monkeypatch):
    monkeypatch.setitem(nav_groups, "probe", NavGroup("probe", "Probe", "box"))
    monkeypatch.setattr(
        "carecrm.core.context_processors.nav_items",
        [
            *nav_items,
            NavItem("probe_open", "Open probe", "home", "box", 99, group="probe"),
            NavItem(
                "probe_closed", "Admin probe", "home", "box", 99, "core.change_senderbrand", "probe"
            ),
        ],
    )
    body = staff_a_client.get("/").content.decode()
    assert 'data-nav="probe_open"' in body
    assert 'data-nav="probe_closed"' not in body
    assert 'data-nav-group="probe"' not in body


@override_settings(LANGUAGE_CODE="en")
def test_plain_links_have_no_menu_toggle(manager_a_client):
    body = manager_a_client.get("/").content.decode()
    link = re.search(r'<a class="nav-link[^"]*"[^>]*data-nav="segments"', body).group(0)
    assert "dropdown-toggle" not in link
