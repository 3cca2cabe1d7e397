"""Reads behind the campaign pages, the API and the home cards, scoped to the user."""

import calendar as month_calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from campaigns.calendar import festivals_in_year, solar_birthday_in_year
from campaigns.models import (
    DUE_STATUSES,
    EDITABLE_STATUSES,
    CampaignStatus,
    CareCampaign,
    CareTask,
    CompanyDay,
    CompanyDayKind,
    ContentTemplate,
    Coupon,
    TaskStatus,
)
from campaigns.selectors.approval import (
    APPROVE_PERMISSION,
    REVIEW_PERMISSION,
    can_approve,
    can_review_for_department,
)
from campaigns.selectors.due import TouchPlan
from carecrm.core.keyset import SortKey
from carecrm.core.registry import calendar_entries
from carecrm.core.scoping import visible_to
from customers.models import Customer

CHANGE_PERMISSION = "campaigns.change_carecampaign"


def _reviewing(user) -> Q:
    """Campaigns a user's department must review stay readable to that department."""
    if not user.department_id:
        return Q(pk__in=[])
    through = CareCampaign.review_departments.through
    return Q(
        pk__in=through.objects.filter(department_id=user.department_id).values("carecampaign_id")
    )


def visible_campaigns(user) -> QuerySet[CareCampaign]:
    """Campaigns in the user's scope, plus those their department is asked to review."""
    base = CareCampaign.objects.select_related("owner", "department")
    if user is None or not user.is_authenticated:
        return base.none()
    own = visible_to(user, CareCampaign.objects.all()).values("pk")
    return base.filter(Q(pk__in=own) | _reviewing(user))


def can_edit(user, campaign: CareCampaign) -> bool:
    """Reviewers from other departments read; only the campaign's own scope edits."""
    return (
        campaign.status in EDITABLE_STATUSES
        and user.has_perm(CHANGE_PERMISSION)
        and visible_to(user, CareCampaign.objects.filter(pk=campaign.pk)).exists()
    )


def campaign_list(user, *, status: str = "", kind: str = "", search: str = "") -> QuerySet:
    """The campaign table, with coupon figures annotated (no query per row)."""
    issued = (
        Coupon.objects.filter(batch__campaign=OuterRef("pk"))
        .order_by()
        .values("batch__campaign")
        .annotate(n=Count("pk"))
        .values("n")
    )
    redeemed = (
        Coupon.objects.filter(batch__campaign=OuterRef("pk"), redeemed_at__isnull=False)
        .order_by()
        .values("batch__campaign")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = visible_campaigns(user).annotate(
        coupons_issued=Coalesce(Subquery(issued, output_field=IntegerField()), 0),
        coupons_redeemed=Coalesce(Subquery(redeemed, output_field=IntegerField()), 0),
    )
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return queryset.order_by("-created_at", "-id")


def running_campaigns(user) -> QuerySet[CareCampaign]:
    return visible_to(user, CareCampaign.objects.filter(status__in=DUE_STATUSES))


def approval_queue(user) -> list[CareCampaign]:
    """Campaigns in review that this user can act on now: give the final approval, or
    review for their department."""
    if not (user.has_perm(APPROVE_PERMISSION) or user.has_perm(REVIEW_PERMISSION)):
        return []
    candidates = (
        visible_campaigns(user)
        .filter(status=CampaignStatus.IN_REVIEW)
        .prefetch_related("review_departments")
        .order_by("submitted_at", "pk")
    )
    return [
        campaign
        for campaign in candidates
        if can_approve(campaign, user) or can_review_for_department(campaign, user)
    ]


@dataclass(frozen=True)
class Redemption:
    issued: int
    redeemed: int

    @property
    def rate(self) -> float | None:
        return self.redeemed / self.issued if self.issued else None


def campaign_redemption(campaign: CareCampaign) -> Redemption:
    figures = Coupon.objects.filter(batch__campaign=campaign).aggregate(
        issued=Count("pk"), redeemed=Count("pk", filter=Q(redeemed_at__isnull=False))
    )
    return Redemption(figures["issued"], figures["redeemed"])


def campaign_task_counts(campaign: CareCampaign) -> dict[str, int]:
    """Care tasks of a campaign per status."""
    rows = (
        CareTask.objects.filter(campaign=campaign)
        .values("status")
        .order_by()
        .annotate(n=Count("pk"))
    )
    return {row["status"]: row["n"] for row in rows}


# A campaign's coupons, the latest issued first, a keyset page at a time.
COUPON_ORDER = SortKey("issued_at")

# Phone tasks are worked soonest due first, a keyset page at a time.
TASK_ORDER = SortKey("due_on")


def visible_tasks(user) -> QuerySet[CareTask]:
    return visible_to(user, CareTask.objects.select_related("customer", "campaign", "assigned_to"))


def my_open_tasks(user) -> QuerySet[CareTask]:
    return CareTask.objects.filter(assigned_to=user, status=TaskStatus.OPEN)


def visible_templates(user) -> QuerySet[ContentTemplate]:
    """Templates of the user's department plus the company-wide ones."""
    own = visible_to(user, ContentTemplate.objects.all()).values("pk")
    return ContentTemplate.objects.filter(
        Q(pk__in=own) | Q(department__isnull=True)
    ).select_related("department", "created_by")


def visible_company_days(user, *, kind: str | None = None) -> QuerySet[CompanyDay]:
    """Company days of the user's department plus the company-wide ones."""
    own = visible_to(user, CompanyDay.objects.all()).values("pk")
    queryset = CompanyDay.objects.filter(
        Q(pk__in=own) | Q(department__isnull=True, kind=CompanyDayKind.INDUSTRY)
    ).select_related("customer", "department")
    if kind:
        queryset = queryset.filter(kind=kind)
    if not user.is_admin_role:
        # An anniversary names a customer: show it only within the customer scope.
        customers = visible_to(user, Customer.objects.all())
        queryset = queryset.filter(Q(customer__isnull=True) | Q(customer__in=customers))
    return queryset


@dataclass
class CalendarEntry:
    campaign: CareCampaign
    customers: int
    occasion: dt.date


@dataclass
class CalendarDay:
    day: dt.date
    in_month: bool
    entries: list[CalendarEntry] = field(default_factory=list)
    occasions: list[str] = field(default_factory=list)
    # other apps' entries (events, ...) from carecrm.core.registry's calendar providers
    extras: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(entry.customers for entry in self.entries)


@dataclass
class CalendarMonth:
    year: int
    month: int
    weeks: list[list[CalendarDay]]
    campaigns: list[CareCampaign]
    totals: dict[int, int]  # campaign id → customers due in the month

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)


