"""The loyalty pages: the customer page's points and referral panels and timeline, the
ledger, redemption, referrals (list, filters, per manager), setting a referrer and the
rules page — each in the user's scope."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from carecrm.core.models import AuditEntry
from customers.models import CustomerMerge
from customers.services.merge import customer_merge
from customers.tests.factories import CustomerFactory
from loyalty.models import EntryKind, LoyaltySettings, PointsEntry
from loyalty.selectors.points import account_balance
from loyalty.services.accrual import orders_accrue
from loyalty.services.bonuses import referral_bonuses_grant
from loyalty.tests.factories import PurchaseFactory, assert_balanced, post

pytestmark = pytest.mark.django_db


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


class TestCustomerPage:
    def test_the_points_panel_shows_balance_entries_and_actions(self, staff_a_client, silver):
        PurchaseFactory(customer=silver, order_no="SO-PANEL-1", amount=Decimal("1000"))
        orders_accrue()
        body = page(staff_a_client, reverse("customers:detail", args=[silver.pk]))
        assert 'id="panel-points"' in body
        assert "Purchase SO-PANEL-1" in body and "+120" in body
        assert reverse("loyalty:ledger", args=[silver.pk]) in body
        assert reverse("loyalty:redeem", args=[silver.pk]) in body
        assert 'data-timeline-kind="points"' in body or "+120 points" in body

    def test_below_the_redeeming_level_the_panel_says_so(self, staff_a_client, normal):
        post(normal, 50)
        body = page(staff_a_client, reverse("customers:detail", args=[normal.pk]))
        assert "Points can be redeemed from the Silver (VIP) level up." in body
        assert reverse("loyalty:redeem", args=[normal.pk]) not in body

    def test_the_referral_panel_names_the_referrer_and_counts_referrals(
        self, staff_a_client, department_a, department_b, rules
    ):
        referrer = CustomerFactory(department=department_a, name="推荐人王")
        customer = CustomerFactory(department=department_a, referred_by=referrer)
        CustomerFactory(department=department_a, referred_by=customer, vip_level="gold")
        CustomerFactory(department=department_b, referred_by=customer, vip_level="normal")
        referral_bonuses_grant()
        body = page(staff_a_client, reverse("customers:detail", args=[customer.pk]))
        assert 'id="panel-referrals"' in body and "推荐人王" in body
        assert reverse("loyalty:referrer", args=[customer.pk]) in body
        panel = body[body.index('id="panel-referrals"') :]
        assert (
            '<span>Customers referred</span><span class="fw-semibold panel-value">2</span>' in panel
        )
        assert '<span>Of whom VIPs</span><span class="fw-semibold panel-value">1</span>' in panel
        assert "100" in panel

    def test_a_referrer_of_another_department_is_not_named(
        self, staff_a_client, department_a, department_b
    ):
        foreign = CustomerFactory(department=department_b, name="外部门推荐人")
        customer = CustomerFactory(department=department_a, referred_by=foreign)
        body = page(staff_a_client, reverse("customers:detail", args=[customer.pk]))
        assert "外部门推荐人" not in body
        assert "a customer of another department" in body


class TestLedgerAndRedemption:
    def test_the_ledger_lists_every_entry_and_filters_by_kind(
        self, staff_a_client, silver, staff_a
    ):
        PurchaseFactory(customer=silver, order_no="SO-L-1", amount=Decimal("5"))  # 0 points
        PurchaseFactory(customer=silver, order_no="SO-L-2", amount=Decimal("500"))
        orders_accrue()
        url = reverse("loyalty:ledger", args=[silver.pk])
        body = page(staff_a_client, url)
        assert "SO-L-1" in body and "SO-L-2" in body and "+60" in body
        assert "data-balance>60<" in body
        body = page(staff_a_client, url, kind="redemption")
        assert "SO-L-2" not in body

    def test_another_departments_ledger_is_not_found(self, staff_b, silver):
        from django.test import Client

        client = Client()
        client.force_login(staff_b)
        assert client.get(reverse("loyalty:ledger", args=[silver.pk])).status_code == 404
        assert client.get(reverse("loyalty:redeem", args=[silver.pk])).status_code == 404

    def test_redeeming_on_the_form_and_its_errors(self, staff_a_client, silver):
        post(silver, 300)
        url = reverse("loyalty:redeem", args=[silver.pk])
        response = staff_a_client.post(url, {"points": "400", "reward": "礼盒"})
        assert response.status_code == 200
        assert "The customer holds 300 points; 400 cannot be redeemed." in response.content.decode()
        response = staff_a_client.post(url, {"points": "", "reward": ""})
        assert "This field is required." in response.content.decode()
        response = staff_a_client.post(url, {"points": "250", "reward": "礼盒", "note": "门店"})
        assert response.status_code == 302
        assert account_balance(silver) == 50
        assert_balanced()

    def test_a_balance_below_zero_is_shown_as_such(self, staff_a_client, silver):
        post(
            silver,
            -40,
            kind=EntryKind.REVERSAL,
            order=PurchaseFactory(customer=silver, amount=Decimal("-10")),
        )
        body = page(staff_a_client, reverse("loyalty:ledger", args=[silver.pk]))
        assert "The balance is below zero" in body and "-40" in body


class TestReferralPages:
    def test_the_list_filters_and_keeps_to_the_users_scope(
        self, staff_a_client, department_a, department_b, rules
    ):
        referrer = CustomerFactory(department=department_a, name="老会员甲")
        vip = CustomerFactory(
            department=department_a,
            name="新会员金",
            referred_by=referrer,
            vip_level="gold",
            referred_at=timezone.now(),
        )
        CustomerFactory(
            department=department_a,
            name="新会员普",
            referred_by=referrer,
            referred_at=timezone.now() - dt.timedelta(days=40),
        )
        CustomerFactory(department=department_b, name="隔壁新会员", referred_by=referrer)
        url = reverse("loyalty:referrals")
        body = page(staff_a_client, url)
        assert "新会员金" in body and "新会员普" in body and "隔壁新会员" not in body
        assert "due" in body  # a VIP whose referrer has no bonus yet
        body = page(staff_a_client, url, vip="yes")
        assert "新会员金" in body and "新会员普" not in body
        body = page(
            staff_a_client,
            url,
            referred_from=(timezone.localdate() - dt.timedelta(days=7)).isoformat(),
        )
        assert "新会员金" in body and "新会员普" not in body
        referral_bonuses_grant()
        body = page(staff_a_client, url, bonus="granted")
        assert "新会员金" in body and "+100" in body
        body = page(staff_a_client, url, referrer=referrer.pk, q="新会员普")
        assert "新会员普" in body and "新会员金" not in body
        assert vip.pk

    def test_a_period_ending_before_it_starts_is_refused(self, staff_a_client):
        body = page(
            staff_a_client,
            reverse("loyalty:referrals"),
            referred_from="2026-05-01",
            referred_to="2026-04-01",
        )
        assert "The end of the period is before its start." in body

    def test_referrals_per_relationship_manager(
        self, staff_a_client, staff_a, manager_a, department_a, rules
    ):
        mine = CustomerFactory(department=department_a, relationship_manager=staff_a)
        theirs = CustomerFactory(department=department_a, relationship_manager=manager_a)
        for level in ("gold", "normal"):
            CustomerFactory(department=department_a, referred_by=mine, vip_level=level)
        CustomerFactory(department=department_a, referred_by=theirs)
        referral_bonuses_grant()
        body = page(staff_a_client, reverse("loyalty:referral-managers"))
        row = body[body.index(f'data-manager="{staff_a.pk}"') :]
        row = row[: row.index("</tr>")]
        assert "data-referred>2<" in row and "data-vip>1<" in row and ">100<" in row
        assert f'data-manager="{manager_a.pk}"' in body

    def test_setting_the_referrer_by_search(self, staff_a_client, department_a):
        customer = CustomerFactory(department=department_a, name="新客户")
        referrer = CustomerFactory(
            department=department_a, name="介绍人李", mobile="+8613700001234"
        )
        url = reverse("loyalty:referrer", args=[customer.pk])
        body = page(staff_a_client, url, q="1234")
        assert "介绍人李" in body and "137****1234" in body
        response = staff_a_client.post(url, {"referrer": referrer.pk, "referred_on": "2024-01-05"})
        assert response.status_code == 302
        customer.refresh_from_db()
        assert customer.referred_by == referrer
        response = staff_a_client.post(
            reverse("loyalty:referrer", args=[referrer.pk]), {"referrer": customer.pk}
        )
        assert "cannot go round in a circle" in response.content.decode()
        response = staff_a_client.post(url, {"clear": "1"})
        assert response.status_code == 302
        customer.refresh_from_db()
        assert customer.referred_by is None


class TestSettingsAndOverview:
    def test_only_admins_change_the_rules_which_are_validated_and_audited(
        self, admin_client_user, staff_a_client, admin_user, rules
    ):
        url = reverse("loyalty:settings")
        assert staff_a_client.get(url).status_code == 403
        data = {
            "rate_normal": "0.1",
            "rate_silver": "0.15",
            "rate_gold": "0.2",
            "rate_diamond": "0.3",
            "earn_since": "",
            "expiry_months": "12",
            "birthday_bonus": "300",
            "birthday_min_level": "gold",
            "referral_bonus": "150",
            "redeem_min_level": "normal",
        }
        response = admin_client_user.post(url, {**data, "rate_gold": "-1", "expiry_months": "200"})
        body = response.content.decode()
        assert "Ensure this value is greater than or equal to 0." in body
        assert "Ensure this value is less than or equal to 120." in body
        response = admin_client_user.post(url, {**data, "rate_gold": "0.12345"})
        assert "Ensure that there are no more than 4 decimal places." in response.content.decode()
        response = admin_client_user.post(url, data)
        assert response.status_code == 302
        saved = LoyaltySettings.objects.get()
        assert (saved.rate_silver, saved.expiry_months, saved.referral_bonus) == (
            Decimal("0.15"),
            12,
            150,
        )
        assert saved.redeem_min_level == "normal" and saved.updated_by == admin_user
        audit = AuditEntry.objects.get(object_type="loyalty.loyaltysettings")
        assert audit.detail["after"]["rate_silver"] == "0.1500"

    def test_the_overview_shows_the_users_accounts_and_this_months_figures(
        self, staff_a_client, silver, department_b, staff_a, rules
    ):
        foreign = CustomerFactory(department=department_b, name="隔壁会员")
        post(silver, 500)
        post(foreign, 900)
        from loyalty.services.redemption import points_redeem

        points_redeem(customer=silver, points=120, reward="券", user=staff_a)
        body = page(staff_a_client, reverse("loyalty:overview"))
        assert silver.name in body and "隔壁会员" not in body
        assert 'data-figure="outstanding">380<' in body
        assert 'data-figure="redeemed">120<' in body
        assert 'data-figure="issued">500<' in body


def test_a_merge_keeps_both_balances_equal_to_their_ledgers(manager_a, department_a, rules):
    survivor = CustomerFactory(department=department_a, vip_level="silver")
    duplicate = CustomerFactory(department=department_a, vip_level="gold")
    post(survivor, 100, year=2026)
    post(duplicate, 200, year=2026)  # the same year's birthday bonus stays on the duplicate
    post(duplicate, 50, kind=EntryKind.REFERRAL, referral=CustomerFactory(department=department_a))
    customer_merge(survivor=survivor, duplicate=duplicate, field_choices={}, user=manager_a)
    assert CustomerMerge.objects.count() == 1
    assert account_balance(survivor) == 150
    assert account_balance(duplicate) == 200
    assert PointsEntry.objects.filter(customer=duplicate).count() == 1
    assert_balanced()
