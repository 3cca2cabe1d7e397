"""The loyalty API: accounts, the ledger and referrals in the caller's scope; redemption
answers 201 with the entry or 400 saying why not, 403 for a user who may not redeem."""

from decimal import Decimal

import pytest

from carecrm.accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from loyalty.selectors.points import account_balance
from loyalty.services.accrual import orders_accrue
from loyalty.tests.factories import PurchaseFactory, assert_balanced, post

pytestmark = pytest.mark.django_db
REDEEM = "/api/v1/points-accounts/redeem/"


def test_accounts_and_ledger_are_scoped(silver, staff_a, staff_b, api_client_for):
    PurchaseFactory(customer=silver, order_no="SO-API-1", amount=Decimal("250"))
    orders_accrue()
    mine = api_client_for(staff_a)
    accounts = mine.get("/api/v1/points-accounts/", {"customer": silver.pk}).json()["results"]
    assert [(a["customer"], a["balance"], a["vip_level"]) for a in accounts] == [
        (silver.pk, 30, "silver")
    ]
    entries = mine.get("/api/v1/points-entries/", {"customer": silver.pk}).json()["results"]
    assert entries[0]["kind"] == "earn" and entries[0]["points"] == 30
    assert entries[0]["order_no"] == "SO-API-1" and entries[0]["rate"] == "0.1200"
    assert "Purchase SO-API-1" in entries[0]["description"]
    theirs = api_client_for(staff_b)
    assert theirs.get("/api/v1/points-accounts/").json()["results"] == []
    assert theirs.get("/api/v1/points-entries/").json()["results"] == []
    account_id = accounts[0]["id"]
    assert theirs.get(f"/api/v1/points-accounts/{account_id}/").status_code == 404


def test_a_redemption_is_created(silver, staff_a, api_client_for):
    post(silver, 500)
    response = api_client_for(staff_a).post(
        REDEEM, {"customer": silver.pk, "points": 200, "reward": "礼盒"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["points"] == -200 and response.json()["kind"] == "redemption"
    assert account_balance(silver) == 300
    assert_balanced()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"points": 900, "reward": "礼盒"}, "points", "holds 500 points; 900 cannot be redeemed"),
        ({"points": 0, "reward": "礼盒"}, "points", "greater than or equal to 1"),
        ({"points": 10}, "reward", "This field is required."),
        ({"points": 10, "reward": "   "}, "reward", "This field may not be blank."),
        ({"points": "x", "reward": "礼盒"}, "points", "A valid integer is required."),
    ],
)
def test_bad_redemptions_are_400_with_the_reason(
    silver, staff_a, api_client_for, body, field, message
):
    post(silver, 500)
    response = api_client_for(staff_a).post(REDEEM, {"customer": silver.pk, **body}, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert account_balance(silver) == 500


def test_a_customer_out_of_scope_or_below_the_level_is_refused(
    silver, normal, staff_b, staff_a, api_client_for
):
    post(silver, 500)
    post(normal, 500)
    response = api_client_for(staff_b).post(
        REDEEM, {"customer": silver.pk, "points": 10, "reward": "券"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"customer": ["No customer you can see has this ID."]}
    response = api_client_for(staff_a).post(
        REDEEM, {"customer": normal.pk, "points": 10, "reward": "券"}, format="json"
    )
    assert response.status_code == 400
    assert "from the Silver (VIP) level up" in response.json()["non_field_errors"][0]


def test_a_user_without_the_redeem_permission_gets_403(silver, department_a, api_client_for):
    post(silver, 500)
    reader = UserFactory(username="reader", role="staff", department=department_a)
    reader.groups.clear()
    response = api_client_for(reader).post(
        REDEEM, {"customer": silver.pk, "points": 10, "reward": "券"}, format="json"
    )
    assert response.status_code == 403


def test_referrals_name_only_visible_referrers(
    staff_a, department_a, department_b, api_client_for, rules
):
    mine = CustomerFactory(department=department_a, name="本部门推荐人")
    foreign = CustomerFactory(department=department_b, name="外部门推荐人")
    one = CustomerFactory(department=department_a, referred_by=mine, vip_level="gold")
    two = CustomerFactory(department=department_a, referred_by=foreign)
    CustomerFactory(department=department_b, referred_by=mine)
    rows = api_client_for(staff_a).get("/api/v1/referrals/").json()["results"]
    by_id = {row["customer"]: row for row in rows}
    assert set(by_id) == {one.pk, two.pk}
    assert by_id[one.pk]["referred_by_name"] == "本部门推荐人"
    assert by_id[two.pk]["referred_by_name"] is None
    assert by_id[one.pk]["bonus_points"] is None
    filtered = api_client_for(staff_a).get("/api/v1/referrals/", {"referred_by": mine.pk})
    assert [row["customer"] for row in filtered.json()["results"]] == [one.pk]


def test_the_customers_api_exposes_the_referrer(staff_a, department_a, api_client_for):
    referrer = CustomerFactory(department=department_a)
    customer = CustomerFactory(department=department_a, referred_by=referrer)
    data = api_client_for(staff_a).get(f"/api/v1/customers/{customer.pk}/").json()
    assert data["referred_by"] == referrer.pk and "referred_at" in data