def calendar_month(
    user, *, year: int, month: int, include_unapproved: bool = False
) -> CalendarMonth:
    """Every touch due in a month: customers per day per campaign (campaigns the user can
    see; only approved and active ones unless asked), plus the month's festivals and
    company days. A few grouped queries per campaign, none per customer."""
    statuses = list(DUE_STATUSES)
    if include_unapproved:
        statuses += [
            CampaignStatus.DRAFT,
            CampaignStatus.IN_REVIEW,
            CampaignStatus.CHANGES_REQUESTED,
        ]
    campaigns = list(
        visible_to(user, CareCampaign.objects.filter(status__in=statuses))
        .select_related("company_day", "department")
        .prefetch_related("include_segments", "exclude_segments")
        .order_by("priority", "name")
    )
    weeks_of_dates = month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks_of_dates[0][0], weeks_of_dates[-1][-1]
    days = {
        day: CalendarDay(day=day, in_month=day.month == month)
        for week in weeks_of_dates
        for day in week
    }
    totals: dict[int, int] = {}
    for campaign in campaigns:
        for occurrence, count in TouchPlan(campaign, first, last).occurrences():
            if count and occurrence.on in days:
                days[occurrence.on].entries.append(
                    CalendarEntry(campaign, count, occurrence.occasion)
                )
                if occurrence.on.month == month:
                    totals[campaign.pk] = totals.get(campaign.pk, 0) + count
    for year_of in {first.year, last.year}:
        for day, festival in festivals_in_year(year_of):
            if day in days:
                days[day].occasions.append(str(festival.name))
        for company_day in visible_company_days(user, kind=CompanyDayKind.INDUSTRY):
            day = solar_birthday_in_year(dt.date(2000, company_day.month, company_day.day), year_of)
            if day in days:
                days[day].occasions.append(company_day.name)
    for extra in calendar_entries(user, first, last):
        if extra.on in days:
            days[extra.on].extras.append(extra)
    return CalendarMonth(
        year=year,
        month=month,
        weeks=[[days[day] for day in week] for week in weeks_of_dates],
        campaigns=[c for c in campaigns if c.pk in totals],
        totals=totals,
    )
