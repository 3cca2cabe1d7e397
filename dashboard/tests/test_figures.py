"""Must be true: every dashboard figure equals the value worked out by hand on the fixed
company of ``world.py`` (read its docstring first), for staff, a manager, an admin and an
admin who picked a department — and nobody's figures count what they may not see.

November 2026 is the period, "now" is 2026-11-20 10:00; October 2026 is the previous
period. Moments: now; 1 Nov 00:00 (the end of October); a year before each. The churn
window is the tier policy's 90 days. The arithmetic is in the comments.
"""

import datetime as dt
from decimal import Decimal as D

import pytest

from dashboard.periods import Period
from dashboard.scope import DashboardScope
from dashboard.selectors.figures import dashboard_figures
from dashboard.tests.world import NOW, build_world

pytestmark = pytest.mark.django_db

NOVEMBER = Period.month(dt.date(2026, 11, 1))


@pytest.fixture
def world(db):
    return build_world()


def figures_of(user, department=None):
    scope = DashboardScope.for_user(user, department.pk if department else None)
    return dashboard_figures(scope, NOVEMBER, now=NOW)


def kpis(figures) -> dict:
    return {figure.key: (figure.value, figure.previous) for figure in figures.kpis}


def breakdowns(figures) -> dict:
    return {b.key: {row.code: row.count for row in b.rows} for b in figures.breakdowns}


# Staff of East: e1–e5 and s_own (whom staff manages); VIPs now e1, e2, s_own.
STAFF = {
    # now 3; at 1 Nov e3 (left 10 Nov) was still a VIP: 3 + 1 = 4
    "vip_count": (3, 4),
    # a year before (2025-11-20 and 2025-11-01) the changes since undone: e2 and s_own
    # entered (−2), e3 left (+1): 3 − 2 + 1 = 2. (3 − 2) ÷ 2 = 50.0 %; (4 − 2) ÷ 2 = 100.0 %
    "vip_growth": (D("50.0"), D("100.0")),
    # VIPs who bought before November: e1, e2 (s_own had not); in November e1 bought, e2 only
    # had a refund: 1 ÷ 2. October: before it e1 (May), e2 (1 Sep); both bought in it: 2 ÷ 2
    "vip_repurchase": (D("50.0"), D("100.0")),
    # active at 1 Nov (bought 3 Aug–31 Oct): e1, e2, e3, e5 = 4; none since 22 Aug 10:00: e3
    # → 1 ÷ 4. Active at 1 Oct (3 Jul–30 Sep): e2, e3; both bought 3 Aug–31 Oct → 0 ÷ 2
    "churn_rate": (D("25.0"), D("0.0")),
    # SE and SS (staff created it) in November: ratings 5,4,3,5,5 → 4 of 5; October 2,5 → 1 of 2
    "satisfaction": (D("80.0"), D("50.0")),
    # November NPS 10,9,6,8,0: (2 promoters − 2 detractors) ÷ 5 = 0; October 10: 1 ÷ 1 = 100
    "nps": (D("0.0"), D("100.0")),
    # VIPs e1, e2, s_own: November e1 called (e2's call unanswered) 1 ÷ 3; October e1, e2 2 ÷ 3
    "vip_contact": (D("33.3"), D("66.7")),
    # November: e5, s_own referred; 2 × 365 ÷ 20 days so far ÷ 3 VIPs = 12.166… → 12.17
    # October: e4; 1 × 365 ÷ 31 ÷ 4 VIPs = 2.943… → 2.94
    "referral_rate": (D("12.17"), D("2.94")),
    # November: 2000 − 100 + 800 + 60 (1 Nov 00:30 local is November) = 2760;
    # October: 500 + 200 + 150 = 850
    "spend": (D("2760.00"), D("850.00")),
    # November purchases by e1, s_own, e5 (e2's refund is none); October e1, e2, e5
    "buyers": (3, 3),
    # now: A1 (e1), A2 (e3, acknowledged), A4 (s2, assigned to staff) open; A1 overdue.
    # 1 Nov: A2 and A3 (e4, resolved 5 Nov) open; A3 past due, never acknowledged
    "alerts_open": (3, 2),
    "alerts_overdue": (1, 1),
    # Fri 20 – Sun 22 Nov: the birthday campaign reaches e1 (21 Nov) and e2 (22 Nov)
    "touches_due": (2, None),
}

