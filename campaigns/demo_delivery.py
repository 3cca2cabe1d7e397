"""Demo delivery history for ``manage.py seed_demo`` (after the campaigns seeder): a weekly
member-day campaign on SMS and email next to the birthday programme, the touches of the
last two weeks and today dispatched day by day, the past ones sent through the file
backend and then followed the way receipts, opens, clicks and replies would — so the
message logs, campaign metrics and operations page have something to show."""

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone

from campaigns.demo import BACKUP_PLAN
from campaigns.models import (
    CareCampaign,
    CouponBatch,
    DeliveryChannel,
    MessageEvent,
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    QuietHours,
    Unsubscribe,
    UnsubscribeSource,
)
from campaigns.selectors.due import due_campaigns, due_occurrences, local_zone
from campaigns.selectors.recurrence import WEEKDAY_CODES
from campaigns.services.approval import campaign_approve, campaign_submit
from campaigns.services.campaigns import campaign_content_set, campaign_create
from campaigns.services.coupons import coupons_issue
from campaigns.services.dispatch import touches_dispatch
from carecrm.accounts.models import Role, User
from carecrm.core.registry import register_demo_seeder
from customers.models import ConsentMethod
from customers.services.records import consent_set
from delivery.services.sending import messages_send

HISTORY_DAYS = 14
MEMBER_DAY_SMS = (
    "【悦享生活】{name}{title}，本周会员日全场9折，另有新品试饮，详情 {event_link} 回T退订"
)
MEMBER_DAY_SUBJECT = "{name}，本周会员日为您准备了专属礼遇"
MEMBER_DAY_TEXT = "{name}{title}您好：本周会员日全场9折，另有新品试饮。详情 {event_link}"
MEMBER_DAY_HTML = (
    "<p>{name}{title}您好：</p><p>本周会员日全场9折，另有新品试饮。</p>"
    '<p><a href="https://example.cn/member-day">查看会员日活动</a></p>'
)
# What happens after a message reaches the provider: share of sent messages per outcome.
OUTCOMES = {
    DeliveryChannel.SMS: {"delivered": 0.93, "failed": 0.05, "bounced": 0.0},
    DeliveryChannel.EMAIL: {"delivered": 0.9, "failed": 0.02, "bounced": 0.05},
}
ENGAGEMENT = {  # shares of delivered messages
    DeliveryChannel.SMS: {"clicked": 0.07, "replied": 0.03, "opened": 0.0},
    DeliveryChannel.EMAIL: {"opened": 0.38, "clicked": 0.09, "replied": 0.01},
}
FAILURES = {
    DeliveryChannel.SMS: [
        ("isv.MOBILE_NUMBER_ILLEGAL", "号码格式不正确"),
        ("isv.BUSINESS_LIMIT_CONTROL", "触发运营商流控"),
        ("UNDELIV", "用户停机或空号"),
    ],
    DeliveryChannel.EMAIL: [("550", "5.1.1 mailbox unavailable"), ("552", "mailbox full")],
}
REPLIES = ["谢谢，已收到", "好的", "周末去门店看看", "这个活动到哪天结束？"]


def _member_day_campaign(author: User, approver: User, today: dt.date) -> CareCampaign:
    campaign = campaign_create(
        user=author,
        fields={
            "name": "每周会员日关怀",
            "description": "每周会员日通过短信或邮件（按客户偏好）提醒本周礼遇。",
            "kind": "recurring",
            "recurrence": "rrule",
            # the member day: the start date's weekday, said outright so the form shows it
            "rrule": "FREQ=WEEKLY;BYDAY="
            + WEEKDAY_CODES[(today - dt.timedelta(days=HISTORY_DAYS)).weekday()],
            "starts_on": today - dt.timedelta(days=HISTORY_DAYS),
            "days_before": 0,
            "channel_strategy": "preferred",
            "goal_metric": "activity_rate",
            "goal_target": Decimal("12.00"),
            "backup_plan": BACKUP_PLAN,
            "event_link": "https://example.cn/member-day",
        },
    )
    campaign_content_set(campaign=campaign, user=author, channel="sms", body=MEMBER_DAY_SMS)
    campaign_content_set(
        campaign=campaign,
        user=author,
        channel="email",
        subject=MEMBER_DAY_SUBJECT,
        body=MEMBER_DAY_TEXT,
        html_body=MEMBER_DAY_HTML,
    )
    campaign_submit(campaign=campaign, user=author)
    return campaign_approve(campaign=campaign, user=approver, comment="同意")


