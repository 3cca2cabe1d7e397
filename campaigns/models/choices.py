"""The fixed choices of the campaigns app and the status groups the rules rely on."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.calendar import FESTIVALS
from carecrm.channels import Channel
from carecrm.channels import OfflineChannel as OfflineChannel
from delivery.models import CareKind
from delivery.models import Priority as Priority


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


# The care kind a new campaign starts with (staff may change it).
DEFAULT_CARE_KIND = {
    "birthday": CareKind.BIRTHDAY,
    "holiday": CareKind.HOLIDAY,
    "trigger": CareKind.SERVICE,
    "one_off": CareKind.PROMOTION,
    "recurring": CareKind.PROMOTION,
}


# Every channel a touch may use: the one vocabulary of carecrm.channels; offline ones
# become care tasks.
TouchChannel = Channel


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
    RRULE = "rrule", _("Custom (e.g. every Monday and Thursday)")


class TriggerKind(models.TextChoices):
    FIRST_PURCHASE = "first_purchase", _("First purchase (usage follow-up)")
    COMPLAINT_RESOLVED = "complaint_resolved", _("Complaint resolved (satisfaction check)")
    TIER_UPGRADE = "tier_upgrade", _("Tier or VIP level upgrade (congratulation)")
    CHURN_RISK = "churn_risk", _("Entered churn risk (win-back)")


FESTIVAL_CHOICES = [(festival.code, festival.name) for festival in FESTIVALS]


class CompanyDayKind(models.TextChoices):
    INDUSTRY = "industry", _("Industry or company day (every customer)")
    CUSTOMER_ANNIVERSARY = "customer_anniversary", _("A customer's company anniversary")


class VersionKind(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")


class ReviewStage(models.TextChoices):
    DEPARTMENT = "department", _("Department review")
    FINAL = "final", _("Final approval")


class ReviewDecision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


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


class RedemptionSource(models.TextChoices):
    API = "api", _("API")
    IMPORT = "import", _("Import")
    MANUAL = "manual", _("Entered by staff")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TaskOutcome(models.TextChoices):
    REACHED = "reached", _("Reached the customer")
    NO_ANSWER = "no_answer", _("No answer / not met")
    FOLLOW_UP = "follow_up", _("Needs follow-up")
