"""What a manager reads on the review page: every field under its label with the value as
users see it (choice labels, names, the schedule in words), what changed since the round
the reviewers last decided on (before → after, changed fields only), and each channel's
message as a sample customer receives it."""

from dataclasses import dataclass, field

from django.db.models import Model
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from campaigns.content import PLACEHOLDER_PATTERN, PLACEHOLDERS, RenderedMessage, check_content
from campaigns.models import (
    CampaignContent,
    CampaignKind,
    CampaignReview,
    CampaignVersion,
    CareCampaign,
    CareKind,
    ChannelStrategy,
    CouponBatch,
    GoalMetric,
    Priority,
    ReviewDecision,
    TouchChannel,
    VersionKind,
)
from campaigns.selectors.personalise import (
    message_values,
    preview_customers,
    preview_occurrence,
    render_for,
)
from campaigns.selectors.schedule import describe_schedule
from campaigns.selectors.sms_cost import SmsCost
from campaigns.selectors.versions import campaign_snapshot
from customers.models import Customer

EMPTY = "—"


@dataclass(frozen=True)
class ReviewField:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class FieldChange:
    key: str
    label: str
    before: str
    after: str


@dataclass
class ReviewComparison:
    """``baseline``: the version reviewers last decided on (None: nothing was ever
    reviewed); ``decision``: that round's last decision, with its comment."""

    fields: list[ReviewField]
    baseline: CampaignVersion | None = None
    decision: CampaignReview | None = None
    changed: list[FieldChange] = field(default_factory=list)
    unchanged: list[ReviewField] = field(default_factory=list)

    @property
    def first_submission(self) -> bool:
        return self.baseline is None


def _label(model: type[Model], name: str) -> str:
    return str(capfirst(model._meta.get_field(name).verbose_name))


def _choice(choices, value) -> str:
    if value in (None, ""):
        return EMPTY
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _text(value) -> str:
    if value is None:
        return EMPTY
    text = str(value).strip()
    return text or EMPTY


def _names(values, empty: str = EMPTY) -> str:
    return "、".join(values) if values else empty


def snapshot_fields(snapshot: dict) -> list[ReviewField]:
    """A version's snapshot (``campaign_snapshot``) as labelled display values, in the
    order of the campaign form."""
    c = CareCampaign
    goal = snapshot.get("goal") or {}
    audience = snapshot.get("audience") or {}
    kind = snapshot.get("kind") or ""
    rows = [
        ("name", _label(c, "name"), _text(snapshot.get("name"))),
        ("description", _label(c, "description"), _text(snapshot.get("description"))),
        ("kind", _label(c, "kind"), _choice(CampaignKind, kind)),
        ("care_kind", _label(c, "care_kind"), _choice(CareKind, snapshot.get("care_kind"))),
        ("priority", _label(c, "priority"), _choice(Priority, snapshot.get("priority"))),
        ("owner", _label(c, "owner"), _text(snapshot.get("owner"))),
        (
            "department",
            _label(c, "department"),
            _text(audience.get("department")) if audience.get("department") else _("Company-wide"),
        ),
        ("goal_metric", _label(c, "goal_metric"), _choice(GoalMetric, goal.get("metric"))),
        ("goal_baseline", _label(c, "goal_baseline"), _text(goal.get("baseline"))),
        ("goal_target", _label(c, "goal_target"), _text(goal.get("target"))),
        ("goal_deadline", _label(c, "goal_deadline"), _text(goal.get("deadline"))),
        (
            "include_segments",
            _label(c, "include_segments"),
            _names(audience.get("include"), _("None: every customer of the department")),
        ),
        ("exclude_segments", _label(c, "exclude_segments"), _names(audience.get("exclude"))),
        (
            "channel_strategy",
            _label(c, "channel_strategy"),
            _choice(ChannelStrategy, audience.get("channel_strategy")),
        ),
        ("schedule", _("Schedule"), describe_schedule(kind, snapshot.get("schedule") or {})),
        (
            "review_departments",
            _label(c, "review_departments"),
            _names(snapshot.get("review_departments")),
        ),
        ("backup_plan", _label(c, "backup_plan"), _text(snapshot.get("backup_plan"))),
        ("event_link", _label(c, "event_link"), _text(snapshot.get("event_link"))),
    ]
    parts = {
        "subject": _label(CampaignContent, "subject"),
        "body": _label(CampaignContent, "body"),
        "html_body": _label(CampaignContent, "html_body"),
    }
    for content in snapshot.get("content") or []:
        channel = content.get("channel") or ""
        for part, part_label in parts.items():
            if content.get(part):
                rows.append(
                    (
                        f"content.{channel}.{part}",
                        f"{_choice(TouchChannel, channel)} · {part_label}",
                        _text(content[part]),
                    )
                )
    coupon = snapshot.get("coupon")
    coupon_label = str(capfirst(CouponBatch._meta.verbose_name))
    if coupon:
        for name in ("name", "value", "min_spend", "valid_days", "expires_on"):
            value = coupon.get(name)
            if name in ("value", "min_spend") and value not in (None, ""):
                value = f"¥{value}"
            rows.append(
                (
                    f"coupon.{name}",
                    f"{coupon_label} · {_label(CouponBatch, name)}",
                    _text(value),
                )
            )
    else:
        rows.append(("coupon", coupon_label, _("none")))
    return [ReviewField(key, label, value) for key, label, value in rows]


