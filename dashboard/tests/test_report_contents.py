"""What a care report says: the figures of the reader's scope only, the feedback summary
read through the feedback app, the top campaigns and events in a sensible order, and
every figure the dashboard returns — whatever its unit — in both the PDF and the XLSX."""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pypdf
import pytest
from openpyxl import load_workbook

from dashboard.figures import Breakdown, BreakdownRow, DashboardFigures, Figure, Unit
from dashboard.periods import Period
from dashboard.scope import DashboardScope
from dashboard.selectors.reports import care_report, report_of
from dashboard.services.report_files import report_filename, report_pdf, report_xlsx
from dashboard.tests.factories import campaign, event, year_of_months
from feedback.models import ItemStatus, QuestionKind, Topic
from feedback.tests.factories import (
    AnswerFactory,
    FeedbackItemFactory,
    QuestionFactory,
    ResponseFactory,
    SurveyFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = Period.month(dt.date(2026, 11, 1))


def at(day: int, month: int = 11, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=SHANGHAI)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def kpi_rows(data: bytes) -> dict[str, tuple]:
    """The KPI sheet's rows by key: (label, value, previous, change, target, met)."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    return {row[0]: row[1:7] for row in rows if row[0]}


def test_a_managers_report_holds_only_their_departments_figures(
    two_departments, manager_a, admin_user
):
    east, south = two_departments
    period = Period.month(dt.date.today())

    mine = care_report(DashboardScope(manager_a), period)
    assert mine.figures.kpi("vip_count").value == 2
    assert mine.figures.breakdown("vip_level").total == 3
    assert mine.feedback.open_now == 1
    # a department in the query is an admin's choice only
    assert care_report(DashboardScope.for_user(manager_a, south.pk), period).feedback.open_now == 1

    everyone = care_report(DashboardScope(admin_user), period)
    assert everyone.figures.kpi("vip_count").value == 5
    assert everyone.feedback.open_now == 3
    south_only = care_report(DashboardScope.for_user(admin_user, south.pk), period)
    assert south_only.figures.kpi("vip_count").value == 3
    assert south_only.feedback.open_now == 2

    assert kpi_rows(report_xlsx(mine))["vip_count"][1] == 2
    text = pdf_text(report_pdf(mine))
    assert east.name in text and south.name not in text
    assert report_filename(mine, "pdf").endswith(f"-{east.code}.pdf")
    assert report_filename(everyone, "xlsx").endswith("-all.xlsx")


def _item(department, *, created, category, status=ItemStatus.NEW, **times):
    item = FeedbackItemFactory(department=department, category=category, status=status)
    type(item).objects.filter(pk=item.pk).update(created_at=created, **times)
    return item


def test_the_feedback_summary_counts_the_period_in_scope(department_a, department_b, manager_a):
    overdue = _item(department_a, created=at(3), category=Topic.PRODUCT)
    type(overdue).objects.filter(pk=overdue.pk).update(respond_by=at(4), resolve_by=at(6))
    _item(
        department_a,
        created=at(8),
        category=Topic.PRICE,
        status=ItemStatus.RESOLVED,
        resolved_at=at(20),
    )
    _item(
        department_a,
        created=at(20, month=10),
        category=Topic.PRODUCT,
        status=ItemStatus.CLOSED,
        closed_at=at(5),
    )
    _item(department_a, created=at(2, month=12), category=Topic.OTHER)
    _item(department_b, created=at(3), category=Topic.PRICE)

    survey = SurveyFactory(department=department_a)
    rating = QuestionFactory(survey=survey, kind=QuestionKind.RATING)
    for score, submitted in [
        (5, at(2)),
        (4, at(9)),
        (2, at(28)),
        (5, at(15, 8)),
        (1, at(1, 12, 2025)),
    ]:
        AnswerFactory(
            response=ResponseFactory(survey=survey, submitted_at=submitted),
            question=rating,
            score=score,
        )
    elsewhere = SurveyFactory(department=department_b)
    AnswerFactory(
        response=ResponseFactory(survey=elsewhere, submitted_at=at(9)),
        question=QuestionFactory(survey=elsewhere),
        score=1,
    )

    summary = care_report(DashboardScope(manager_a), NOVEMBER).feedback

    by_category = {row.code: (row.opened, row.resolved, row.open) for row in summary.categories}
    assert by_category[Topic.PRODUCT] == (1, 1, 1)
    assert by_category[Topic.PRICE] == (1, 1, 0)
    assert by_category[Topic.OTHER] == (0, 0, 1)
    assert (summary.opened, summary.resolved, summary.open_now, summary.overdue) == (2, 2, 2, 1)
    assert {row.code: row.count for row in summary.statuses} == {
        "new": 1,
        "in_progress": 0,
        "resolved": 1,
        "closed": 0,
    }
    assert summary.scores.responses == 3
    assert summary.scores.csat == Decimal("66.7")
    assert [(q.start, q.scores.csat, q.csat_change) for q in summary.quarters] == [
        (dt.date(2026, 7, 1), Decimal("100.0"), None),
        (dt.date(2026, 10, 1), Decimal("66.7"), Decimal("-33.3")),
    ]


def test_top_campaigns_and_events_are_ranked_and_cut_to_five(manager_a):
    campaigns = [
        campaign(1, "新品试用", converted=3, delivered=900),
        campaign(2, "生日关怀", converted=12, delivered=100),
        campaign(3, "沉睡唤醒", converted=12, delivered=400),
        campaign(4, "会员日", converted=0, delivered=2000),
        campaign(5, "积分到期提醒", converted=7, delivered=50),
        campaign(6, "春节问候", converted=1, delivered=10),
        campaign(7, '=HYPERLINK("http://x")', converted=5, delivered=5),
    ]
    events = [
        event(1, "品鉴会", spent="1200.00"),
        event(2, "答谢晚宴", spent="46200.00", budget="46200.00"),
        event(3, "亲子活动", spent="0.00", budget=None),
        event(4, "新品发布", spent="8800.50"),
        event(5, "高尔夫邀请赛", spent="60000.00"),
        event(6, "读书会", spent="300.00"),
    ]
    figures = DashboardFigures(
        DashboardScope(manager_a),
        NOVEMBER,
        NOVEMBER.previous(),
        campaigns=campaigns,
        events=events,
        series=year_of_months(NOVEMBER.start),
    )
    report = report_of(figures)

    assert [c.campaign_id for c in report.top_campaigns] == [3, 2, 5, 7, 1]
    assert [e.event_id for e in report.top_events] == [5, 2, 4, 1, 6]

    text = pdf_text(report_pdf(report))
    assert "沉睡唤醒" in text and "会员日" not in text and "春节问候" not in text
    assert "高尔夫邀请赛" in text and "亲子活动" not in text
    assert "120.0 %" in text  # 60,000 spent of a 50,000 budget

    book = load_workbook(io.BytesIO(report_xlsx(report)))
    sheets = book.sheetnames
    assert sheets[:5] == ["KPIs", "Trends", "Campaigns", "Events", "Feedback"]
    names = [row[0] for row in book["Campaigns"].iter_rows(min_row=2, values_only=True)]
    assert names == [
        "沉睡唤醒",
        "生日关怀",
        "积分到期提醒",
        '\'=HYPERLINK("http://x")',
        "新品试用",
        "春节问候",
        "会员日",
    ]
    golf = next(book["Events"].iter_rows(min_row=2))
    assert golf[0].value == "高尔夫邀请赛"
    assert golf[4].value == 60000 and golf[4].number_format == "¥#,##0.00"
    assert golf[5].value == 120
    trend = list(book["Trends"].iter_rows(min_row=2))
    assert len(trend) == 12
    assert trend[-1][0].value.date() == dt.date(2026, 11, 1)
    assert Decimal(str(trend[-1][1].value)) == Decimal("12000.50")
    assert trend[-1][1].number_format == "¥#,##0.00"


def test_every_figure_is_printed_by_its_unit(manager_a):
    figures = DashboardFigures(
        DashboardScope(manager_a),
        NOVEMBER,
        NOVEMBER.previous(),
        kpis=[
            Figure("vips", "贵宾人数", 120, previous=100),
            Figure(
                "satisfaction",
                "满意度",
                Decimal("91.5"),
                previous=Decimal("90.0"),
                unit=Unit.PERCENT,
                target=Decimal("90.0"),
            ),
            Figure(
                "churn",
                "流失率",
                Decimal("12.0"),
                previous=Decimal("8.0"),
                unit=Unit.PERCENT,
                target=Decimal("10.0"),
                higher_is_better=False,
            ),
            Figure(
                "spend", "消费额", Decimal("12345.60"), previous=Decimal("11345.60"), unit=Unit.YUAN
            ),
            Figure("sms", "短信条数", 4321, unit=Unit.SMS_PARTS),
            Figure("referrals", "人均推荐", Decimal("0.35"), previous=Decimal("0.5")),
            Figure("nps", "净推荐值", None, unit=Unit.PERCENT, note="本期没有答卷"),
        ],
        breakdowns=[
            Breakdown(
                "channel", "渠道分布", [BreakdownRow("a", "门店", 3), BreakdownRow("b", "电话", 1)]
            )
        ],
    )
    report = report_of(figures)

    text = pdf_text(report_pdf(report))
    for expected in [
        "贵宾人数",
        "+20",
        "91.5 %",
        "+1.5 pp",
        "¥12,345.60",
        "+¥1,000.00",
        "4,321",
        "0.35",
        "-0.15",
        "本期没有答卷",
        "渠道分布",
        "75.0 %",
    ]:
        assert expected in text, expected
    assert text.count("Missed") == 1 and text.count("Met") == 1

    rows = kpi_rows(report_xlsx(report))
    assert list(rows) == ["vips", "satisfaction", "churn", "spend", "sms", "referrals", "nps"]
    for figure in figures.kpis:
        label, value, previous, change, *_target_and_met = rows[figure.key]
        assert label == figure.label
        assert (value is None and figure.value is None) or Decimal(str(value)) == figure.value
        if figure.previous is not None:
            assert Decimal(str(previous)) == figure.previous
            assert Decimal(str(change)) == figure.change
    assert rows["satisfaction"][5] == "Met" and rows["churn"][5] == "Missed"
    sheet = load_workbook(io.BytesIO(report_xlsx(report))).worksheets[0]
    spend_row = next(r for r in sheet.iter_rows(min_row=5) if r[0].value == "spend")
    assert isinstance(spend_row[2].value, (int, float))
    assert spend_row[2].number_format == "¥#,##0.00"
    referrals_row = next(r for r in sheet.iter_rows(min_row=5) if r[0].value == "referrals")
    assert referrals_row[2].number_format == "#,##0.00"