def _issue_coupons(day: dt.date) -> None:
    """What the daily prepare task would have issued that day (care tasks are left out:
    two weeks of them would all be open now)."""
    for campaign in due_campaigns():
        try:
            batch = campaign.coupon_batch
        except CouponBatch.DoesNotExist:
            continue
        for occurrence, customers in due_occurrences(campaign, day):
            coupons_issue(batch=batch, occurrence=occurrence.occasion, customers=customers)


def _pick(rng: random.Random, ids: list[int], share: float) -> list[int]:
    return rng.sample(ids, round(len(ids) * share))


def _events(pks, kind: str, offset: dt.timedelta, field: str = "sent_at", **detail) -> None:
    MessageEvent.objects.bulk_create(
        [
            MessageEvent(message_id=pk, kind=kind, at=at + offset, detail=detail)
            for pk, at in OutboxMessage.objects.filter(pk__in=pks).values_list("pk", field)
        ],
        batch_size=1000,
    )


def _follow(rng: random.Random, sent: list[int], channel: str) -> dict[str, int]:
    """Receipts, failures, opens, clicks and replies for the sent messages of a channel,
    with timestamps after each message's send time — one UPDATE per outcome."""
    counts: dict[str, int] = defaultdict(int)
    remaining = list(sent)
    rng.shuffle(remaining)
    shares = OUTCOMES[channel]
    failed = remaining[: round(len(sent) * shares["failed"])]
    bounced = remaining[len(failed) : len(failed) + round(len(sent) * shares["bounced"])]
    delivered = remaining[len(failed) + len(bounced) :]
    for index, (code, reason) in enumerate(FAILURES[channel]):
        chunk = failed[index :: len(FAILURES[channel])]
        counts["failed"] += OutboxMessage.objects.filter(pk__in=chunk).update(
            status=MessageStatus.FAILED,
            failed_at=F("sent_at") + dt.timedelta(seconds=20),
            error=reason,
            error_code=code,
        )
        _events(chunk, MessageEventKind.FAILED, dt.timedelta(seconds=20), code=code, error=reason)
    counts["bounced"] = OutboxMessage.objects.filter(pk__in=bounced).update(
        status=MessageStatus.BOUNCED,
        failed_at=F("sent_at") + dt.timedelta(minutes=2),
        error="5.1.1 user unknown",
        error_code="bounce",
    )
    _events(bounced, MessageEventKind.BOUNCED, dt.timedelta(minutes=2))
    for seconds, chunk in ((6, delivered[0::2]), (15, delivered[1::2])):
        counts["delivered"] += OutboxMessage.objects.filter(pk__in=chunk).update(
            status=MessageStatus.DELIVERED,
            delivered_at=F("sent_at") + dt.timedelta(seconds=seconds),
        )
        _events(chunk, MessageEventKind.DELIVERED, dt.timedelta(seconds=seconds))
    engagement = ENGAGEMENT[channel]
    opened = _pick(rng, delivered, engagement["opened"])
    for minutes, chunk in ((12, opened[0::3]), (95, opened[1::3]), (600, opened[2::3])):
        OutboxMessage.objects.filter(pk__in=chunk).update(
            opened_at=F("sent_at") + dt.timedelta(minutes=minutes), open_count=1 + len(chunk) % 3
        )
        _events(chunk, MessageEventKind.OPENED, dt.timedelta(minutes=minutes))
    counts["opened"] = len(opened)
    clicked = _pick(rng, opened or delivered, engagement["clicked"] / (engagement["opened"] or 1))
    for minutes, chunk in ((14, clicked[0::2]), (130, clicked[1::2])):
        OutboxMessage.objects.filter(pk__in=chunk).update(
            clicked_at=F("sent_at") + dt.timedelta(minutes=minutes), click_count=1
        )
        _events(chunk, MessageEventKind.CLICKED, dt.timedelta(minutes=minutes))
    counts["clicked"] = len(clicked)
    replied = _pick(rng, delivered, engagement["replied"])
    for index, text in enumerate(REPLIES):
        chunk = replied[index :: len(REPLIES)]
        OutboxMessage.objects.filter(pk__in=chunk).update(
            replied_at=F("sent_at") + dt.timedelta(minutes=30 + index * 17)
        )
        _events(chunk, MessageEventKind.REPLIED, dt.timedelta(minutes=30 + index * 17), text=text)
    counts["replied"] = len(replied)
    return counts