# The manager of East: e1–e5 only; VIPs now e1, e2.
MANAGER = {
    "vip_count": (2, 3),  # 2 now; 2 + e3 at 1 Nov
    # a year before: 2 − 1 (e2 entered) + 1 (e3 left) = 2 → (2 − 2) ÷ 2 = 0; (3 − 2) ÷ 2 = 50
    "vip_growth": (D("0.0"), D("50.0")),
    "vip_repurchase": (D("50.0"), D("100.0")),  # as staff: s_own had no earlier purchase
    "churn_rate": (D("25.0"), D("0.0")),  # as staff
    # SE only: November 5,4,3,5 → 3 of 4; NPS 10,9,6,8 → (2 − 1) ÷ 4 = 25
    "satisfaction": (D("75.0"), D("50.0")),
    "nps": (D("25.0"), D("100.0")),
    "vip_contact": (D("50.0"), D("100.0")),  # e1 of e1, e2; October both
    # November e5: 1 × 365 ÷ 20 ÷ 2 = 9.125 → 9.13; October e4: 365 ÷ 31 ÷ 3 = 3.924… → 3.92
    "referral_rate": (D("9.13"), D("3.92")),
    "spend": (D("1960.00"), D("850.00")),  # 2000 − 100 + 60; October as staff
    "buyers": (2, 3),  # e1, e5; October e1, e2, e5
    "alerts_open": (2, 2),  # A1, A2; at 1 Nov A2, A3
    "alerts_overdue": (1, 1),  # A1; A3
    "touches_due": (2, None),
}

# The admin, all departments: 9 active customers; VIPs now e1, e2, s1, s_own, n1.
ADMIN = {
    "vip_count": (5, 6),  # 5; + e3 at 1 Nov
    # a year before: 5 − 4 (e2, s_own, n1, s1 on 25 Nov 2025 entered) + 1 (e3) = 2
    # (5 − 2) ÷ 2 = 150; (6 − 2) ÷ 2 = 200
    "vip_growth": (D("150.0"), D("200.0")),
    # before November: e1, e2, s1, n1 = 4; in it e1, s1 → 2 ÷ 4. Before October: e1, e2, n1;
    # in it e1, e2 → 2 ÷ 3 = 66.7
    "vip_repurchase": (D("50.0"), D("66.7")),
    # active at 1 Nov: e1, e2, e3, e5, s1, s2 = 6; churned e3 → 16.7. At 1 Oct: e2, e3, s2
    # (n1's 1 Jul is before 3 Jul); none churned
    "churn_rate": (D("16.7"), D("0.0")),
    # November ratings 5,4,3,5 (SE), 5 (SS), 1 (SN): 4 of 6 = 66.7; NPS as staff
    "satisfaction": (D("66.7"), D("50.0")),
    "nps": (D("0.0"), D("100.0")),
    # November e1, s1 of 5; October e1, e2 of 5
    "vip_contact": (D("40.0"), D("40.0")),
    # November e5, s_own: 2 × 365 ÷ 20 ÷ 5 = 7.30; October e4: 365 ÷ 31 ÷ 6 = 1.962… → 1.96
    "referral_rate": (D("7.30"), D("1.96")),
    # November 2760 + 5000 (s1) = 7760; October 850 + 3000 = 3850
    "spend": (D("7760.00"), D("3850.00")),
    "buyers": (4, 4),  # e1, s_own, e5, s1; October e1, e2, e5, s1
    "alerts_open": (4, 2),  # A1, A2, A4, A5; at 1 Nov A2, A3
    "alerts_overdue": (2, 1),  # A1, A5; A3
    "touches_due": (2, None),
}

