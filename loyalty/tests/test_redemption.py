"""Redemption: never more than the balance, only from the rules' level, by users who may,
for customers they see; two redemptions at once on PostgreSQL cannot overspend."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.models import AuditEntry
from customers.tests.factories import CustomerFactory
from loyalty.models import EntryKind, PointsEntry
from loyalty.selectors.points import account_balance
from loyalty.services.redemption import points_redeem
from loyalty.tests.factories import assert_balanced, post


@pytest.mark.django_db
class TestRules:
    def test_a_redemption_spends_points_and_is_audited(self, silver, staff_a):
        post(silver, 500)
        entry = points_redeem(
            customer=silver, points=120, reward="保温杯", note="门店领取", user=staff_a
        )
        assert entry.kind == EntryKind.REDEMPTION and entry.points == -120
        assert entry.created_by == staff_a
        assert account_balance(silver) == 380
        audit = AuditEntry.objects.get(customer_id=silver.pk, object_type="loyalty.pointsentry")
        assert audit.detail == {"points_redeemed": 120, "reward": "保温杯"}
        assert_balanced()

    def test_more_than_the_balance_is_refused_with_the_balance(self, silver, staff_a):
        post(silver, 100)
        with pytest.raises(ValidationError) as refused:
            points_redeem(customer=silver, points=101, reward="保温杯", user=staff_a)
        assert refused.value.message_dict["points"] == [
            "The customer holds 100 points; 101 cannot be redeemed."
        ]
        assert account_balance(silver) == 100
        assert not PointsEntry.objects.filter(kind=EntryKind.REDEMPTION).exists()

    def test_below_the_level_is_refused(self, normal, staff_a, rules):
        post(normal, 500)
        with pytest.raises(ValidationError) as refused:
            points_redeem(customer=normal, points=10, reward="咖啡券", user=staff_a)
        assert "from the Silver (VIP) level up; this customer is Normal" in str(refused.value)
        rules.redeem_min_level = "normal"
        rules.save()
        points_redeem(customer=normal, points=10, reward="咖啡券", user=staff_a)
        assert account_balance(normal) == 490

    @pytest.mark.parametrize(
        ("points", "reward", "field", "message"),
        [
            (0, "券", "points", "Redeem at least 1 point."),
            ("ten", "券", "points", "Enter a whole number of points, such as 500."),
            (10, "  ", "reward", "Say what the points are redeemed for."),
            (10, "券" * 201, "reward", "The reward is longer than 200 characters."),
        ],
    )
    def test_bad_input_is_refused_naming_the_field(
        self, silver, staff_a, points, reward, field, message
    ):
        post(silver, 100)
        with pytest.raises(ValidationError) as refused:
            points_redeem(customer=silver, points=points, reward=reward, user=staff_a)
        assert refused.value.message_dict[field] == [message]

    def test_only_users_who_may_and_see_the_customer_redeem(self, silver, staff_b, department_a):
        post(silver, 100)
        with pytest.raises(PermissionDenied):
            points_redeem(customer=silver, points=10, reward="券", user=staff_b)
        viewer = UserFactory(username="viewer", role="staff", department=department_a)
        viewer.groups.clear()
        with pytest.raises(PermissionDenied):
            points_redeem(customer=silver, points=10, reward="券", user=viewer)

    def test_a_merged_customer_cannot_redeem(self, department_a, staff_a, rules):
        merged = CustomerFactory(department=department_a, vip_level="gold", status="merged")
        post(merged, 100)
        with pytest.raises(ValidationError, match="merged or anonymised"):
            points_redeem(customer=merged, points=10, reward="券", user=staff_a)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_overspend(department_a, staff_a):
    """Twelve staff redeem 30 of 100 points at the same moment: three succeed, nine are
    told the balance, and the balance is the ledger's sum (10)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    from loyalty.models import LoyaltySettings

    LoyaltySettings.objects.get_or_create()
    customer = CustomerFactory(department=department_a, vip_level="gold")
    post(customer, 100)
    barrier = threading.Barrier(12)
    done, refused, errors = [], [], []

    def redeem(number: int) -> None:
        try:
            barrier.wait()
            points_redeem(customer=customer, points=30, reward=f"礼品{number}", user=staff_a)
            done.append(number)
        except ValidationError as exc:
            refused.append(exc)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(done) == 3 and len(refused) == 9
    assert all("cannot be redeemed" in str(exc) for exc in refused)
    assert account_balance(customer) == 10
    assert PointsEntry.objects.filter(customer=customer, kind=EntryKind.REDEMPTION).count() == 3
    assert_balanced()
