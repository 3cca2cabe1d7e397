"""Benchmark: the customer list page at 1,000,000 customers (issue 4, "Speed").

Fills ``customers_customer`` with ``INSERT … SELECT generate_series`` (deterministic
pseudo-random values from ``hashint4``), runs ``ANALYZE``, then requests the list page
through Django's test client — the whole stack: session, scoping, filter set, keyset page,
count estimate, template — for an admin and a staff member with a filter and a search.
Each figure stands next to the bare SQL of the same keyset query, timed the same way.
"""

from django.db import connection
from django.db.models import NOT_PROVIDED
from django.test import Client, override_settings

from carecrm.accounts.models import Department, Role
from carecrm.accounts.services import user_create
from carecrm.core.bench import Figure, median_ms, p95_ms, timed
from carecrm.core.keyset import SortKey, encode_cursor
from customers.models import Customer

FULL_SIZE = 1_000_000
REQUESTS = 50
WARM_UP = 5
DEPARTMENTS = 10
PAGE_SIZE = 50

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_NAMES = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀英", "霞", "平", "刚", "桂英", "华", "建华", "玉兰", "小红", "晓东", "海燕",
    "志强", "文博",
]  # fmt: skip
# The search box at a million customers (issue 19): each term with a filter, for an admin
# and for department-scoped users. The name generator gives "王" to one customer in 20 (a
# common surname), "秀英" to one in 30 (a common given name), "张秀英" to one in 600.
SEARCHES = [
    ("1-character name", "王"),
    ("2-character name", "秀英"),
    ("3-character name", "张秀英"),
    ("last 4 phone digits", "5670"),
    ("phone middle digits", "45678"),
    ("email fragment", "c1234"),
]
SEARCH_GOAL = "p95 < 100 ms"
RESULTS_ONLY = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "customer-results"}
CITIES = [
    ("上海市", "上海市", "华东"), ("浙江省", "杭州市", "华东"), ("江苏省", "南京市", "华东"),
    ("广东省", "广州市", "华南"), ("广东省", "深圳市", "华南"), ("北京市", "北京市", "华北"),
    ("四川省", "成都市", "西南"), ("湖北省", "武汉市", "华中"),
]  # fmt: skip


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def _generated_columns(*, department_ids: list[int], staff_id: int) -> dict[str, str]:
    """SQL expressions over ``i`` (the series) and ``h`` (a hash of it) per column."""
    provinces = _sql_array([p for p, _c, _r in CITIES])
    cities = _sql_array([c for _p, c, _r in CITIES])
    regions = _sql_array([r for _p, _c, r in CITIES])
    city = f"(1 + (h / 7) % {len(CITIES)})"
    purchased = "(h % 5 <> 0)"  # one customer in five has never bought
    return {
        "name": (
            f"({_sql_array(list(SURNAMES))})[1 + i % {len(SURNAMES)}] || "
            f"({_sql_array(GIVEN_NAMES)})[1 + (i / {len(SURNAMES)}) % {len(GIVEN_NAMES)}] || "
            "CASE WHEN h % 3 = 0 THEN '' ELSE (ARRAY['一','东','宁','华','军','林'])[1 + h % 6] END"
        ),
        "mobile": "'+86159' || lpad(i::text, 8, '0')",
        "mobile_last4": "right(lpad(i::text, 8, '0'), 4)",
        "email": "'c' || i || '@example.cn'",
        "province": f"({provinces})[{city}]",
        "city": f"({cities})[{city}]",
        "region": f"({regions})[{city}]",
        "district": "'某区'",
        "street": "'某路' || (h % 999) || '号'",
        "birthday": "DATE '1960-01-01' + (h / 11) % 16000",
        "birth_month": "extract(month FROM DATE '1960-01-01' + (h / 11) % 16000)::smallint",
        "registered_on": (
            "CASE WHEN h % 20 = 0 THEN NULL ELSE DATE '2015-01-01' + (h / 13) % 3600 END"
        ),
        "source": "(ARRAY['sales','crm','service','marketing_form','import'])[1 + h % 5]",
        "industry": "(ARRAY['零售','制造','餐饮','教育','互联网'])[1 + (h / 17) % 5]",
        "department_id": (
            f"(ARRAY[{','.join(str(pk) for pk in department_ids)}]::bigint[])"
            f"[1 + (h / 37) % {len(department_ids)}]"
        ),
        # Managed customers are non-VIPs: the VIP cap per manager (segmentation) holds here too.
        "relationship_manager_id": (
            f"CASE WHEN i % 997 = 0 AND h % 50 >= 10 THEN {staff_id} ELSE NULL END"
        ),
        "status": "'active'",
        "total_spend": f"CASE WHEN {purchased} THEN ((h / 3) % 20000000) / 100.0 ELSE 0 END",
        "purchase_count": f"CASE WHEN {purchased} THEN 1 + (h / 19) % 40 ELSE 0 END",
        "last_purchase_on": (
            f"CASE WHEN {purchased} THEN DATE '2023-01-01' + (h / 23) % 1000 ELSE NULL END"
        ),
        "value_tier": "(ARRAY['','high','medium','medium','potential','low'])[1 + (h / 29) % 6]",
        "vip_level": (
            "CASE WHEN h % 50 = 0 THEN 'diamond' WHEN h % 50 < 4 THEN 'gold' "
            "WHEN h % 50 < 10 THEN 'silver' ELSE 'normal' END"
        ),
        "lifecycle_stage": (
            "(ARRAY['','new','active','active','churn_risk','lost'])[1 + (h / 31) % 6]"
        ),
        "created_at": "now()",
        "updated_at": "now()",
    }


