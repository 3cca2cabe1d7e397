"""Demo events for ``manage.py seed_demo``: per department a banquet in draft with its
budget (the care programme's example: ¥46,200.00), a seminar approved and open for RSVPs,
a family day held last week and a cancelled lottery — each with goals, the generated
timeline, a team and tasks."""

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from budgets.models import AnnualBudget, LineCategory, PlanStatus
from budgets.selectors.plans import plan_cap_check
from budgets.services.expenses import expense_add
from budgets.services.plans import (
    line_add,
    plan_approve,
    plan_approve_over_cap,
    plan_submit,
)
from carecrm.accounts.models import Role, User
from events.models import EventTask, GoalMetric, TaskStatus, TeamRole
from events.services.events import (
    event_approve,
    event_budget_ensure,
    event_cancel,
    event_create,
    event_open,
    events_mark_held,
)
from events.services.tasks import task_save, team_member_add
from segmentation.models import Segment, SegmentKind
from segmentation.selectors import visible_segments
from segmentation.services.segments import segment_save

HIGH_VALUE_RULES = {
    "match": "all",
    "conditions": [{"field": "value_tier", "op": "in", "value": ["high"]}],
}

# (category, description, unit price, quantity or None for a lump sum)
EXAMPLE_LINES = [
    (LineCategory.VENUE, "宴会厅场地及设备", Decimal("8000"), None),
    (LineCategory.MATERIALS, "物料：邀请函、背景板、资料袋", Decimal("5000"), None),
    (LineCategory.GIFTS, "定制伴手礼", Decimal("12000"), None),
    (LineCategory.PERSONNEL, "主持及礼仪人员", Decimal("3000"), None),
    (LineCategory.CATERING, "餐饮（每位）", Decimal("200"), Decimal("50")),
    (LineCategory.CATERING, "茶歇", Decimal("2000"), None),
    (LineCategory.PROMOTION, "活动推广", Decimal("2000"), None),
]


def _people(options: dict) -> dict[int, dict[str, list[User]]]:
    users = options.get("users") or User.objects.select_related("department")
    by_department: dict[int, dict[str, list[User]]] = {}
    for user in users:
        if user.department_id and user.is_active:
            roles = by_department.setdefault(user.department_id, {"staff": [], "manager": []})
            roles["manager" if user.role == Role.MANAGER else "staff"].append(user)
    return by_department


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _budget(event, author, *, approved_by=None, admin=None):
    """The care programme's example budget, typed in and — for an event that goes ahead —
    submitted and approved through the budget services, by an admin too where it is above
    the department's share cap (as it is in a small department)."""
    plan = event_budget_ensure(event=event, user=author)
    if not plan.lines.exists():
        for category, description, price, quantity in EXAMPLE_LINES:
            data = {"category": category, "description": description}
            if quantity is None:
                data["lump_sum"] = price
            else:
                data.update(unit_price=price, quantity=quantity)
            line_add(plan=plan, user=author, data=data)
    if approved_by is not None and plan.status != PlanStatus.APPROVED:
        plan = plan_submit(plan=plan, user=author)
        plan = plan_approve(plan=plan, user=approved_by)
        if plan_cap_check(plan).over_cap and admin is not None:
            plan = plan_approve_over_cap(
                plan=plan, user=admin, comment="重点客户活动，同意超出单场占比上限。"
            )
    return plan


def _spend(plan, user, rng: random.Random, day: dt.date, share: float) -> None:
    """Expenses booked against the plan's lines: about ``share`` of each line, paid on
    ``day`` — so the budget pages show actual spend, variance and a cost per attendee."""
    payees = {
        LineCategory.VENUE: "上海香格里拉大酒店",
        LineCategory.MATERIALS: "印象广告设计工作室",
        LineCategory.GIFTS: "礼享定制礼品有限公司",
        LineCategory.PERSONNEL: "星光会务服务公司",
        LineCategory.CATERING: "上海香格里拉大酒店",
        LineCategory.PROMOTION: "印象广告设计工作室",
    }
    for line in plan.lines.order_by("position"):
        amount = (line.amount * Decimal(str(share)) * Decimal(rng.randint(92, 104)) / 100).quantize(
            Decimal("0.01")
        )
        if amount > 0:
            expense_add(
                plan=plan,
                user=user,
                data={
                    "line": line,
                    "amount": amount,
                    "spent_on": day,
                    "payee": payees.get(line.category, "星光会务服务公司"),
                    "description": line.description,
                },
            )


