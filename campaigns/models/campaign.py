"""A care campaign with its content, versions, reviews and history, the company's own
days and the content library."""

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.models.choices import (
    DUE_STATUSES,
    FESTIVAL_CHOICES,
    ActivityAction,
    CampaignKind,
    CampaignStatus,
    CareKind,
    ChannelStrategy,
    CompanyDayKind,
    GoalMetric,
    HolidaySource,
    Priority,
    Recurrence,
    ReviewDecision,
    ReviewStage,
    TouchChannel,
    TriggerKind,
    VersionKind,
)
from carecrm.core.scoping import ScopeRule


class CompanyDay(models.Model):
    """A day the company celebrates every year, like developers' day on 10-24 (care programme §3),
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
    """One care programme (care programme §3): goal → audience → schedule → content → review →
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
        _("priority"),
        choices=Priority,
        default=Priority.NORMAL,
        help_text=_(
            "When a frequency cap is reached, higher-priority care is sent and queued "
            "lower-priority messages give way."
        ),
    )
    care_kind = models.CharField(
        _("kind of care"),
        max_length=12,
        choices=CareKind,
        default=CareKind.PROMOTION,
        help_text=_("Customers may refuse one kind of care and keep the others."),
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
        _("repeating schedule"),
        max_length=300,
        blank=True,
        help_text=_("An RFC 5545 rule, composed by the form's pickers."),
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
    # The actor's role at the time: a later promotion or demotion does not change who may
    # lift a pause (``campaign_resume``).
    actor_role = models.CharField(_("role"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign activity")
        verbose_name_plural = _("campaign activities")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["campaign", "-at"], name="activity_campaign_at")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.action}"
