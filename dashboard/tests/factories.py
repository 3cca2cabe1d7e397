import datetime as dt
from decimal import Decimal

import factory

from carecrm.accounts.tests.factories import UserFactory
from dashboard.figures import CampaignResult, EventRow, SeriesPoint
from dashboard.models import DeliveryStatus, ReportDelivery, ReportKind
from dashboard.periods import Period


class ReportDeliveryFactory(factory.django.DjangoModelFactory):
    """Last month's report to a manager of the recipient's department, not sent yet."""

    class Meta:
        model = ReportDelivery

    recipient = factory.SubFactory(UserFactory, role="manager")
    department = factory.SelfAttribute("recipient.department")
    kind = ReportKind.MONTHLY
    period_start = dt.date(2026, 11, 1)
    period_end = dt.date(2026, 12, 1)
    status = DeliveryStatus.PENDING


# Rows of the dashboard's figures, for reports whose campaigns and events are known.


def campaign(n: int, name: str, *, converted: int, delivered: int) -> CampaignResult:
    return CampaignResult(
        campaign_id=n,
        name=name,
        url=f"/campaigns/{n}/",
        sent=delivered + 5,
        delivered=delivered,
        opened=delivered // 2,
        clicked=delivered // 4,
        replied=3,
        unsubscribed=1,
        converted=converted,
        sms_parts=delivered * 2,
    )


def event(n: int, name: str, *, spent: str, budget: str | None = "50000.00") -> EventRow:
    return EventRow(
        event_id=n,
        name=name,
        url=f"/events/{n}/",
        starts_on=dt.date(2026, 11, n),
        status="已举办",
        budget_total=Decimal(budget) if budget else None,
        spent=Decimal(spent),
    )


def year_of_months(last: dt.date) -> list[SeriesPoint]:
    """Twelve months ending with ``last``'s, each a little bigger than the one before."""
    months, month = [], last
    for _step in range(12):
        months.insert(0, month)
        month = Period.month(month).previous().start
    return [
        SeriesPoint(month, Decimal(1000 * (i + 1)) + Decimal("0.50"), i + 2, i + 1, 10 + i)
        for i, month in enumerate(months)
    ]