def create_customers(
    *, total: int, department_ids: list[int], staff_id: int, overrides: dict | None = None
) -> None:
    """Every column not generated gets its model default (so later fields keep working).
    ``overrides`` replaces column expressions (e.g. other mobiles, so that another suite's
    customers in the same bench database keep their unique active mobile)."""
    generated = _generated_columns(department_ids=department_ids, staff_id=staff_id)
    generated.update(overrides or {})
    columns, expressions, params = [], [], []
    for field in Customer._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.column in generated:
            columns.append(field.column)
            expressions.append(generated[field.column].replace("%", "%%"))  # modulo, not a param
        elif field.default is not NOT_PROVIDED:
            columns.append(field.column)
            expressions.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        elif not field.null:
            columns.append(field.column)
            expressions.append("''")
    batch = 250_000
    with connection.cursor() as cursor:
        for start in range(1, total + 1, batch):
            stop = min(total, start + batch - 1)
            cursor.execute(
                f"INSERT INTO customers_customer ({', '.join(columns)}) "  # noqa: S608
                f"SELECT {', '.join(expressions)} "
                f"FROM (SELECT i, abs(hashint4(i)) AS h FROM generate_series(%s, %s) AS i) s",
                [*params, start, stop],
            )
        cursor.execute("ANALYZE customers_customer")


def _time_requests(client: Client, url: str, params: dict, **headers) -> list[float]:
    for _ in range(WARM_UP):
        response = client.get(url, params, **headers)
        assert response.status_code == 200, response.status_code
    return timed(lambda: client.get(url, params, **headers), repeat=REQUESTS)


def _time_sql(sql: str, params: list) -> list[float]:
    with connection.cursor() as cursor:

        def run():
            cursor.execute(sql, params)
            cursor.fetchall()

        for _ in range(WARM_UP):
            run()
        return timed(run, repeat=REQUESTS)


_SELECT = (
    "SELECT id, name, kind, mobile, email, province, city, vip_level, value_tier, "
    "lifecycle_stage, total_spend, last_purchase_on, registered_on, relationship_manager_id, "
    "department_id, status FROM customers_customer "
)


def _search_sql(term: str, *, sees_contact: bool) -> tuple[str, list]:
    """The search condition the app runs for ``term`` (customers.filters/customers.search),
    written out: the gram index narrows, the LIKE of Django's icontains rechecks."""
    if term.isdigit() and len(term) == 4:
        return "mobile_last4 = %s", [term]
    if term.isdigit():
        return "mobile::text LIKE %s", [f"%{term}%"]
    parts, params = [], []
    for column, prefix in [("name", "n"), ("email", "e")][: 2 if sees_contact else 1]:
        parts.append(
            f"(search_grams @> customer_term_grams(%s, '{prefix}') "
            f"AND UPPER({column}::text) LIKE UPPER(%s))"
        )
        params += [term, f"%{term}%"]
    return "(" + " OR ".join(parts) + ")", params


def _figures(
    label: str, page: list[float], bare: list[float], bare_name: str, goal: str = ""
) -> list[Figure]:
    return [
        Figure(
            f"{label} — median",
            median_ms(page),
            "ms",
            baseline_name=f"{bare_name}, median",
            baseline_value=median_ms(bare),
        ),
        Figure(
            f"{label} — p95",
            p95_ms(page),
            "ms",
            baseline_name=f"{bare_name}, p95",
            baseline_value=p95_ms(bare),
            goal=goal,
        ),
    ]


