"""Name, email and phone search at any length (issue 19, "Fast at a million customers").

On PostgreSQL the search goes through the gram index (``customers.search``); whatever it
does, it must find exactly what a plain ``icontains`` finds. The property test runs on
SQLite and PostgreSQL alike; the trigger and plan tests need PostgreSQL.
"""

import json
import random

import pytest
from django.db import connection
from django.db.models import Q

from carecrm.accounts.tests.factories import DepartmentFactory
from customers.bench_list import create_customers
from customers.filters import _PHONE_LIKE, _PHONE_PUNCTUATION, customer_search_condition
from customers.models import Customer
from customers.selectors import visible_customers
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HAN = "王李张刘陈芳伟娜秀英华"
LATIN = "abcAB"
ODD = "%_ .-éÉ"
SEED = 20261207


def _name(rng: random.Random) -> str:
    alphabet = rng.choice([HAN, HAN + LATIN, HAN + LATIN + ODD])
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))).strip() or "王"


def _email(rng: random.Random, number: int) -> str:
    if rng.random() < 0.15:
        return ""
    local = "".join(rng.choice("abcAB._1%") for _ in range(rng.randint(1, 6)))
    return f"{local}{number}@{rng.choice(['example.cn', 'QQ.com', 'a_b.cn'])}"


def _mobile(rng: random.Random, taken: set[str]) -> str:
    while True:
        mobile = f"+86{rng.choice(['138', '139', '158', '188'])}{rng.randint(0, 99_999_999):08d}"
        if mobile not in taken:
            taken.add(mobile)
            return mobile


@pytest.fixture
def population(department_a):
    rng = random.Random(SEED)
    taken: set[str] = set()
    customers = []
    for number in range(300):
        customer = CustomerFactory.build(
            name=_name(rng),
            email=_email(rng, number),
            mobile=_mobile(rng, taken),
            department=department_a,
        )
        customer.refresh_derived_contact_fields()
        customers.append(customer)
    Customer.objects.bulk_create(customers)
    return list(Customer.objects.all())


def _terms(rng: random.Random, customers: list[Customer]) -> list[str]:
    terms = list(HAN) + list("aBé%_.")
    terms += [rng.choice(HAN) + rng.choice(HAN) for _ in range(25)]
    terms += ["%", "_", "%%", "a%", "_b", "王%", "%芳", "a_b", "1%", "\\", "鑫", "鑫鑫"]
    terms += ["zzz", "aé", "É", "yy", "鑫a", "王王王王王王王", "x%y", "a__b__c"]
    for customer in rng.sample(customers, 60):
        source = rng.choice([customer.name, customer.email or customer.name])
        start = rng.randrange(len(source))
        piece = source[start : start + rng.randint(1, 5)]
        terms.append("".join(rng.choice([c.lower(), c.upper()]) for c in piece))
    return [term.strip() for term in terms if term.strip()]


def _reference(term: str, *, sees_contact: bool) -> Q:
    """The plain meaning of a name/email term (the search's dispatch for other terms is
    tested below)."""
    if not sees_contact:
        return Q(name__icontains=term)
    return Q(name__icontains=term) | Q(email__icontains=term)


def _ids(condition: Q) -> set[int]:
    return set(Customer.objects.filter(condition).values_list("pk", flat=True))


@pytest.mark.parametrize("sees_contact", [False, True])
def test_search_finds_exactly_what_icontains_finds(population, sees_contact):
    terms = _terms(random.Random(SEED + 1), population)
    checked = matched = 0
    for term in terms:
        compact = _PHONE_PUNCTUATION.sub("", term)
        if _PHONE_LIKE.fullmatch(compact) or ("@" in term and " " not in term):
            continue
        expected = _ids(_reference(term, sees_contact=sees_contact))
        assert _ids(customer_search_condition(term, sees_contact=sees_contact)) == expected, term
        checked += 1
        matched += bool(expected)
    assert checked > 100
    assert matched > 60  # most terms find someone: the comparison is not between empty sets
    assert checked - matched > 5


def test_search_inside_a_subquery_gives_the_same_rows(population):
    """``pk__in=`` makes the searched query a subquery; Django re-aliases its table."""
    for term in ["王", "芳华", "a%", "ab"]:
        condition = customer_search_condition(term, sees_contact=True)
        inner = Customer.objects.filter(condition).values("pk")
        outer = Customer.objects.filter(pk__in=inner)
        assert set(outer.values_list("pk", flat=True)) == _ids(_reference(term, sees_contact=True))
        if connection.vendor == "postgresql":
            assert "U0.search_grams" in str(outer.query)


def test_phone_fragments_match_anywhere_in_the_number_with_pii_permission(population):
    rng = random.Random(SEED + 2)
    for customer in rng.sample(population, 30):
        digits = customer.mobile.lstrip("+")
        start = rng.randrange(0, len(digits) - 5)
        fragment = digits[start : start + rng.randint(5, 9)]
        expected = {c.pk for c in population if fragment in c.mobile}
        assert customer.pk in expected
        assert _ids(customer_search_condition(fragment, sees_contact=True)) == expected, fragment
        # Without the permission a fragment finds nothing (it would reveal hidden digits).
        assert _ids(customer_search_condition(fragment, sees_contact=False)) == set()
        # Four digits keep meaning "the last four", a whole number stays exact.
        last4 = digits[-4:]
        expected_last4 = {c.pk for c in population if c.mobile.endswith(last4)}
        for sees_contact in (False, True):
            assert _ids(customer_search_condition(last4, sees_contact=sees_contact)) == (
                expected_last4
            )
            assert _ids(customer_search_condition(digits[2:], sees_contact=sees_contact)) == {
                customer.pk
            }