# The admin with South picked: s1, s2, s_own; VIPs s1, s_own.
ADMIN_SOUTH = {
    "vip_count": (2, 2),
    # a year before both had not entered yet: 0 VIPs, no growth to measure
    "vip_growth": (None, None),
    # before November only s1 had bought; s1 bought in it. Before October nobody had
    "vip_repurchase": (D("100.0"), None),
    # active at 1 Nov: s1, s2, neither churned; at 1 Oct: s2, not churned
    "churn_rate": (D("0.0"), D("0.0")),
    # SS: November rating 5, NPS 0 → 100 and −100; nothing in October
    "satisfaction": (D("100.0"), None),
    "nps": (D("-100.0"), None),
    "vip_contact": (D("50.0"), D("0.0")),  # s1 called in November; nobody in October
    # s_own: 1 × 365 ÷ 20 ÷ 2 = 9.125 → 9.13; October nobody: 0 ÷ 2 VIPs
    "referral_rate": (D("9.13"), D("0.00")),
    "spend": (D("5800.00"), D("3000.00")),  # 800 + 5000; 3000
    "buyers": (2, 1),
    "alerts_open": (1, 0),  # A4
    "alerts_overdue": (0, 0),
    "touches_due": (0, None),  # the birthday campaign is East's
}


def test_staff_figures(world):
    assert kpis(figures_of(world.staff)) == STAFF


def test_manager_figures(world):
    assert kpis(figures_of(world.manager)) == MANAGER


def test_admin_figures(world):
    assert kpis(figures_of(world.admin)) == ADMIN


def test_admin_figures_of_a_picked_department(world):
    assert kpis(figures_of(world.admin, world.south)) == ADMIN_SOUTH


def test_a_department_picked_by_staff_or_a_manager_is_ignored(world):
    assert kpis(figures_of(world.staff, world.south)) == STAFF
    assert kpis(figures_of(world.manager, world.south)) == MANAGER


def test_targets_and_their_direction(world):
    figures = {f.key: f for f in figures_of(world.staff).kpis}
    # the care programme's defaults: 5 %, 80 %, 10 % ceiling, 90 %, 50, 100 %, 5 a year
    assert figures["vip_growth"].target == D("5.0") and figures["vip_growth"].meets_target
    assert figures["vip_repurchase"].target == D("80.0")
    assert figures["vip_repurchase"].meets_target is False  # 50 < 80
    assert figures["churn_rate"].target == D("10.0") and not figures["churn_rate"].higher_is_better
    assert figures["churn_rate"].meets_target is False  # 25 > 10
    assert figures["churn_rate"].trend == "worse"  # 0 → 25: up is bad
    assert figures["satisfaction"].meets_target is False  # 80 < 90
    assert figures["satisfaction"].trend == "better"  # 50 → 80
    assert figures["nps"].target == D("50.0")
    assert figures["vip_contact"].target == D("100.0")
    assert figures["referral_rate"].meets_target  # 12.17 ≥ 5
    assert (
        figures["alerts_overdue"].target == D("0")
        and figures["alerts_overdue"].meets_target is False
    )
    assert figures["alerts_open"].trend == "worse"  # 2 → 3
    assert figures["spend"].target is None and figures["spend"].meets_target is None


def test_breakdowns(world):
    assert breakdowns(figures_of(world.staff)) == {
        # e1 high, e2 medium, e3 potential, e4 low, e5 not scored, s_own high
        "value_tier": {"high": 2, "medium": 1, "potential": 1, "low": 1, "": 1},
        # e1 gold; e2, s_own silver; e3, e4, e5 normal (e_merged is not a customer any more)
        "vip_level": {"diamond": 0, "gold": 1, "silver": 2, "normal": 3},
        # e5 new; e1, e2, s_own active; e3 churn risk; e4 lost
        "lifecycle": {"new": 1, "active": 3, "churn_risk": 1, "lost": 1, "": 0},
    }
    assert breakdowns(figures_of(world.admin)) == {
        # + s1 high, s2 medium, n1 low
        "value_tier": {"high": 3, "medium": 2, "potential": 1, "low": 2, "": 1},
        # + s1 diamond, n1 silver, s2 normal
        "vip_level": {"diamond": 1, "gold": 1, "silver": 3, "normal": 4},
        # + s1, s2 active, n1 churn risk
        "lifecycle": {"new": 1, "active": 5, "churn_risk": 2, "lost": 1, "": 0},
    }
    assert breakdowns(figures_of(world.admin, world.south)) == {
        "value_tier": {"high": 2, "medium": 1, "potential": 0, "low": 0, "": 0},
        "vip_level": {"diamond": 1, "gold": 0, "silver": 1, "normal": 1},
        "lifecycle": {"new": 0, "active": 3, "churn_risk": 0, "lost": 0, "": 0},
    }


