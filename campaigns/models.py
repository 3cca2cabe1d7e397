"""Care campaigns (PRODUCT.md §3): a goal, an audience, a schedule and content per channel,
reviewed and approved before anything is due; coupons, offline care tasks and the
co-purchase table behind ``{recommendation}``.

Which customers are due on which day is computed, never stored: see
``campaigns.selectors.due``. Only coupons and care tasks are materialised, each unique per
campaign occurrence and customer, so preparing a day twice issues nothing twice.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.calendar import FESTIVALS
from carecrm.core.scoping import ScopeRule


class CampaignKind(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    HOLIDAY = "holiday", _("Holiday")
    ONE_OFF = "one_off", _("One-off")
    RECURRING = "recurring", _("Recurring")
    TRIGGER = "trigger", _("Trigger")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Finished")


# The only statuses whose touches are ever due (issue 6: nothing unapproved or paused).
DUE_STATUSES = (CampaignStatus.APPROVED, CampaignStatus.ACTIVE)
# Statuses in which content may be edited; an edit in review or after approval sends the
# campaign back to draft (see campaigns.services.campaigns).
EDITABLE_STATUSES = (
    CampaignStatus.DRAFT,
    CampaignStatus.IN_REVIEW,
    CampaignStatus.CHANGES_REQUESTED,
    CampaignStatus.APPROVED,
    CampaignStatus.ACTIVE,
    CampaignStatus.PAUSED,
)
APPROVED_STATUSES = (CampaignStatus.APPROVED, CampaignStatus.ACTIVE, CampaignStatus.PAUSED)


class GoalMetric(models.TextChoices):
    REPURCHASE_RATE = "repurchase_rate", _("Repurchase rate (%)")
    CHURN_RATE = "churn_rate", _("Churn rate (%)")
    SATISFACTION = "satisfaction", _("Satisfaction (%)")
    RESPONSE_RATE = "response_rate", _("Response rate (%)")
    REDEMPTION_RATE = "redemption_rate", _("Coupon redemption rate (%)")
    ACTIVITY_RATE = "activity_rate", _("Active customers (%)")


class Priority(models.IntegerChoices):
    """Lower sorts first when the delivery step must choose between touches."""

    HIGH = 1, _("High")
    NORMAL = 2, _("Normal")
    LOW = 3, _("Low")


class TouchChannel(models.TextChoices):
    """The values of the online channels equal ``customers.Channel``."""

    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WECOM = "wecom", _("WeCom")
    PUSH = "push", _("App push")
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit")


class OfflineChannel(models.TextChoices):
    """The channels that become care tasks (same values as in ``TouchChannel``)."""

    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit")


# Offline touches become care tasks for the customer's relationship manager.
OFFLINE_CHANNELS = (TouchChannel.PHONE, TouchChannel.VISIT)


class ChannelStrategy(models.TextChoices):
    ALL = "all", _("Every channel the customer can be reached on")
    PREFERRED = (
        "preferred",
        _("One channel: the customer's preferred one, else the first reachable in order"),
    )


class HolidaySource(models.TextChoices):
    FESTIVAL = "festival", _("Festival from the holiday calendar")
    COMPANY_DAY = "company_day", _("Company-defined day")
    CUSTOMER_ANNIVERSARY = "customer_anniversary", _("Each customer's company anniversary")


class Recurrence(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    RRULE = "rrule", _("Custom rule (RRULE)")


class TriggerKind(models.TextChoices):
    FIRST_PURCHASE = "first_purchase", _("First purchase (usage follow-up)")
    COMPLAINT_RESOLVED = "complaint_resolved", _("Complaint resolved (satisfaction check)")
    TIER_UPGRADE = "tier_upgrade", _("Tier or VIP level upgrade (congratulation)")
    CHURN_RISK = "churn_risk", _("Entered churn risk (win-back)")


FESTIVAL_CHOICES = [(festival.code, festival.name) for festival in FESTIVALS]


class CompanyDayKind(models.TextChoices):
    INDUSTRY = "industry", _("Industry or company day (every customer)")
    CUSTOMER_ANNIVERSARY = "customer_anniversary", _("A customer's company anniversary")


class CompanyDay(models.Model):
    """A day the company celebrates every year, like developers' day on 10-24 (PRODUCT §3),
    or one customer's company anniversary. 29 February falls on 28 February in other
    years, as birthdays do."""

    SCOPE = ScopeRule(department="department", owner="created_by")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=24, choices=CompanyDayKind, default=CompanyDayKind.INDUSTRY
    )
    month = models.PositiveSmallIntegerField(
        _("month"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    day = models.PositiveSmallIntegerField(
        _("day"), validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="company_days",
    )
    since_year = models.PositiveSmallIntegerField(
        _("since (year)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1800), MaxValueValidator(2200)],
        help_text=_("Founding year, to count anniversaries."),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the whole company."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("company day")
        verbose_name_plural = _("company days")
        ordering = ["month", "day", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12, day__gte=1, day__lte=31),
                name="companyday_valid_month_day",
            ),
            models.CheckConstraint(
                condition=Q(kind="industry", customer__isnull=True)
                | Q(kind="customer_anniversary", customer__isnull=False),
                name="companyday_anniversary_has_customer",
                violation_error_message=_("A customer anniversary needs a customer."),
            ),
        ]
        indexes = [models.Index(fields=["kind", "month", "day"], name="companyday_kind_date")]

    def __str__(self) -> str:
        return f"{self.name} ({self.month:02d}-{self.day:02d})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            dt.date(2000, self.month or 1, self.day or 1)  # 2000 is a leap year
        except ValueError as exc:
            raise ValidationError({"day": _("This month has no such day.")}) from exc


class CareCampaign(models.Model):
    """One care programme (PRODUCT §3): goal → audience → schedule → content → review →
    backup plan. Its touches are due only while it is approved or active."""

    SCOPE = ScopeRule(department="department", owner="owner")

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CampaignKind)
    status = models.CharField(
        _("status"), max_length=20, choices=CampaignStatus, default=CampaignStatus.DRAFT
    )
    # Goal (SMART): a metric, where it stands, where it should be, by when.
    goal_metric = models.CharField(
        _("goal metric"), max_length=20, choices=GoalMetric, default=GoalMetric.REPURCHASE_RATE
    )
    goal_baseline = models.DecimalField(
        _("baseline (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    goal_target = models.DecimalField(
        _("target (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    goal_deadline = models.DateField(_("goal deadline"), null=True, blank=True)
    # Audience: members of any included segment (all of the department's customers when
    # none is chosen), minus members of any excluded segment.
    include_segments = models.ManyToManyField(
        "segmentation.Segment",
        verbose_name=_("include segments"),
        blank=True,
        related_name="campaigns_including",
    )
    exclude_segments = models.ManyToManyField(
        "segmentation.Segment",
        verbose_name=_("exclude segments"),
        blank=True,
        related_name="campaigns_excluding",
    )
    channel_strategy = models.CharField(
        _("channels per customer"),
        max_length=10,
        choices=ChannelStrategy,
        default=ChannelStrategy.PREFERRED,
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority, default=Priority.NORMAL
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_campaigns",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text=_("The audience is limited to this department's customers."),
    )
    review_departments = models.ManyToManyField(
        "accounts.Department",
        verbose_name=_("reviews required from"),
        blank=True,
        related_name="campaigns_to_review",
        help_text=_("Each of these departments must approve before a manager's final approval."),
    )
    backup_plan = models.TextField(
        _("backup plan"),
        blank=True,
        help_text=_("What to do on complaints and unsubscribes. Required before submission."),
    )
    event_link = models.URLField(_("event link"), blank=True)

    # Schedule. All dates are local (Asia/Shanghai).
    send_time = models.TimeField(_("send time"), default=dt.time(10, 0))
    days_before = models.PositiveSmallIntegerField(
        _("days before"), default=3, validators=[MaxValueValidator(60)]
    )
    holiday_source = models.CharField(
        _("holiday"), max_length=24, choices=HolidaySource, blank=True
    )
    festival = models.CharField(_("festival"), max_length=30, choices=FESTIVAL_CHOICES, blank=True)
    company_day = models.ForeignKey(
        CompanyDay,
        verbose_name=_("company day"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    recurrence = models.CharField(_("repeats"), max_length=10, choices=Recurrence, blank=True)
    rrule = models.CharField(
        _("RRULE"),
        max_length=300,
        blank=True,
        help_text=_("e.g. FREQ=MONTHLY;BYDAY=1MO (first Monday of every month)"),
    )
    starts_on = models.DateField(_("runs from"), null=True, blank=True)
    ends_on = models.DateField(_("runs until"), null=True, blank=True)
    trigger = models.CharField(_("trigger"), max_length=20, choices=TriggerKind, blank=True)
    trigger_delay_days = models.PositiveSmallIntegerField(
        _("days after the event"), default=0, validators=[MaxValueValidator(365)]
    )

    # Workflow.
    review_round = models.PositiveIntegerField(_("review round"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_version = models.ForeignKey(
        "CampaignVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("care campaign")
        verbose_name_plural = _("care campaigns")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("approve_carecampaign", _("Can give final approval to care campaigns")),
            ("review_carecampaign", _("Can review care campaigns for a department")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
                violation_error_message=_("The end date must not be before the start date."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "kind"], name="campaign_status_kind"),
            models.Index(fields=["department", "status"], name="campaign_department_status"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_due_status(self) -> bool:
        return self.status in DUE_STATUSES


class CampaignContent(models.Model):
    """What one channel of a campaign says. ``subject`` is the email subject or the
    WeCom/push title; ``body`` the SMS text, the WeCom/push body, the email's plain-text
    part or the call/visit script; ``html_body`` the email HTML (sanitised with nh3)."""

    SCOPE = ScopeRule(department="campaign__department", owner="campaign__owner")

    campaign = models.ForeignKey(CareCampaign, on_delete=models.CASCADE, related_name="contents")
    channel = models.CharField(_("channel"), max_length=10, choices=TouchChannel)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    subject = models.CharField(_("subject or title"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    html_body = models.TextField(_("HTML body"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign content")
        verbose_name_plural = _("campaign contents")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "channel"], name="content_one_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.channel}"


class ContentTemplate(models.Model):
    """A reusable text for one channel that staff copy into campaigns."""

    SCOPE = ScopeRule(department="department", owner="created_by")

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=10, choices=TouchChannel)
    subject = models.CharField(_("subject or title"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    html_body = models.TextField(_("HTML body"), blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("content template")
        verbose_name_plural = _("content templates")
        ordering = ["channel", "name"]
        # Two partial constraints rather than nulls_distinct=False, which SQLite lacks.
        constraints = [
            models.UniqueConstraint(
                fields=["department", "channel", "name"],
                condition=Q(department__isnull=False),
                name="template_unique_name",
                violation_error_message=_("A template with this name already exists."),
            ),
            models.UniqueConstraint(
                fields=["channel", "name"],
                condition=Q(department__isnull=True),
                name="template_unique_company_name",
                violation_error_message=_("A template with this name already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VersionKind(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")


class CampaignVersion(models.Model):
    """A frozen copy of everything reviewers judged (settings, audience, schedule, content,
    coupon terms). The approval queue diffs a submission against the last approved one."""

    campaign = models.ForeignKey(CareCampaign, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=10, choices=VersionKind)
    review_round = models.PositiveIntegerField(_("review round"))
    snapshot = models.JSONField(_("snapshot"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign version")
        verbose_name_plural = _("campaign versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} v{self.number}"


class ReviewStage(models.TextChoices):
    DEPARTMENT = "department", _("Department review")
    FINAL = "final", _("Final approval")


class ReviewDecision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class CampaignReview(models.Model):
    """One reviewer's decision in one review round, with the comment and the time."""

    campaign = models.ForeignKey(CareCampaign, on_delete=models.CASCADE, related_name="reviews")
    review_round = models.PositiveIntegerField(_("review round"))
    stage = models.CharField(_("stage"), max_length=12, choices=ReviewStage)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="campaign_reviews",
    )
    decision = models.CharField(_("decision"), max_length=20, choices=ReviewDecision)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("reviewed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign review")
        verbose_name_plural = _("campaign reviews")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="approved") | ~Q(comment=""),
                name="review_changes_need_comment",
                violation_error_message=_("Say what has to change."),
            )
        ]
        indexes = [models.Index(fields=["campaign", "review_round"], name="review_campaign_round")]

    def __str__(self) -> str:
        return f"{self.campaign_id} r{self.review_round} {self.decision}"


