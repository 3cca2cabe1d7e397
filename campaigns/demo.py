"""Demo campaigns for ``manage.py seed_demo``: a birthday programme reviewed by marketing
and customer service and approved, a Mid-Autumn greeting waiting for review, developers'
day, a win-back trigger in draft, a few templates — then today's touches are prepared."""

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from campaigns.models import CampaignStatus, CareCampaign, CompanyDay, ContentTemplate
from campaigns.services.approval import campaign_approve, campaign_review, campaign_submit
from campaigns.services.campaigns import (
    campaign_content_set,
    campaign_create,
    coupon_batch_set,
)
from campaigns.services.library import company_day_save, content_template_save
from campaigns.services.recommendations import affinity_rebuild
from campaigns.services.touches import touches_prepare
from carecrm.accounts.models import Role, User

BACKUP_PLAN = (
    "投诉：客服中心24小时内回电致歉，高风险客户12小时内；暂停对该客户的本活动触达。\n"
    "退订：立即停止所有营销短信/邮件，在客户档案中记录退订渠道。"
)
BIRTHDAY_SMS = (
    "【悦享生活】{name}{title}，提前祝您生日快乐！送您{coupon_value}无门槛生日券，"
    "券码{coupon_code}，{coupon_expires}前有效。回T退订"
)
BIRTHDAY_CALL = (
    "致电{name}{title}：祝生日快乐，提醒生日券{coupon_code}，"
    "了解近期使用体验，推荐{recommendation}。"
)
MID_AUTUMN_SMS = (
    "【悦享生活】{name}{title}，{occasion}将至，月圆人团圆！门店活动预告：{event_link} 回T退订"
)
WINBACK_SMS = "【悦享生活】{name}，好久不见！为您准备了{coupon_value}回归礼券{coupon_code}。回T退订"


def _staff_and_managers(options: dict) -> tuple[dict[str, User], dict[str, User]]:
    """First staff member and first manager per department code."""
    users = options.get("users") or User.objects.select_related("department")
    staff, managers = {}, {}
    for user in users:
        if not user.department_id:
            continue
        code = user.department.code
        target = managers if user.role == Role.MANAGER else staff
        target.setdefault(code, user)
    return staff, managers


def seed_campaigns(*, rng: random.Random, options: dict, stdout) -> None:
    staff, managers = _staff_and_managers(options)
    codes = [code for code in staff if code in managers]
    if not codes:
        stdout.write("Campaigns: no department with both staff and a manager; skipped.")
        return
    home = "east-sales" if "east-sales" in codes else sorted(codes)[0]
    author, approver = staff[home], managers[home]
    reviewers = [managers[code] for code in ("marketing", "service-center") if code in managers]
    today = timezone.localdate()

    birthday = campaign_create(
        user=author,
        fields={
            "name": "会员生日关怀",
            "description": "生日前3天短信祝福并赠送20元无门槛券；VIP由专属客户经理电话问候。",
            "kind": "birthday",
            "days_before": 3,
            "goal_metric": "repurchase_rate",
            "goal_baseline": Decimal("32.00"),
            "goal_target": Decimal("37.00"),
            "goal_deadline": today + dt.timedelta(days=180),
            "backup_plan": BACKUP_PLAN,
            "channel_strategy": "all",
        },
        review_departments=[r.department for r in reviewers],
    )
    campaign_content_set(campaign=birthday, user=author, channel="sms", body=BIRTHDAY_SMS)
    campaign_content_set(campaign=birthday, user=author, channel="phone", body=BIRTHDAY_CALL)
    coupon_batch_set(
        campaign=birthday, user=author, name="生日无门槛券", value=Decimal("20"), valid_days=30
    )
    campaign_submit(campaign=birthday, user=author)
    for reviewer in reviewers:
        if reviewer.department_id != approver.department_id:
            campaign_review(campaign=birthday, user=reviewer, decision="approved", comment="合规")
    campaign_approve(campaign=birthday, user=approver, comment="同意执行")

    mid_autumn = campaign_create(
        user=author,
        fields={
            "name": "中秋节问候",
            "kind": "holiday",
            "holiday_source": "festival",
            "festival": "mid_autumn",
            "days_before": 2,
            "goal_metric": "response_rate",
            "goal_target": Decimal("8.00"),
            "backup_plan": BACKUP_PLAN,
            "event_link": "https://example.cn/mid-autumn",
        },
    )
    campaign_content_set(campaign=mid_autumn, user=author, channel="sms", body=MID_AUTUMN_SMS)
    campaign_submit(campaign=mid_autumn, user=author)

    developers_day = company_day_save(
        user=author,
        day=CompanyDay(),
        fields={
            "name": "程序员节",
            "kind": "industry",
            "month": 10,
            "day": 24,
            "department": author.department,
        },
    )
    campaign_create(
        user=author,
        fields={
            "name": "程序员节客户问候",
            "kind": "holiday",
            "holiday_source": "company_day",
            "company_day": developers_day,
            "days_before": 0,
            "goal_metric": "activity_rate",
            "goal_target": Decimal("10.00"),
        },
    )
    winback = campaign_create(
        user=author,
        fields={
            "name": "流失预警挽回",
            "kind": "trigger",
            "trigger": "churn_risk",
            "trigger_delay_days": 1,
            "goal_metric": "churn_rate",
            "goal_baseline": Decimal("18.00"),
            "goal_target": Decimal("13.00"),
            "backup_plan": BACKUP_PLAN,
        },
    )
    campaign_content_set(campaign=winback, user=author, channel="sms", body=WINBACK_SMS)
    coupon_batch_set(
        campaign=winback,
        user=author,
        name="回归礼券",
        value=Decimal("30"),
        min_spend=Decimal("199"),
        valid_days=14,
    )
    for name, channel, body in (
        ("生日祝福短信", "sms", BIRTHDAY_SMS),
        ("节日问候短信", "sms", MID_AUTUMN_SMS),
        ("回访电话脚本", "phone", "致电{name}{title}，了解产品使用情况，记录改进建议。"),
    ):
        content_template_save(
            user=author,
            template=ContentTemplate(),
            fields={
                "name": name,
                "channel": channel,
                "body": body,
                "department": author.department,
            },
        )
    pairs = affinity_rebuild()
    prepared = touches_prepare(on=today)
    approved = CareCampaign.objects.filter(status=CampaignStatus.ACTIVE).count()
    stdout.write(
        f"Campaigns: 4 campaigns ({approved} running), {pairs} product pairs, "
        f"{prepared.coupons} coupons and {prepared.tasks} care tasks for today."
    )