# --- department scope -------------------------------------------------------------------


@pytest.fixture
def two_wangs(department_a, department_b):
    ours = CustomerFactory(
        name="王芳", mobile="+8613812345678", email="wf@ours.cn", department=department_a
    )
    theirs = CustomerFactory(
        name="王芳", mobile="+8613912345678", email="wf@theirs.cn", department=department_b
    )
    return ours, theirs


@pytest.mark.parametrize("user_fixture", ["staff_a", "manager_a"])
@pytest.mark.parametrize("query", ["王", "王芳", "芳", "5678", "12345678", "wf", "w", "@"])
def test_search_never_crosses_the_department_scope(
    request, two_wangs, api_client_for, user_fixture, query
):
    _ours, theirs = two_wangs
    user = request.getfixturevalue(user_fixture)
    client = api_client_for(user)
    response = client.get("/api/v1/customers/", {"q": query})
    assert response.status_code == 200
    found = {row["id"] for row in response.json()["results"]}
    assert theirs.pk not in found
    scoped = visible_customers(user).filter(customer_search_condition(query, sees_contact=True))
    assert theirs.pk not in set(scoped.values_list("pk", flat=True))


def test_list_page_search_is_scoped(staff_a_client, manager_a_client, two_wangs):
    ours, _theirs = two_wangs
    for client in (staff_a_client, manager_a_client):
        for query in ["王", "王芳", "5678"]:
            response = client.get("/customers/", {"q": query})
            assert [row["customer"].pk for row in response.context["rows"]] == [ours.pk]
    response = manager_a_client.get("/customers/", {"q": "2345678"})
    assert [row["customer"].pk for row in response.context["rows"]] == [ours.pk]


# --- PostgreSQL: the trigger and the plan -----------------------------------------------


def _stored_grams(pk: int) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_grams FROM customers_customer WHERE id = %s", [pk])
        return set(cursor.fetchone()[0])


def _set_grams(pk: int, grams: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE customers_customer SET search_grams = %s WHERE id = %s", [grams, pk])


def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("the gram column and its trigger exist on PostgreSQL only")


@pytest.mark.postgres
def test_trigger_keeps_grams_in_step(department_a):
    _needs_postgres()
    customer = CustomerFactory(name="王芳a", email="Ab@x", department=department_a)
    assert _stored_grams(customer.pk) == {
        *("n王", "n芳", "nA", "n王芳", "n芳A"),
        *("eA", "eB", "e@", "eX", "eAB", "eB@", "e@X"),
    }
    customer.name = "李"
    customer.save()
    assert _stored_grams(customer.pk) == {"n李", "eA", "eB", "e@", "eX", "eAB", "eB@", "e@X"}
    Customer.objects.filter(pk=customer.pk).update(email="")
    assert _stored_grams(customer.pk) == {"n李"}

    built = [
        CustomerFactory.build(name=name, email="", mobile="", department=department_a)
        for name in ("张伟", "刘")
    ]
    created = Customer.objects.bulk_create(built)
    assert [_stored_grams(c.pk) for c in created] == [{"n张", "n伟", "n张伟"}, {"n刘"}]


@pytest.mark.postgres
def test_updates_of_other_columns_do_not_recompute_grams(department_a):
    """The nightly scoring rewrites a million rows; the trigger must not run for them."""
    _needs_postgres()
    customer = CustomerFactory(name="王芳", email="", department=department_a)
    _set_grams(customer.pk, ["sentinel"])
    Customer.objects.filter(pk=customer.pk).update(vip_level="gold", value_tier="high")
    customer.refresh_from_db()
    customer.save()  # a full save writes name and email unchanged
    Customer.objects.bulk_update([customer], ["name", "email", "lifecycle_stage"])
    assert _stored_grams(customer.pk) == {"sentinel"}
    customer.name = "王芳芳"
    customer.save()
    assert _stored_grams(customer.pk) == {"n王", "n芳", "n王芳", "n芳芳"}


def _plan(queryset) -> str:
    return json.dumps(json.loads(queryset.explain(format="json")))


@pytest.mark.postgres
def test_short_name_and_phone_fragment_searches_use_their_indexes(staff_a):
    """On 30,000 customers (bench data: 20 surnames, 30 given names) the planner picks the
    gram index for a two-character name ("秀英": one in 30) and the trigram index for a
    phone fragment."""
    _needs_postgres()
    others = [DepartmentFactory() for _ in range(3)]
    create_customers(
        total=30_000,
        department_ids=[staff_a.department_id, *(d.pk for d in others)],
        staff_id=staff_a.pk,
    )
    # The plans are read without scope, order and limit: with them the planner may also
    # walk the id index (a fine plan on a table this small), which says nothing of search.
    assert "customer_search_grams" in _plan(
        Customer.objects.filter(customer_search_condition("秀英", sees_contact=False))
    )
    assert "customer_mobile_trgm" in _plan(
        Customer.objects.filter(customer_search_condition("0001234", sees_contact=True))
    )
    scoped = visible_customers(staff_a).filter(vip_level="gold").order_by("-id")
    name_search = scoped.filter(customer_search_condition("秀英", sees_contact=False))[:51]
    phone = scoped.filter(customer_search_condition("0001234", sees_contact=True))[:51]
    assert len(name_search) > 0
    assert len(phone) <= 51
    assert list(name_search) == list(
        visible_customers(staff_a)
        .filter(vip_level="gold", name__icontains="秀英")
        .order_by("-id")[:51]
    )