def last_reviewed_version(
    campaign: CareCampaign,
) -> tuple[CampaignVersion | None, CampaignReview | None]:
    """The version of the last round reviewers decided on (an approval or a request for
    changes) before the current one, and that decision."""
    decision = (
        CampaignReview.objects.filter(campaign=campaign, review_round__lt=campaign.review_round)
        .select_related("reviewer", "department")
        .order_by("-review_round", "-created_at", "-id")
        .first()
    )
    if decision is None:
        # No review yet, but an approved version (e.g. made before reviews were kept).
        approved = (
            CampaignVersion.objects.filter(campaign=campaign, kind=VersionKind.APPROVED)
            .order_by("-number")
            .first()
        )
        return approved, None
    if decision.decision == ReviewDecision.CHANGES_REQUESTED:
        # Rounds after a request for changes end at the first "changes" of the round.
        decision = (
            CampaignReview.objects.filter(
                campaign=campaign,
                review_round=decision.review_round,
                decision=ReviewDecision.CHANGES_REQUESTED,
            )
            .select_related("reviewer", "department")
            .order_by("-created_at", "-id")
            .first()
        )
    version = (
        CampaignVersion.objects.filter(campaign=campaign, review_round=decision.review_round)
        .order_by("-number")
        .first()
    )
    return version, decision


def review_comparison(campaign: CareCampaign) -> ReviewComparison:
    """The campaign as it is now, field by field, against the last reviewed version."""
    current = snapshot_fields(campaign_snapshot(campaign))
    baseline, decision = last_reviewed_version(campaign)
    comparison = ReviewComparison(fields=current, baseline=baseline, decision=decision)
    if baseline is None:
        return comparison
    before = {f.key: f for f in snapshot_fields(baseline.snapshot)}
    after = {f.key: f for f in current}
    for key, now in after.items():
        old = before.get(key)
        if old is None or old.value != now.value:
            comparison.changed.append(
                FieldChange(key, now.label, old.value if old else EMPTY, now.value)
            )
        else:
            comparison.unchanged.append(now)
    for key, old in before.items():
        if key not in after:
            comparison.changed.append(FieldChange(key, old.label, old.value, EMPTY))
    return comparison


@dataclass(frozen=True)
class ChannelPreview:
    content: CampaignContent
    rendered: RenderedMessage | None
    check: object
    empty: list[str]
    sms_cost: SmsCost | None


def channel_previews(
    campaign: CareCampaign, user, *, sms_cost: SmsCost | None
) -> tuple[Customer | None, list[ChannelPreview]]:
    """Each channel's message as the first customer the user may preview with receives
    it (the SMS with its length and parts as sent: ``sms_cost``), with the checks."""
    customer = next(iter(preview_customers(campaign, user, limit=1)), None)
    values = None
    if customer is not None:
        occurrence = preview_occurrence(campaign, customer, timezone.localdate())
        values = message_values(campaign, occurrence, [customer], preview=True)[customer.pk]
    previews = []
    for content in campaign.contents.all():
        rendered = render_for(content, values) if values is not None else None
        is_sms = content.channel == TouchChannel.SMS
        used = {
            match.group(1)
            for text in (content.subject, content.body, content.html_body)
            for match in PLACEHOLDER_PATTERN.finditer(text)
        }
        empty = (
            sorted(f"{{{name}}}" for name in used & set(PLACEHOLDERS) if not values.get(name))
            if values
            else []
        )
        check = check_content(
            channel=content.channel,
            subject=content.subject,
            body=content.body,
            html_body=content.html_body,
            values=values,
            longest_values=sms_cost.longest_values if sms_cost and is_sms else None,
        )
        previews.append(
            ChannelPreview(content, rendered, check, empty, sms_cost if is_sms else None)
        )
    return customer, previews