def test_breakdown_rows_link_to_the_filtered_customer_list(world):
    figures = figures_of(world.admin, world.south)
    rows = {(b.key, r.code): r.url for b in figures.breakdowns for r in b.rows}
    department = world.south.pk
    assert rows[("vip_level", "gold")] == f"/customers/?department={department}&vip_level=gold"
    assert rows[("value_tier", "")] == f"/customers/?department={department}&value_tier=none"
    assert rows[("lifecycle", "churn_risk")] == (
        f"/customers/?department={department}&lifecycle=churn_risk"
    )
    staff_rows = {
        (b.key, r.code): r.url for b in figures_of(world.staff).breakdowns for r in b.rows
    }
    assert staff_rows[("vip_level", "silver")] == "/customers/?vip_level=silver"


def campaign_rows(figures) -> list[tuple]:
    return [
        (
            row.name, row.sent, row.delivered, row.opened, row.clicked, row.replied,
            row.unsubscribed, row.reached, row.converted, row.sms_parts,
        )
        for row in figures.campaigns
    ]  # fmt: skip


def test_campaign_results(world):
    # CE in November: e1 SMS delivered (replied), e2 SMS delivered (unsubscribed), e3 email
    # sent (opened, clicked), e4 SMS failed → sent 3, delivered 2; reached e1, e2, e3;
    # converted: e1 bought on 5 Nov, 3 days after (e2 only refunded, e3 bought nothing);
    # SMS parts 1 (70 characters) + 2 (80 characters) = 3 — the failed one is not billed.
    ce = ("双十一答谢", 3, 2, 1, 1, 1, 1, 3, 1, 3)
    # CS to s_own (staff's customer) only; s_own bought on 12 Nov, before the 13 Nov SMS
    cs_staff = ("华南回访", 1, 1, 0, 0, 0, 0, 1, 0, 1)
    # CS to s_own and s1; s1 bought 5000 on 15 Nov, two days after → converted
    cs_all = ("华南回访", 2, 2, 0, 0, 0, 0, 2, 1, 2)
    # the birthday campaign is running but sent nothing in November
    cb = ("生日祝福", 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert campaign_rows(figures_of(world.staff)) == [ce, cs_staff, cb]
    assert campaign_rows(figures_of(world.manager)) == [ce, cb]  # CS is South's
    assert campaign_rows(figures_of(world.admin)) == [ce, cs_all, cb]
    assert campaign_rows(figures_of(world.admin, world.south)) == [cs_all]
    row = figures_of(world.staff).campaigns[0]
    assert (row.emails_sent, row.emails_opened, row.sms_sent, row.sms_replied) == (1, 1, 2, 1)
    assert row.open_rate == D("100.0")  # 1 email opened of 1 sent
    assert row.reply_rate == D("50.0")  # 1 SMS answered of 2 sent
    assert row.conversion_rate == D("33.3")  # 1 of 3 reached


def test_events_with_their_budget_use(world):
    # upcoming, 20 Nov to 18 Jan, not cancelled: EV2 (25 Nov), EV1 (5 Dec), EV5 (10 Dec,
    # South, owned by staff). EV1: 10,000 + 10 % = 11,000 budgeted, 2,750 spent = 25.0 %
    def rows(figures):
        return [
            (e.name, e.starts_on, e.budget_total, e.spent, e.budget_used) for e in figures.events
        ]

    ev2 = ("理财讲座", dt.date(2026, 11, 25), None, D("0.00"), None)
    ev1 = ("年终VIP答谢晚宴", dt.date(2026, 12, 5), D("11000.00"), D("2750.00"), D("25.0"))
    ev5 = ("华南客户沙龙", dt.date(2026, 12, 10), None, D("0.00"), None)
    assert rows(figures_of(world.staff)) == [ev2, ev1, ev5]
    assert rows(figures_of(world.manager)) == [ev2, ev1]
    assert rows(figures_of(world.admin)) == [ev2, ev1, ev5]
    assert rows(figures_of(world.admin, world.south)) == [ev5]


def test_a_past_period_lists_its_own_events(world):
    october = Period.month(dt.date(2026, 11, 10))
    figures = dashboard_figures(DashboardScope.for_user(world.manager), october, now=NOW)
    # still November, so upcoming; a period that is over lists the events it held
    assert [e.name for e in figures.events] == ["理财讲座", "年终VIP答谢晚宴"]
    past = dashboard_figures(
        DashboardScope.for_user(world.manager), Period.month(dt.date(2026, 11, 1)),
        now=dt.datetime(2027, 3, 1, tzinfo=NOW.tzinfo),
    )  # fmt: skip
    # in November: EV6 (10 Nov) and EV2 (25 Nov); EV4 was cancelled
    assert [e.name for e in past.events] == ["秋季品鉴会", "理财讲座"]


def test_the_monthly_series(world):
    series = figures_of(world.staff).series
    assert [p.month for p in series] == [dt.date(2025, 12, 1)] + [
        dt.date(2026, m, 1) for m in range(1, 12)
    ]
    # staff's orders: e4 Jan 250; e1 May 1000; e3 Aug 400; e2 Sep 300; Oct 850; Nov 2760
    assert [p.spend for p in series] == [
        D(x) for x in ("0", "250", "0", "0", "0", "1000", "0", "0", "400", "300", "850", "2760")
    ]
    assert [p.orders for p in series] == [0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 3, 3]
    assert [p.buyers for p in series] == [0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 3, 3]
    # VIPs at each month's end (November: now). Undoing the later changes from today's 3:
    # to 1 Feb: e2, s_own entered, e3 left → 2; from 1 Mar (s_own in on 15 Feb) to 1 Oct:
    # 3; 1 Nov: e3 still a VIP, e2 already → 4; now 3
    assert [p.vips for p in series] == [2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 3]
    # the growth target's line starts from the VIPs on 1 Dec 2025 (2) and reaches + 5 %
    target = figures_of(world.staff).vip_target_series
    assert target[0] == D("2.0")  # 2 × 1.05^(1/12) = 2.008…
    assert target[-1] == D("2.1")  # 2 × 1.05
    admin = figures_of(world.admin).series
    assert (admin[-1].spend, admin[-1].orders, admin[-1].buyers, admin[-1].vips) == (
        D("7760.00"), 4, 4, 5,
    )  # fmt: skip
    # September: e2 300 and s2 700
    assert (admin[-3].spend, admin[-3].orders, admin[-3].buyers) == (D("1000.00"), 2, 2)


def test_setup_says_what_is_there(world):
    setup = figures_of(world.staff).setup
    assert (setup.customers, setup.orders, setup.surveys, setup.campaigns, setup.events) == (
        True, True, True, True, True,
    )  # fmt: skip
    assert figures_of(world.staff).coverage_month == dt.date(2026, 11, 1)


def test_nothing_to_measure_is_none_not_zero(db):
    from carecrm.accounts.tests.factories import DepartmentFactory, UserFactory

    lonely = UserFactory(
        username="lonely_manager",
        role="manager",
        department=DepartmentFactory(name="空部门", code="dash-empty"),
    )
    figures = figures_of(lonely)
    values = kpis(figures)
    for key in ("vip_growth", "vip_repurchase", "churn_rate", "satisfaction", "nps"):
        assert values[key] == (None, None), key
    assert values["vip_count"] == (0, 0)
    assert values["spend"] == (D("0.00"), D("0.00"))
    setup = figures.setup
    assert not (setup.customers or setup.orders or setup.surveys or setup.campaigns)
