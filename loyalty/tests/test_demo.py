"""``manage.py seed_demo`` gives the demo customers a points history and referrals, with
every balance the sum of its ledger."""

import io

import pytest
from django.core.management import call_command

from customers.models import Customer
from loyalty.models import EntryKind, PointsEntry
from loyalty.tests.factories import assert_balanced


@pytest.mark.django_db
def test_the_demo_has_points_and_referrals(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = io.StringIO()
    call_command("seed_demo", customers=150, seed=7, password="demo-passphrase-2024", stdout=out)
    assert "Loyalty:" in out.getvalue()
    kinds = set(PointsEntry.objects.values_list("kind", flat=True))
    assert {EntryKind.EARN, EntryKind.REDEMPTION} <= kinds
    assert Customer.objects.filter(referred_by__isnull=False).exists()
    referred = Customer.objects.filter(referred_by__isnull=False).select_related("referred_by")
    assert all(c.referred_by.department_id == c.department_id for c in referred)
    assert_balanced()
