"""Feedback and satisfaction (care programme §7): surveys sent through delivery and
answered on a public page, their results (CSAT, NPS), and feedback items — complaints,
low scores, replies — owned and followed to resolution and a check with the customer."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecrm.core.scoping import ScopeRule


class SurveyKind(models.TextChoices):
    POST_EVENT = "post_event", _("After an event")
    VIP_QUARTERLY = "vip_quarterly", _("Quarterly VIP satisfaction")
    AFTER_SERVICE = "after_service", _("After a complaint is resolved")
    AFTER_PURCHASE = "after_purchase", _("After a purchase")
    CUSTOM = "custom", _("Other")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Collecting answers")
    CLOSED = "closed", _("Closed")


class SurveyTrigger(models.TextChoices):
    NONE = "", _("Sent by hand or on a schedule")
    COMPLAINT_RESOLVED = "complaint_resolved", _("When a complaint is resolved")
    EVENT_HELD = "event_held", _("To attendees after an event")
    AFTER_PURCHASE = "after_purchase", _("Days after a purchase")


class Survey(models.Model):
    SCOPE = ScopeRule(department="department", owner="created_by")

    kind = models.CharField(_("kind"), max_length=16, choices=SurveyKind, default=SurveyKind.CUSTOM)
    title = models.CharField(_("title (Chinese)"), max_length=150)
    title_en = models.CharField(_("title (English)"), max_length=150, blank=True)
    intro = models.TextField(_("introduction (Chinese)"), blank=True, max_length=2000)
    intro_en = models.TextField(_("introduction (English)"), blank=True, max_length=2000)
    thanks = models.CharField(_("thank-you text (Chinese)"), max_length=300, blank=True)
    thanks_en = models.CharField(_("thank-you text (English)"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=SurveyStatus, default=SurveyStatus.DRAFT
    )
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    anonymous = models.BooleanField(
        _("anonymous"),
        default=False,
        help_text=_("Results never show who answered; no feedback item names the customer."),
    )
    trigger = models.CharField(
        _("sent"), max_length=20, choices=SurveyTrigger, default=SurveyTrigger.NONE, blank=True
    )
    trigger_delay_days = models.PositiveSmallIntegerField(
        _("days after"), default=0, validators=[MaxValueValidator(365)]
    )
    target_segments = models.ManyToManyField(
        "segmentation.Segment",
        verbose_name=_("target segments"),
        blank=True,
        related_name="surveys",
    )
    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
    )
    campaign = models.ForeignKey(
        "campaigns.CareCampaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="surveys",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True)
                | Q(opens_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
                name="survey_closes_after_opening",
                violation_error_message=_("The survey must close after it opens."),
            ),
        ]
        indexes = [models.Index(fields=["department", "status"], name="survey_department_status")]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    RATING = "rating", _("Rating 1–5")
    NPS = "nps", _("Likelihood to recommend 0–10 (NPS)")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Free text")


class Topic(models.TextChoices):
    """What a question (and a feedback item) is about (care programme §7)."""

    SERVICE_QUALITY = "service_quality", _("Service quality")
    PRODUCT = "product", _("Product")
    SPEED = "speed", _("Speed of service")
    PRICE = "price", _("Price")
    OTHER = "other", _("Other")


class Question(models.Model):
    SCOPE = ScopeRule(department="survey__department", owner="survey__created_by")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("kind"), max_length=8, choices=QuestionKind)
    text = models.CharField(_("question (Chinese)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    topic = models.CharField(_("topic"), max_length=16, choices=Topic, default=Topic.OTHER)
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class Choice(models.Model):
    SCOPE = ScopeRule(
        department="question__survey__department", owner="question__survey__created_by"
    )

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(_("choice (Chinese)"), max_length=150)
    text_en = models.CharField(_("choice (English)"), max_length=150, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class SurveyInvitation(models.Model):
    """One customer asked to answer one survey; its id, signed, is their personal link."""

    SCOPE = ScopeRule(department="survey__department", owner="survey__created_by")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="survey_invitations",
    )
    reason = models.CharField(_("why"), max_length=200, blank=True)
    invited_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-invited_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "customer"], name="surveyinvitation_once_per_customer"
            ),
        ]
        indexes = [models.Index(fields=["survey", "responded_at"], name="invitation_answered")]

    def __str__(self) -> str:
        return f"{self.survey} → {self.customer_id}"


class ResponseSource(models.TextChoices):
    ONLINE = "online", _("Online")
    PHONE = "phone", _("By phone")
    FACE_TO_FACE = "face_to_face", _("Face to face")


class Response(models.Model):
    """One answered survey: at most one per invitation (a second submission edits it)."""

    SCOPE = ScopeRule(department="survey__department", owner="survey__created_by")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        SurveyInvitation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="response",
    )
    # Empty for an anonymous survey: the answers are kept, the person is not.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    source = models.CharField(
        _("collected"), max_length=14, choices=ResponseSource, default=ResponseSource.ONLINE
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("answered at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["survey", "submitted_at"], name="response_survey_time")]

    def __str__(self) -> str:
        return f"{self.survey} #{self.pk}"


class Answer(models.Model):
    SCOPE = ScopeRule(
        department="response__survey__department", owner="response__survey__created_by"
    )

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    # rating 1–5 or NPS 0–10
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    choices = models.ManyToManyField(
        Choice, verbose_name=_("choices"), blank=True, related_name="+"
    )
    text = models.TextField(_("text"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="answer_once_per_question"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=10), name="answer_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.score if self.score is not None else self.text[:20]}"


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class ItemSource(models.TextChoices):
    SURVEY = "survey", _("Survey answer")
    COMPLAINT = "complaint", _("Complaint")
    REPLY = "reply", _("Reply to a message")
    MANUAL = "manual", _("Entered by hand")


class ItemStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("feedback item status", "New")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class FollowUpOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied with the resolution")
    NOT_SATISFIED = "not_satisfied", _("Not satisfied")
    UNREACHABLE = "unreachable", _("Could not be reached")


class SeverityDeadline(models.Model):
    """How fast an item of each severity must be answered and resolved (admin-set; care
    programme §4: a response within 24 h, high risk 12 h, a crisis starts within 3 h)."""

    severity = models.CharField(_("severity"), max_length=8, choices=Severity, unique=True)
    respond_within_hours = models.PositiveSmallIntegerField(
        _("respond within (hours)"), validators=[MinValueValidator(1), MaxValueValidator(720)]
    )
    resolve_within_hours = models.PositiveSmallIntegerField(
        _("resolve within (hours)"), validators=[MinValueValidator(1), MaxValueValidator(2160)]
    )

    class Meta:
        verbose_name = _("severity deadline")
        verbose_name_plural = _("severity deadlines")
        ordering = ["respond_within_hours"]

    def __str__(self) -> str:
        return self.get_severity_display()


class FeedbackItem(models.Model):
    SCOPE = ScopeRule(department="department", owner="owner")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_items",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="feedback_items",
    )
    source = models.CharField(_("source"), max_length=10, choices=ItemSource)
    response = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_items"
    )
    interaction = models.ForeignKey(
        "customers.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_items",
    )
    category = models.CharField(_("category"), max_length=16, choices=Topic, default=Topic.OTHER)
    suggested_category = models.CharField(max_length=16, choices=Topic, blank=True)
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity, default=Severity.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ItemStatus, default=ItemStatus.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_items",
    )
    respond_by = models.DateTimeField(_("respond by"))
    resolve_by = models.DateTimeField(_("resolve by"))
    responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_note = models.TextField(_("resolution"), blank=True, max_length=5000)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    follow_up_due_on = models.DateField(_("check back by"), null=True, blank=True)
    follow_up_at = models.DateTimeField(_("checked back at"), null=True, blank=True)
    follow_up_outcome = models.CharField(
        _("customer's verdict"), max_length=14, choices=FollowUpOutcome, blank=True
    )
    follow_up_note = models.TextField(_("check-back note"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["response"],
                condition=Q(response__isnull=False),
                name="feedbackitem_one_per_response",
            ),
            models.UniqueConstraint(
                fields=["interaction"],
                condition=Q(interaction__isnull=False),
                name="feedbackitem_one_per_interaction",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status"], name="feedbackitem_dept_status"),
            models.Index(fields=["status", "resolve_by"], name="feedbackitem_sla"),
            # The list, newest first a keyset page at a time.
            models.Index(fields=["created_at", "id"], name="feedbackitem_created"),
        ]

    def __str__(self) -> str:
        return self.title


class ItemActivity(models.Model):
    """The item's history: status changes, notes, escalations, the check-back."""

    SCOPE = ScopeRule(department="item__department", owner="item__owner")

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="activities")
    action = models.CharField(_("action"), max_length=30)
    note = models.TextField(_("note"), blank=True, max_length=5000)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback activity")
        verbose_name_plural = _("feedback activities")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.action}"
