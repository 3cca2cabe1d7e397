"""A small company whose every dashboard figure is worked out by hand in the tests.

Three departments: East (E), South (S), North (N). ``staff`` works in East and is the
relationship manager of one South customer (``s_own``); ``manager`` manages East; the
admin sees everything. "Now" is Friday 2026-11-20 10:00 in Shanghai, so November 2026 is
the running period and October 2026 the one it is compared with.

Customers (all active but ``e_merged``)            tier       VIP level  lifecycle
  e1  East                                          high       gold       active
  e2  East                                          medium     silver     active
  e3  East                                          potential  normal     churn risk
  e4  East                                          low        normal     lost
  e5  East                                          (none)     normal     new
  e_merged  East, merged into e1                    high       silver     active
  s1  South                                         high       diamond    active
  s2  South                                         medium     normal     active
  s_own  South, managed by staff                    high       silver     active
  n1  North                                         low        silver     churn risk

VIP-level history (TierChange, field vip_level)
  e1  normal→silver 2025-06-01 (older than any moment asked), silver→gold 2026-03-10
  e2  normal→silver 2026-10-15      e3  silver→normal 2026-11-10
  s_own normal→silver 2026-02-15   s1  normal→gold 2025-11-25, gold→diamond 2026-05-01
  n1  normal→silver 2025-12-10     e_merged normal→silver 2026-10-20 (not active: ignored)
  e4  a value-tier change 2026-11-05 (not a VIP change: ignored)

Orders (local time; a negative amount is a refund)
  e1  2026-05-10 1000, 2026-10-20 500, 2026-11-05 2000
  e2  2026-09-01 300, 2026-10-08 200, 2026-11-03 −100
  e3  2026-08-15 400          e4  2026-01-05 250
  e5  2026-10-25 150, 2026-11-01 00:30 60 (still 31 October in UTC)
  s1  2026-10-10 3000, 2026-11-15 5000
  s2  2026-09-20 700          s_own 2026-11-12 800        n1  2026-07-01 900

Referrals (referred_at): e4 2026-10-05, e5 2026-11-08, s_own 2026-11-15, e3 2025-03-01.

Surveys — answers (rating 1–5, NPS 0–10) by the day they were submitted
  SE  East, by manager: November rating 5,4,3,5 and NPS 10,9,6,8; October rating 2,5, NPS 10
  SS  South, created by staff: November rating 5, NPS 0
  SN  North: November rating 1

Real contacts (calls and visits that reached the customer)
  e1 call 2026-11-03, visit 2026-10-20; e2 visit 2026-10-12 (and a call 2026-11-06 that
  nobody answered); s1 call 2026-11-10; e3 call 2026-11-02 (not a VIP now);
  s_own a consultation 2026-11-04 (not a real contact).

Risk alerts
  A1 e1  raised 11-18 09:00, due 11-19 09:00, open
  A2 e3  raised 10-25, due 10-26, acknowledged 10-25 12:00
  A3 e4  raised 10-20, due 10-21, resolved 11-05 (never acknowledged)
  A4 s2  raised 11-19, due 11-21, open, assigned to staff
  A5 n1  raised 11-10, due 11-11, open

Campaigns and their messages planned in November
  CE  East one-off (finished): e1 SMS delivered 11-02 (70 characters: 1 part, replied),
      e2 SMS delivered 11-02 (80 characters: 2 parts, unsubscribed), e3 email sent 11-02
      (opened, clicked), e4 SMS failed; and an October email to e5.
  CS  South one-off (finished), owned by staff: s_own SMS delivered 11-13, s1 SMS
      delivered 11-13 (GSM text, 1 part each).
  CB  East birthday campaign, active, on the day: e1's birthday is 11-21, e2's 11-22.

Events (starting)
  EV1 East 2026-12-05, budget 10,000 + 10 % contingency = 11,000, spent 2,750
  EV2 East 2026-11-25, no budget      EV3 East 2027-02-01 (beyond 60 days)
  EV4 East 2026-12-01, cancelled       EV5 South 2026-12-10, owned by staff
  EV6 East 2026-11-10 (past)
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from budgets.services.plans import plan_recalculate
from budgets.tests.factories import BudgetLineFactory, BudgetPlanFactory, ExpenseFactory
from campaigns.models import CampaignKind, CampaignStatus
from campaigns.tests.factories import CampaignFactory
from carecrm.accounts.tests.factories import DepartmentFactory, UserFactory
from customers.models import CustomerStatus, InteractionKind, InteractionOutcome
from customers.tests.factories import CustomerFactory, InteractionFactory, OrderFactory
from delivery.models import DeliveryChannel, MessageStatus
from delivery.tests.outbox import message
from events.models import EventStatus
from events.tests.factories import EventFactory
from feedback.models import QuestionKind, Response
from feedback.tests.factories import AnswerFactory, QuestionFactory, SurveyFactory
from segmentation.models import (
    AlertStatus,
    RiskAlert,
    RiskRule,
    RiskRuleKind,
    ScoringRun,
    TierChange,
)
from segmentation.services.scoring import current_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
SMS_ONE_PART = "【悦享生活】" + "您" * 64  # 70 UCS-2 characters: one part
SMS_TWO_PARTS = "【悦享生活】" + "好" * 74  # 80 UCS-2 characters: two parts
SMS_GSM = "Hello from CareCRM, reply T to stop"  # GSM-7, one part


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class World:
    east: object = None
    south: object = None
    north: object = None
    staff: object = None
    manager: object = None
    admin: object = None
    customers: dict = field(default_factory=dict)
    campaigns: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)


def _customer(world: World, key: str, department, **fields):
    customer = CustomerFactory(department=department, name=f"客户{key}", **fields)
    world.customers[key] = customer
    return customer


def risk_rule() -> RiskRule:
    """A rule to raise alerts under (a transactional test's flush removes the seeded ones)."""
    rule, _created = RiskRule.objects.get_or_create(
        kind=RiskRuleKind.NO_CONTACT,
        defaults={"threshold": 30, "period_days": 30, "severity": "normal"},
    )
    return rule


def _vip_change(customer, run, old: str, new: str, when: dt.datetime, field_name="vip_level"):
    TierChange.objects.create(
        customer=customer,
        run=run,
        field=field_name,
        old_value=old,
        new_value=new,
        direction="up" if new != "normal" else "down",
        spend_window=Decimal("0"),
        purchases_window=0,
        loyalty_score=50,
        repurchase_rate=Decimal("0"),
        changed_at=when,
    )


def build_world() -> World:
    world = World()
    world.east = DepartmentFactory(name="华东销售部", code="dash-east")
    world.south = DepartmentFactory(name="华南销售部", code="dash-south")
    world.north = DepartmentFactory(name="华北销售部", code="dash-north")
    world.staff = UserFactory(username="dash_staff", role="staff", department=world.east)
    world.manager = UserFactory(username="dash_manager", role="manager", department=world.east)
    world.admin = UserFactory(username="dash_admin", role="admin", department=None)

    east, south, north = world.east, world.south, world.north
    e1 = _customer(
        world, "e1", east, value_tier="high", vip_level="gold", lifecycle_stage="active",
        birthday=dt.date(1980, 11, 21),
    )  # fmt: skip
    e2 = _customer(
        world, "e2", east, value_tier="medium", vip_level="silver", lifecycle_stage="active",
        birthday=dt.date(1985, 11, 22),
    )  # fmt: skip
    e3 = _customer(
        world, "e3", east, value_tier="potential", vip_level="normal",
        lifecycle_stage="churn_risk", birthday=dt.date(1990, 11, 25),
    )  # fmt: skip
    e4 = _customer(world, "e4", east, value_tier="low", vip_level="normal", lifecycle_stage="lost")
    e5 = _customer(world, "e5", east, value_tier="", vip_level="normal", lifecycle_stage="new")
    e_merged = _customer(
        world, "e_merged", east, value_tier="high", vip_level="silver", lifecycle_stage="active",
        status=CustomerStatus.MERGED, birthday=dt.date(1980, 11, 21),
    )  # fmt: skip
    s1 = _customer(
        world, "s1", south, value_tier="high", vip_level="diamond", lifecycle_stage="active"
    )
    s2 = _customer(
        world, "s2", south, value_tier="medium", vip_level="normal", lifecycle_stage="active"
    )
    s_own = _customer(
        world, "s_own", south, value_tier="high", vip_level="silver", lifecycle_stage="active",
        relationship_manager=world.staff,
    )  # fmt: skip
    n1 = _customer(
        world, "n1", north, value_tier="low", vip_level="silver", lifecycle_stage="churn_risk"
    )

    run = ScoringRun.objects.create(policy=current_policy(), trigger="manual", as_of=NOW)
    _vip_change(e1, run, "normal", "silver", at(2025, 6, 1))
    _vip_change(e1, run, "silver", "gold", at(2026, 3, 10))
    _vip_change(e2, run, "normal", "silver", at(2026, 10, 15))
    _vip_change(e3, run, "silver", "normal", at(2026, 11, 10))
    _vip_change(s_own, run, "normal", "silver", at(2026, 2, 15))
    _vip_change(s1, run, "normal", "gold", at(2025, 11, 25))
    _vip_change(s1, run, "gold", "diamond", at(2026, 5, 1))
    _vip_change(n1, run, "normal", "silver", at(2025, 12, 10))
    _vip_change(e_merged, run, "normal", "silver", at(2026, 10, 20))
    _vip_change(e4, run, "medium", "low", at(2026, 11, 5), field_name="value_tier")

    for customer, when, amount in (
        (e1, at(2026, 5, 10), "1000"),
        (e1, at(2026, 10, 20), "500"),
        (e1, at(2026, 11, 5), "2000"),
        (e2, at(2026, 9, 1), "300"),
        (e2, at(2026, 10, 8), "200"),
        (e2, at(2026, 11, 3), "-100"),
        (e3, at(2026, 8, 15), "400"),
        (e4, at(2026, 1, 5), "250"),
        (e5, at(2026, 10, 25), "150"),
        (e5, at(2026, 11, 1, 0, 30), "60"),
        (s1, at(2026, 10, 10), "3000"),
        (s1, at(2026, 11, 15), "5000"),
        (s2, at(2026, 9, 20), "700"),
        (s_own, at(2026, 11, 12), "800"),
        (n1, at(2026, 7, 1), "900"),
    ):
        OrderFactory(customer=customer, ordered_at=when, amount=Decimal(amount))

    for customer, when, referrer in (
        (e4, at(2026, 10, 5), e1),
        (e5, at(2026, 11, 8), e1),
        (s_own, at(2026, 11, 15), s1),
        (e3, at(2025, 3, 1), e1),
    ):
        customer.referred_by = referrer
        customer.referred_at = when
        customer.save(update_fields=["referred_by", "referred_at"])

    _surveys(world)
    _contacts(world)
    _alerts(world)
    _campaigns(world)
    _events(world)
    return world


def _answers(survey, rating, nps, submitted_at, customer, *, ratings=(), promoters=()):
    for score in ratings:
        response = Response.objects.create(
            survey=survey, customer=customer, submitted_at=submitted_at
        )
        AnswerFactory(response=response, question=rating, score=score)
    for score in promoters:
        response = Response.objects.create(
            survey=survey, customer=customer, submitted_at=submitted_at
        )
        AnswerFactory(response=response, question=nps, score=score)


def _surveys(world: World) -> None:
    c = world.customers
    surveys = (
        (world.east, world.manager, c["e1"], [(at(2026, 11, 6), (5, 4, 3, 5), (10, 9, 6, 8)),
                                               (at(2026, 10, 9), (2, 5), (10,))]),
        (world.south, world.staff, c["s1"], [(at(2026, 11, 7), (5,), (0,))]),
        (world.north, None, c["n1"], [(at(2026, 11, 8), (1,), ())]),
    )  # fmt: skip
    for department, author, customer, batches in surveys:
        survey = SurveyFactory(department=department, created_by=author)
        rating = QuestionFactory(survey=survey, kind=QuestionKind.RATING)
        nps = QuestionFactory(survey=survey, kind=QuestionKind.NPS)
        for submitted_at, ratings, scores in batches:
            _answers(survey, rating, nps, submitted_at, customer, ratings=ratings, promoters=scores)


def _contacts(world: World) -> None:
    c = world.customers
    for customer, kind, when, outcome in (
        (c["e1"], InteractionKind.CALL, at(2026, 11, 3), InteractionOutcome.RESOLVED),
        (c["e1"], InteractionKind.VISIT, at(2026, 10, 20), InteractionOutcome.RESOLVED),
        (c["e2"], InteractionKind.VISIT, at(2026, 10, 12), InteractionOutcome.RESOLVED),
        (c["e2"], InteractionKind.CALL, at(2026, 11, 6), InteractionOutcome.NO_ANSWER),
        (c["s1"], InteractionKind.CALL, at(2026, 11, 10), InteractionOutcome.RESOLVED),
        (c["e3"], InteractionKind.CALL, at(2026, 11, 2), InteractionOutcome.RESOLVED),
        (c["s_own"], InteractionKind.CONSULTATION, at(2026, 11, 4), InteractionOutcome.OPEN),
    ):
        InteractionFactory(customer=customer, kind=kind, occurred_at=when, outcome=outcome)


def _alerts(world: World) -> None:
    c = world.customers
    rule = risk_rule()
    common = {"rule": rule, "severity": "normal"}
    RiskAlert.objects.create(
        customer=c["e1"], created_at=at(2026, 11, 18, 9), due_at=at(2026, 11, 19, 9), **common
    )
    RiskAlert.objects.create(
        customer=c["e3"],
        created_at=at(2026, 10, 25),
        due_at=at(2026, 10, 26),
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_at=at(2026, 10, 25, 12),
        **common,
    )
    RiskAlert.objects.create(
        customer=c["e4"],
        created_at=at(2026, 10, 20),
        due_at=at(2026, 10, 21),
        status=AlertStatus.RESOLVED,
        resolved_at=at(2026, 11, 5),
        resolution_note="回访后客户满意",
        **common,
    )
    RiskAlert.objects.create(
        customer=c["s2"],
        created_at=at(2026, 11, 19),
        due_at=at(2026, 11, 21),
        assigned_to=world.staff,
        **common,
    )
    RiskAlert.objects.create(
        customer=c["n1"], created_at=at(2026, 11, 10), due_at=at(2026, 11, 11), **common
    )


def _sms(campaign, customer, body, status, sent_at, **fields):
    return message(
        campaign,
        customer,
        DeliveryChannel.SMS,
        status=status,
        occasion=sent_at.date(),
        due_on=sent_at.date(),
        planned_on=sent_at.date(),
        send_after=sent_at,
        sent_at=sent_at if status != MessageStatus.FAILED else None,
        body=body,
        **fields,
    )


def _campaigns(world: World) -> None:
    c = world.customers
    ce = CampaignFactory(
        department=world.east,
        name="双十一答谢",
        kind=CampaignKind.ONE_OFF,
        status=CampaignStatus.FINISHED,
        send_at=at(2026, 11, 2),
        owner=world.manager,
        created_by=world.manager,
    )
    cs = CampaignFactory(
        department=world.south,
        name="华南回访",
        kind=CampaignKind.ONE_OFF,
        status=CampaignStatus.FINISHED,
        send_at=at(2026, 11, 13),
        owner=world.staff,
        created_by=world.staff,
    )
    cb = CampaignFactory(
        department=world.east,
        name="生日祝福",
        kind=CampaignKind.BIRTHDAY,
        days_before=0,
        status=CampaignStatus.ACTIVE,
        owner=world.manager,
        created_by=world.manager,
    )
    world.campaigns = {"CE": ce, "CS": cs, "CB": cb}
    sent = at(2026, 11, 2)
    _sms(ce, c["e1"], SMS_ONE_PART, MessageStatus.DELIVERED, sent, replied_at=at(2026, 11, 2, 12))
    _sms(ce, c["e2"], SMS_TWO_PARTS, MessageStatus.DELIVERED, sent, unsubscribed_at=at(2026, 11, 3))
    message(
        ce,
        c["e3"],
        DeliveryChannel.EMAIL,
        status=MessageStatus.SENT,
        occasion=sent.date(),
        due_on=sent.date(),
        planned_on=sent.date(),
        send_after=sent,
        sent_at=sent,
        opened_at=at(2026, 11, 2, 15),
        clicked_at=at(2026, 11, 2, 15, 5),
        body="双十一答谢",
    )
    _sms(ce, c["e4"], SMS_ONE_PART, MessageStatus.FAILED, sent)
    message(
        ce,
        c["e5"],
        DeliveryChannel.EMAIL,
        status=MessageStatus.SENT,
        occasion=dt.date(2026, 10, 30),
        due_on=dt.date(2026, 10, 30),
        planned_on=dt.date(2026, 10, 30),
        send_after=at(2026, 10, 30),
        sent_at=at(2026, 10, 30),
        body="十月问候",
    )
    for customer in (c["s_own"], c["s1"]):
        _sms(cs, customer, SMS_GSM, MessageStatus.DELIVERED, at(2026, 11, 13))


def _events(world: World) -> None:
    east, south = world.east, world.south
    ev1 = EventFactory(
        department=east, owner=world.manager, title="年终VIP答谢晚宴",
        starts_at=at(2026, 12, 5, 18), status=EventStatus.APPROVED,
    )  # fmt: skip
    ev2 = EventFactory(
        department=east, title="理财讲座", starts_at=at(2026, 11, 25, 14), status=EventStatus.OPEN
    )
    ev3 = EventFactory(department=east, title="春季家庭日", starts_at=at(2027, 2, 1, 10))
    ev4 = EventFactory(
        department=east, title="取消的沙龙", starts_at=at(2026, 12, 1, 18),
        status=EventStatus.CANCELLED,
    )  # fmt: skip
    ev5 = EventFactory(
        department=south, owner=world.staff, title="华南客户沙龙", starts_at=at(2026, 12, 10, 15)
    )
    ev6 = EventFactory(
        department=east, title="秋季品鉴会", starts_at=at(2026, 11, 10, 18),
        status=EventStatus.APPROVED,
    )  # fmt: skip
    plan = BudgetPlanFactory(
        department=east, owner_kind="event", owner_id=ev1.pk, created_by=world.manager
    )
    line = BudgetLineFactory(plan=plan, amount=Decimal("10000.00"))
    plan_recalculate(plan)
    ExpenseFactory(line=line, amount=Decimal("2750.00"))
    world.events = {"EV1": ev1, "EV2": ev2, "EV3": ev3, "EV4": ev4, "EV5": ev5, "EV6": ev6}