# The bench searches far more often than a person may (SEARCH_RATE_LIMIT); the throttle
# still runs on every request, it just never refuses one.
@override_settings(SEARCH_RATE_LIMIT="1000000/minute")
def bench_list(*, scale: float, stdout) -> list[Figure]:
    total = max(1_000, int(FULL_SIZE * scale))
    departments = [
        Department.objects.create(name=f"基准部门{n}", code=f"bench-list-{n}")
        for n in range(DEPARTMENTS)
    ]
    admin = user_create(username="bench-list-admin", password=None, role=Role.ADMIN)
    staff = user_create(
        username="bench-list-staff", password=None, role=Role.STAFF, department=departments[0]
    )
    stdout.write(f"Creating {total:,} customers …")
    create_customers(total=total, department_ids=[d.pk for d in departments], staff_id=staff.pk)
    stdout.write("… done, ANALYZEd. Timing list requests.")

    admin_client, staff_client = Client(), Client()
    admin_client.force_login(admin)
    staff_client.force_login(staff)
    figures: list[Figure] = []

    manager = user_create(
        username="bench-list-manager", password=None, role=Role.MANAGER, department=departments[0]
    )
    manager_client = Client()
    manager_client.force_login(manager)
    users = {
        # label: (client, filter params, bare SQL scope + filter, its params, sees contacts)
        "admin": (admin_client, {"vip_level": "gold"}, "vip_level = 'gold'", [], True),
        "staff": (
            staff_client,
            {"value_tier": "high"},
            "(department_id = %s OR relationship_manager_id = %s) AND value_tier = 'high'",
            [departments[0].pk, staff.pk],
            False,
        ),
        "manager": (
            manager_client,
            {"value_tier": "high"},
            "(department_id = %s OR relationship_manager_id = %s) AND value_tier = 'high'",
            [departments[0].pk, manager.pk],
            True,
        ),
    }
    # Staff may search names and the last four digits; fragments of a phone or an email
    # need the contact permission, so the department-scoped manager searches those.
    for who, (what, term) in [
        *(("admin", search) for search in SEARCHES),
        *(("staff", search) for search in SEARCHES[:4]),
        *(("manager", search) for search in SEARCHES[4:]),
    ]:
        client, filters, scope_sql, scope_params, sees_contact = users[who]
        search_sql, search_params = _search_sql(term, sees_contact=sees_contact)
        bare = _time_sql(
            _SELECT + f"WHERE status = 'active' AND {scope_sql} AND {search_sql} "
            "ORDER BY id DESC LIMIT %s",
            [*scope_params, *search_params, PAGE_SIZE + 1],
        )
        params = {**filters, "q": term, "per_page": PAGE_SIZE}
        label = f"{who}, {next(iter(filters.values()))} + {what} «{term}» (n={REQUESTS})"
        figures += _figures(
            f"list page, {label}",
            _time_requests(client, "/customers/", params),
            bare,
            "bare keyset SQL",
            goal=SEARCH_GOAL,
        )
        # What typing in the search box requests: htmx asks for the results block only
        # (the filter panel, toolbar and dialogs stay on the page).
        figures += _figures(
            f"search as you type (htmx results), {label}",
            _time_requests(client, "/customers/", params, **RESULTS_ONLY),
            bare,
            "bare keyset SQL",
            goal=SEARCH_GOAL,
        )

    # Staff, sorted by total spend, a page deep into the list (keyset cursor, no OFFSET),
    # fetched the way the page's "Next" link does: an htmx request for the results block.
    deep_params = {"region": "华东", "sort": "-total_spend", "per_page": PAGE_SIZE}
    cursor_row = (
        Customer.objects.filter(department=departments[0], region="华东", status="active")
        .order_by("-total_spend", "-id")
        .values("total_spend", "id")[total // (DEPARTMENTS * 4)]
    )
    anchor = Customer(pk=cursor_row["id"], total_spend=cursor_row["total_spend"])
    deep_params["after"] = encode_cursor(anchor, SortKey("total_spend"))
    figures += _figures(
        f"list results (htmx), staff, region + sort by spend, deep page (n={REQUESTS})",
        _time_requests(staff_client, "/customers/", deep_params, **RESULTS_ONLY),
        _time_sql(
            _SELECT + "WHERE (department_id = %s OR relationship_manager_id = %s) "
            "AND status = 'active' AND region = %s "
            "AND total_spend <= %s AND (total_spend < %s OR id < %s) "
            "ORDER BY total_spend DESC, id DESC LIMIT %s",
            [
                departments[0].pk,
                staff.pk,
                "华东",
                cursor_row["total_spend"],
                cursor_row["total_spend"],
                cursor_row["id"],
                PAGE_SIZE + 1,
            ],
        ),
        "bare keyset SQL",
    )
    return figures