def _team_and_tasks(event, lead, staff: list[User], rng: random.Random, today: dt.date) -> None:
    team_member_add(event=event, user=lead, member=lead, role=TeamRole.LEAD)
    roles = [TeamRole.CUSTOMER, TeamRole.PLANNING, TeamRole.EXECUTION, TeamRole.PUBLICITY]
    for index, role in enumerate(roles):
        member = staff[index % len(staff)]
        team_member_add(event=event, user=lead, member=member, role=role)
    for title, role, days, status in (
        ("确认场地合同", TeamRole.EXECUTION, -2, TaskStatus.OPEN),
        ("整理邀请名单", TeamRole.CUSTOMER, 1, TaskStatus.IN_PROGRESS),
        ("设计邀请函", TeamRole.PUBLICITY, 4, TaskStatus.OPEN),
        ("采购伴手礼", TeamRole.PLANNING, 9, TaskStatus.OPEN),
        ("拟定流程单", TeamRole.LEAD, -5, TaskStatus.DONE),
    ):
        owner = event.team.filter(role=role).first()
        task_save(
            event=event,
            user=lead,
            fields={
                "title": title,
                "role": role,
                "owner": owner.user if owner else lead,
                "due_on": today + dt.timedelta(days=days + rng.randint(0, 1)),
                "status": status,
            },
        )


def _high_value_segment(author) -> Segment:
    """The banquet's audience, for a department without segments of its own yet."""
    existing = Segment.objects.filter(department=author.department, name="高价值客户").first()
    return existing or segment_save(
        user=author,
        name="高价值客户",
        kind=SegmentKind.DYNAMIC,
        department=author.department,
        rules=HIGH_VALUE_RULES,
        description="价值分层为高价值的客户，适合答谢晚宴等高端活动。",
    )


def _goals(day: dt.date) -> list[dict]:
    deadline = day + dt.timedelta(days=14)
    return [
        {
            "metric": GoalMetric.ATTENDANCE,
            "baseline": None,
            "target": Decimal("45"),
            "deadline": deadline,
        },
        {
            "metric": GoalMetric.SATISFACTION,
            "baseline": Decimal("85"),
            "target": Decimal("92"),
            "deadline": deadline,
        },
    ]


def _make(author, segments, type_, title, day, hours, venue, *, link=""):
    start = _at(day, 18 if type_ == "banquet" else 14)
    return event_create(
        user=author,
        fields={
            "type": type_,
            "title": title,
            "description": f"{author.department.name}{title}",
            "starts_at": start,
            "ends_at": start + dt.timedelta(hours=hours),
            "venue": venue,
            "online_link": link,
            "capacity": 50,
            "department": author.department,
            "owner": author,
        },
        target_segments=segments,
        goals=_goals(day),
    )


def seed_events(*, rng: random.Random, options: dict, stdout) -> None:
    today = timezone.localdate()
    made = 0
    users = options.get("users") or User.objects.all()
    admin = next((u for u in users if u.is_active and u.role == Role.ADMIN), None)
    for _department_id, people in sorted(_people(options).items()):
        if not people["staff"] or not people["manager"]:
            continue
        author, manager = people["staff"][0], people["manager"][0]
        department = author.department
        AnnualBudget.objects.get_or_create(
            year=today.year,
            department=department,
            defaults={"allocated": Decimal("600000.00"), "created_by": manager},
        )
        AnnualBudget.objects.get_or_create(
            year=today.year + 1,
            department=department,
            defaults={"allocated": Decimal("600000.00"), "created_by": manager},
        )
        segments = list(
            visible_segments(author).filter(department=department).order_by("pk")[:2]
        ) or [_high_value_segment(author)]
        banquet = _make(
            author,
            segments,
            "banquet",
            "VIP 客户答谢晚宴",
            today + dt.timedelta(days=55),
            3,
            "香格里拉大酒店 宴会厅",
        )
        _budget(banquet, author)
        _team_and_tasks(banquet, author, people["staff"], rng, today)

        seminar = _make(
            author,
            segments,
            "seminar",
            "新品品鉴会",
            today + dt.timedelta(days=20),
            2,
            "公司培训中心 多功能厅",
        )
        seminar_plan = _budget(seminar, author, approved_by=manager, admin=admin)
        _spend(seminar_plan, author, rng, today - dt.timedelta(days=3), 0.3)
        _team_and_tasks(seminar, author, people["staff"], rng, today)
        event_approve(event=seminar, user=manager)
        event_open(event=seminar, user=manager)

        family = _make(
            author,
            segments,
            "family_day",
            "中秋亲子手作日",
            today - dt.timedelta(days=6),
            4,
            "旗舰店 体验区",
        )
        family_plan = _budget(family, author, approved_by=manager, admin=admin)
        _spend(family_plan, author, rng, today - dt.timedelta(days=8), 1.0)
        event_approve(event=family, user=manager)

        lottery = _make(
            author,
            segments,
            "lottery",
            "国庆线上抽奖",
            today + dt.timedelta(days=30),
            48,
            "",
            link="https://mp.example.cn/lottery",
        )
        event_cancel(event=lottery, user=manager, reason="与总部国庆促销档期冲突，改为合并开展。")
        made += 4
    held = events_mark_held()
    overdue = EventTask.objects.filter(due_on__lt=today).exclude(status=TaskStatus.DONE).count()
    stdout.write(f"Events: {made} events ({held} held), {overdue} overdue tasks.")
