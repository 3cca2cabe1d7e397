"""Care campaigns (PRODUCT.md §3): a goal, an audience, a schedule and content per channel,
reviewed and approved before anything is due; coupons, offline care tasks and the
co-purchase table behind ``{recommendation}``.

Which customers are due on which day is computed, never stored: see
``campaigns.selectors.due``. Only coupons and care tasks are materialised, each unique per
campaign occurrence and customer, so preparing a day twice issues nothing twice.
"""

from campaigns.models.campaign import (
    CampaignActivity,
    CampaignContent,
    CampaignReview,
    CampaignVersion,
    CareCampaign,
    CompanyDay,
    ContentTemplate,
)
from campaigns.models.choices import (
    APPROVED_STATUSES,
    AUTHOR_ACTIONS,
    DUE_STATUSES,
    EDITABLE_STATUSES,
    FESTIVAL_CHOICES,
    OFFLINE_CHANNELS,
    ActivityAction,
    CampaignKind,
    CampaignStatus,
    ChannelStrategy,
    CompanyDayKind,
    GoalMetric,
    HolidaySource,
    OfflineChannel,
    Priority,
    Recurrence,
    RedemptionSource,
    ReviewDecision,
    ReviewStage,
    TaskOutcome,
    TaskStatus,
    TouchChannel,
    TriggerKind,
    VersionKind,
)
from campaigns.models.coupons import Coupon, CouponBatch
from campaigns.models.touches import CareTask, ProductAffinity, TriggerEvent

__all__ = [
    "APPROVED_STATUSES",
    "AUTHOR_ACTIONS",
    "DUE_STATUSES",
    "EDITABLE_STATUSES",
    "FESTIVAL_CHOICES",
    "OFFLINE_CHANNELS",
    "ActivityAction",
    "CampaignActivity",
    "CampaignContent",
    "CampaignKind",
    "CampaignReview",
    "CampaignStatus",
    "CampaignVersion",
    "CareCampaign",
    "CareTask",
    "ChannelStrategy",
    "CompanyDay",
    "CompanyDayKind",
    "ContentTemplate",
    "Coupon",
    "CouponBatch",
    "GoalMetric",
    "HolidaySource",
    "OfflineChannel",
    "Priority",
    "ProductAffinity",
    "Recurrence",
    "RedemptionSource",
    "ReviewDecision",
    "ReviewStage",
    "TaskOutcome",
    "TaskStatus",
    "TouchChannel",
    "TriggerEvent",
    "TriggerKind",
    "VersionKind",
]