class ActivityAction(models.TextChoices):
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    RETURNED_TO_DRAFT = "returned_to_draft", _("Returned to draft by an edit")
    SUBMITTED = "submitted", _("Submitted for review")
    REVIEWED = "reviewed", _("Reviewed")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    ACTIVATED = "activated", _("Started")
    PAUSED = "paused", _("Paused")
    RESUMED = "resumed", _("Resumed")
    FINISHED = "finished", _("Finished")


# Actions that make the actor an author of the campaign's current content.
AUTHOR_ACTIONS = (ActivityAction.CREATED, ActivityAction.EDITED, ActivityAction.SUBMITTED)


class CampaignActivity(models.Model):
    """The campaign's history; also tells who authored the content under review."""

    campaign = models.ForeignKey(CareCampaign, on_delete=models.CASCADE, related_name="activities")
    action = models.CharField(_("action"), max_length=20, choices=ActivityAction)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign activity")
        verbose_name_plural = _("campaign activities")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["campaign", "-at"], name="activity_campaign_at")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.action}"


class CouponBatch(models.Model):
    """The coupon a campaign hands out (PRODUCT §3: a small no-threshold birthday coupon):
    one unique code per recipient and occurrence, valid ``valid_days`` from issue and never
    after ``expires_on``."""

    SCOPE = ScopeRule(department="campaign__department", owner="campaign__owner")

    campaign = models.OneToOneField(
        CareCampaign, on_delete=models.CASCADE, related_name="coupon_batch"
    )
    name = models.CharField(_("name"), max_length=100)
    value = models.DecimalField(
        _("value (CNY)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    min_spend = models.DecimalField(
        _("minimum spend (CNY)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("0 means no threshold."),
    )
    valid_days = models.PositiveSmallIntegerField(
        _("valid for (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    expires_on = models.DateField(_("never valid after"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("coupon batch")
        verbose_name_plural = _("coupon batches")
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="couponbatch_value_positive"),
            models.CheckConstraint(
                condition=Q(min_spend__gte=0), name="couponbatch_min_spend_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_threshold(self) -> bool:
        return self.min_spend > 0


class RedemptionSource(models.TextChoices):
    API = "api", _("API")
    IMPORT = "import", _("Import")
    MANUAL = "manual", _("Entered by staff")


class Coupon(models.Model):
    """One customer's coupon from one occurrence of a campaign. The code comes from
    ``secrets`` and is unique across all batches."""

    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    batch = models.ForeignKey(CouponBatch, on_delete=models.CASCADE, related_name="coupons")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="coupons"
    )
    occurrence = models.DateField(_("occasion"))
    code = models.CharField(_("code"), max_length=20, unique=True)
    issued_at = models.DateTimeField(_("issued at"))
    expires_on = models.DateField(_("valid until"))
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)
    order_no = models.CharField(_("order number"), max_length=64, blank=True)
    redeemed_amount = models.DecimalField(
        _("order amount (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    redemption_source = models.CharField(
        _("recorded via"), max_length=10, choices=RedemptionSource, blank=True
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-issued_at", "-id"]
        permissions = [("redeem_coupon", _("Can record coupon redemptions"))]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "customer", "occurrence"], name="coupon_one_per_occurrence"
            )
        ]
        indexes = [
            models.Index(fields=["batch", "redeemed_at"], name="coupon_batch_redeemed"),
            models.Index(fields=["customer", "-issued_at"], name="coupon_customer"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_redeemed(self) -> bool:
        return self.redeemed_at is not None


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TaskOutcome(models.TextChoices):
    REACHED = "reached", _("Reached the customer")
    NO_ANSWER = "no_answer", _("No answer / not met")
    FOLLOW_UP = "follow_up", _("Needs follow-up")


class CareTask(models.Model):
    """An offline touch (phone call or visit) for the customer's relationship manager, or
    the campaign owner when the customer has none. Completing it logs an interaction."""

    SCOPE = ScopeRule(department="customer__department", owner="assigned_to")

    campaign = models.ForeignKey(
        CareCampaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="tasks"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="care_tasks",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=OfflineChannel)
    occurrence = models.DateField(_("occasion"))
    due_on = models.DateField(_("due"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_tasks",
    )
    instructions = models.TextField(_("script / instructions"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus, default=TaskStatus.OPEN
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=TaskOutcome, blank=True)
    note = models.TextField(_("what happened"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.OneToOneField(
        "customers.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_task",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer", "channel", "occurrence"],
                name="caretask_one_per_occurrence",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | (~Q(outcome="") & Q(completed_at__isnull=False)),
                name="caretask_done_has_outcome",
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "status", "due_on"], name="caretask_assignee"),
            models.Index(fields=["status", "due_on"], name="caretask_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.customer}"


class TriggerEvent(models.Model):
    """Something that happened to a customer which trigger campaigns react to and that no
    other table records by date: tier upgrades (from ``segmentation.signals.tier_changed``)
    and entering churn risk. ``source`` makes recording idempotent."""

    SCOPE = ScopeRule(department="customer__department", owner="customer__relationship_manager")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="trigger_events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TriggerKind)
    occurred_on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=60)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("trigger event")
        verbose_name_plural = _("trigger events")
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "source"], name="triggerevent_unique_source")
        ]
        indexes = [
            models.Index(fields=["kind", "occurred_on"], name="triggerevent_kind_date"),
            models.Index(fields=["customer", "kind"], name="triggerevent_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.occurred_on}"


class ProductAffinity(models.Model):
    """Co-purchase statistics over all orders: ``customers`` distinct customers bought both
    ``product`` and ``also_bought``. Rebuilt in one statement by
    ``campaigns.services.recommendations.affinity_rebuild``."""

    product = models.CharField(_("product"), max_length=120)
    also_bought = models.CharField(_("also bought"), max_length=120)
    customers = models.PositiveIntegerField(_("customers who bought both"))

    class Meta:
        verbose_name = _("product affinity")
        verbose_name_plural = _("product affinities")
        constraints = [
            models.UniqueConstraint(fields=["product", "also_bought"], name="affinity_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.product} → {self.also_bought} ({self.customers})"
