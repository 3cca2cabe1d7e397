"""Customer-care events (care programme §5): a banquet, seminar, lottery, care visits or a
family day, planned from SMART goals through a generated timeline and a team with tasks,
to invitations, RSVPs, check-in at the door and a review of what it achieved."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecrm.core.scoping import ScopeRule


class EventType(models.TextChoices):
    BANQUET = "banquet", _("VIP appreciation banquet / salon")
    SEMINAR = "seminar", _("Themed training / seminar")
    LOTTERY = "lottery", _("Online lottery / check-in")
    CARE_VISIT = "care_visit", _("Care visits")
    FAMILY_DAY = "family_day", _("Family / experience day")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    OPEN = "open", _("Open for RSVPs")
    HELD = "held", _("Held")
    REVIEWED = "reviewed", _("Reviewed")
    CANCELLED = "cancelled", _("Cancelled")


class Event(models.Model):
    SCOPE = ScopeRule(department="department", owner="owner")

    type = models.CharField(_("type"), max_length=12, choices=EventType)
    title = models.CharField(_("title"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=EventStatus, default=EventStatus.DRAFT
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    online_link = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Places, guests included. Empty: no limit, nobody waits."),
    )
    max_party_size = models.PositiveSmallIntegerField(
        _("guests a customer may bring"), default=1, validators=[MaxValueValidator(10)]
    )
    target_segments = models.ManyToManyField(
        "segmentation.Segment",
        verbose_name=_("target segments"),
        blank=True,
        related_name="events",
    )
    uplift_days = models.PositiveSmallIntegerField(
        _("days compared before and after"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Sales uplift compares attendees' purchases this many days around the event."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_events",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The invitation's own words (empty: the standard text in the installation's
    # language); placeholders in ``events.sources.PLACEHOLDERS``.
    invitation_text = models.TextField(
        _("invitation text (SMS, WeCom, push)"),
        blank=True,
        max_length=500,
        help_text=_(
            "Empty: the standard text. Placeholders: {name}, {title}, {when}, {where} and "
            "{link} (the guest's personal RSVP link, required)."
        ),
    )
    invitation_email_subject = models.CharField(
        _("invitation email subject"), max_length=150, blank=True
    )
    invitation_email_body = models.TextField(
        _("invitation email text"),
        blank=True,
        max_length=5000,
        help_text=_("Empty: the standard text. The same placeholders; {link} is required."),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    review_summary = models.TextField(_("review summary"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-starts_at", "-id"]
        permissions = [("approve_event", _("Can approve events"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")),
                name="event_ends_after_start",
                violation_error_message=_("The event must not end before it starts."),
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status"], name="event_department_status"),
            models.Index(fields=["starts_at"], name="event_starts_at"),
        ]

    def __str__(self) -> str:
        return self.title


class GoalMetric(models.TextChoices):
    ATTENDANCE = "attendance", _("Attendees")
    COVERAGE = "coverage", _("Coverage of the target group (%)")
    SALES_UPLIFT = "sales_uplift", _("Sales uplift of attendees (%)")
    REPURCHASE_RATE = "repurchase_rate", _("Repurchase rate (%)")
    SATISFACTION = "satisfaction", _("Satisfaction (%)")
    FEEDBACK_RATE = "feedback_rate", _("Feedback rate (%)")
    COST_PER_ATTENDEE = "cost_per_attendee", _("Cost per attendee (CNY)")


class EventGoal(models.Model):
    """A SMART goal: the metric, where it stands, where it should be, by when. ``actual``
    is filled in by the review."""

    SCOPE = ScopeRule(department="event__department", owner="event__owner")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="goals")
    metric = models.CharField(_("metric"), max_length=20, choices=GoalMetric)
    baseline = models.DecimalField(
        _("baseline"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    deadline = models.DateField(_("deadline"))
    actual = models.DecimalField(
        _("actual"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("event goal")
        verbose_name_plural = _("event goals")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.get_metric_display()


class Phase(models.TextChoices):
    PREPARATION = "preparation", _("Preparation")
    EXECUTION = "execution", _("Execution")
    REVIEW = "review", _("Post-event review")


class Milestone(models.Model):
    """A step of the event's timeline, generated from its date and editable."""

    SCOPE = ScopeRule(department="event__department", owner="event__owner")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="milestones")
    phase = models.CharField(_("phase"), max_length=12, choices=Phase)
    key = models.CharField(max_length=30, blank=True)
    name = models.CharField(_("name"), max_length=150)
    starts_on = models.DateField(_("starts on"))
    due_on = models.DateField(_("due on"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_milestones",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["starts_on", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("starts_on")),
                name="milestone_due_after_start",
                violation_error_message=_("A milestone cannot be due before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TeamRole(models.TextChoices):
    LEAD = "lead", _("Project lead")
    CUSTOMER = "customer", _("Customer group")
    PLANNING = "planning", _("Planning group")
    EXECUTION = "execution", _("Execution group")
    PUBLICITY = "publicity", _("Publicity group")


class TeamMember(models.Model):
    SCOPE = ScopeRule(department="event__department", owner="event__owner")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="team")
    role = models.CharField(_("role"), max_length=10, choices=TeamRole)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="event_roles",
    )

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "role", "user"],
                name="teammember_unique",
                violation_error_message=_("This person already has that role."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("To do")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class EventTask(models.Model):
    SCOPE = ScopeRule(department="event__department", owner="owner")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tasks")
    role = models.CharField(_("group"), max_length=10, choices=TeamRole, blank=True)
    milestone = models.ForeignKey(
        Milestone,
        verbose_name=_("milestone"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    title = models.CharField(_("task"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_tasks",
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus, default=TaskStatus.OPEN
    )
    notes = models.TextField(_("notes"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # The local date each reminder went out, so a re-run of the beat job sends none twice.
    reminded_due_on = models.DateField(null=True, blank=True)
    reminded_overdue_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("event task")
        verbose_name_plural = _("event tasks")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["owner", "status", "due_on"], name="eventtask_owner_due")]

    def __str__(self) -> str:
        return self.title


class GuestStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    WAITLISTED = "waitlisted", _("On the waitlist")
    DECLINED = "declined", _("Declined")


class GuestSource(models.TextChoices):
    INVITED = "invited", _("Invitation")
    WALK_IN = "walk_in", _("Walk-in")


class Guest(models.Model):
    """One customer's place at an event: invitation, answer, party size, check-in."""

    SCOPE = ScopeRule(department="event__department", owner="event__owner")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="guests")
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="event_guests",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=GuestStatus, default=GuestStatus.INVITED
    )
    source = models.CharField(
        _("source"), max_length=10, choices=GuestSource, default=GuestSource.INVITED
    )
    party_size = models.PositiveSmallIntegerField(
        _("people"), default=1, validators=[MinValueValidator(1), MaxValueValidator(11)]
    )
    dietary_note = models.CharField(_("dietary note"), max_length=200, blank=True)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    waitlisted_at = models.DateTimeField(_("waitlisted at"), null=True, blank=True)
    promoted_at = models.DateTimeField(_("promoted at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("guest")
        verbose_name_plural = _("guests")
        ordering = ["created_at", "id"]
        permissions = [("check_in_guest", _("Can check guests in at the door"))]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "customer"],
                name="guest_once_per_event",
                violation_error_message=_("This customer is already on the guest list."),
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status"], name="guest_event_status"),
            models.Index(fields=["event", "waitlisted_at"], name="guest_waitlist_order"),
            # The guests tab, a keyset page at a time in the order guests were added.
            models.Index(fields=["event", "created_at", "id"], name="guest_event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} @ {self.event}"