def _unsubscribe(rng: random.Random, delivered: list[int], user: User | None) -> int:
    """A few customers opt out: SMS by replying TD, email through the link."""
    chosen = OutboxMessage.objects.filter(pk__in=_pick(rng, delivered, 0.006)).select_related(
        "customer"
    )
    done = 0
    for message in chosen:
        if Unsubscribe.objects.filter(customer=message.customer, channel=message.channel).exists():
            continue
        at = message.sent_at + dt.timedelta(hours=2)
        by_reply = message.channel == DeliveryChannel.SMS
        Unsubscribe.objects.create(
            customer=message.customer,
            channel=message.channel,
            source=UnsubscribeSource.REPLY if by_reply else UnsubscribeSource.LINK,
            message=message,
            note="TD" if by_reply else "",
        )
        consent_set(
            customer=message.customer,
            channel=message.channel,
            granted=False,
            method=ConsentMethod.REPLY if by_reply else ConsentMethod.UNSUBSCRIBE_LINK,
            user=user,
            at=at,
        )
        OutboxMessage.objects.filter(pk=message.pk).update(unsubscribed_at=at)
        MessageEvent.objects.create(message=message, kind=MessageEventKind.UNSUBSCRIBED, at=at)
        done += 1
    return done


def seed_delivery(*, rng: random.Random, options: dict, stdout) -> None:
    users = options.get("users") or list(User.objects.select_related("department"))
    author = next((u for u in users if u.role == Role.STAFF and u.department_id), None)
    approver = next(
        (
            u
            for u in users
            if u.role == Role.MANAGER and author and u.department_id == author.department_id
        ),
        None,
    )
    if author is None or approver is None or not CareCampaign.objects.exists():
        stdout.write("Delivery: no campaigns to deliver; skipped.")
        return
    today = timezone.localdate()
    _member_day_campaign(author, approver, today)
    # Sent on their day at the campaign's send time: the quiet hours of the moment the
    # demo is seeded do not apply to history.
    quiet = list(QuietHours.objects.filter(active=True).values_list("pk", flat=True))
    QuietHours.objects.filter(pk__in=quiet).update(active=False)
    folder = settings.DELIVERY_FILE_DIR
    channels = {
        channel: {**options_, "BACKEND": "file", "DIR": folder}
        for channel, options_ in settings.DELIVERY_CHANNELS.items()
    }
    dispatched = 0
    with override_settings(DELIVERY_CHANNELS=channels):
        for back in range(HISTORY_DAYS, -1, -1):
            day = today - dt.timedelta(days=back)
            _issue_coupons(day)
            result = touches_dispatch(on=day)
            dispatched += result.queued + result.suppressed_total
            OutboxMessage.objects.filter(due_on=day).update(
                created_at=F("send_after") - dt.timedelta(hours=2)
            )
            due = OutboxMessage.objects.filter(
                status=MessageStatus.QUEUED, send_after__lte=timezone.now()
            )
            if due.exists():
                messages_send(seconds=300)
    QuietHours.objects.filter(pk__in=quiet).update(active=True)

    # Earlier days' messages went out within minutes of their planned time and have been
    # followed since; today's were just sent and wait for receipts.
    sent = OutboxMessage.objects.filter(status=MessageStatus.SENT, due_on__lt=today)
    ids = list(sent.values_list("pk", flat=True))
    for minute in range(5):
        chunk = [pk for pk in ids if pk % 5 == minute]
        OutboxMessage.objects.filter(pk__in=chunk).update(
            sent_at=F("send_after") + dt.timedelta(minutes=minute, seconds=7)
        )
    totals: dict[str, int] = defaultdict(int)
    for channel in OUTCOMES:
        channel_ids = list(sent.filter(channel=channel).values_list("pk", flat=True))
        for name, count in _follow(rng, channel_ids, channel).items():
            totals[name] += count
    delivered = list(
        OutboxMessage.objects.filter(status=MessageStatus.DELIVERED).values_list("pk", flat=True)
    )
    totals["unsubscribed"] = _unsubscribe(rng, delivered, None)
    queued = OutboxMessage.objects.filter(status=MessageStatus.QUEUED).count()
    local = timezone.localtime(timezone.now(), local_zone())
    stdout.write(
        f"Delivery: {dispatched} touches dispatched over {HISTORY_DAYS + 1} days "
        f"({queued} still queued at {local:%H:%M}), "
        + ", ".join(f"{count} {name}" for name, count in totals.items())
        + "."
    )


register_demo_seeder(70, seed_delivery)
