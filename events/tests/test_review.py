"""The post-event review: its figures on a world built by hand (events/tests/review_world.py),
marking an event reviewed, the registered sections, and the page, XLSX and PDF agreeing."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from carecrm.accounts.tests.factories import DepartmentFactory, UserFactory
from carecrm.core.models import AuditAction, AuditEntry
from carecrm.money import format_yuan
from customers.tests.factories import OrderFactory
from events.models import EventGoal, EventStatus, GoalMetric
from events.registry import ReviewSection, register_review_section, review_sections
from events.selectors.review import event_review
from events.services.review import (
    event_mark_reviewed,
    event_review_summary_save,
    review_report_pdf,
    review_workbook,
)
from events.tests.factories import EventFactory, EventGoalFactory, GuestFactory
from events.tests.review_world import add_budget, at, build

pytestmark = pytest.mark.django_db
AFTER_ALL = dt.date(2026, 12, 1)  # every window and deadline is over


@pytest.fixture
def world(department_a, department_b, manager_a):
    event, customers = build(department_a, other_department=department_b, owner=manager_a)
    return event, customers


def test_sales_uplift_and_difference_in_differences_match_the_hand_computation(world):
    event, _c = world
    uplift = event_review(event, today=AFTER_ALL).uplift

    # Attendees (checked in): a1, a2 (high/华东), a3 (medium/华南), a4 (low/西北).
    # Before = 05-11 … 06-09, after = 06-11 … 07-10; the event day (a1's 9,999.00) is in
    # neither; a2's refund (−200.00) lowers "after".
    #   before: a1 1000 + a2 500 + a3 300 + a4 0      = 1800.00
    #   after:  a1 1500 + a2 (1200 − 200) + a3 600 + a4 400 = 3500.00
    #   uplift: (3500 − 1800) / 1800 = 94.444… % → 94.44 %
    assert uplift.attendees == 4
    assert uplift.before == Decimal("1800.00")
    assert uplift.after == Decimal("3500.00")
    assert uplift.change == Decimal("1700.00")
    assert uplift.uplift_percent == Decimal("94.44")

    # Comparison: active customers of the department, same cell, not attending.
    #   high/华东: c1 (800 → 900; its April 5,000 is outside), c2 (400 → 500), i1 (300 → 400,
    #     accepted but did not come); the merged customer and the other department's are out.
    #     change 1800 − 1500 = 300 over 3 customers = 100.00 per customer.
    #     cell: attendees' change (2500 − 1500) − 2 attendees × 100 = 800.00
    #   medium/华南: c3 (200 → 150), c4 (nothing), c5 (100 at 05-11 00:00 → 100 at 06-12;
    #     its 999 at 07-11 00:00 is after the window): change 250 − 300 = −50 over 3
    #     = −16.666… per customer.
    #     cell: (600 − 300) − 1 × (−16.666…) = 316.666… → 316.67
    #   low/西北: a4 has nobody to compare with: left out of the DiD.
    #   DiD = 800 + 316.666… = 1116.666… → 1116.67
    assert uplift.compared_attendees == 3
    assert uplift.uncompared_attendees == 1
    assert uplift.incremental == Decimal("1116.67")
    # comparison weighted to the attendees: 2 × 100 + 1 × (−16.666…) = 183.33
    assert uplift.expected_after - uplift.expected_before == Decimal("183.33")
    assert uplift.compared_after - uplift.compared_before == Decimal("1300.00")
    # 1116.666… / 3 attendees = 372.22
    assert uplift.incremental_per_attendee == Decimal("372.22")

    cells = {(cell.value_tier, cell.region): cell for cell in uplift.cells}
    assert set(cells) == {("high", "华东"), ("medium", "华南"), ("low", "西北")}
    high = cells["high", "华东"]
    assert (high.attendees, high.comparison) == (2, 3)
    assert (high.comparison_before, high.comparison_after) == (Decimal("500.00"), Decimal("600.00"))
    assert high.incremental == Decimal("800.00")
    assert cells["medium", "华南"].incremental == Decimal("316.67")
    assert cells["low", "西北"].incremental is None


def test_the_review_runs_a_fixed_number_of_queries_whatever_the_attendees(
    world, django_assert_max_num_queries
):
    event, _c = world
    add_budget(event, "800.00")
    EventGoalFactory(event=event, metric=GoalMetric.REPURCHASE_RATE, target=50)
    with CaptureQueriesContext(connection) as few:
        event_review(event, today=AFTER_ALL)
    for number in range(6):
        guest = GuestFactory(event=event, checked_in_at=timezone.now())
        OrderFactory(customer=guest.customer, ordered_at=at(5, 20 + number))
    with django_assert_max_num_queries(len(few)):
        review = event_review(event, today=AFTER_ALL)
    assert review.uplift.attendees == 10


def test_an_event_without_guests_orders_or_plan_shows_no_figures(department_a):
    review = event_review(EventFactory(department=department_a))
    assert review.attendance.attended_people == 0
    assert review.uplift.cells == [] and review.uplift.incremental is None
    assert review.uplift.uplift_percent is None and review.returns.roi_percent is None
    assert review.figures["incremental"].text == "—"


def test_guests_are_counted_in_customers_and_people(world):
    event, _c = world
    a = event_review(event, today=AFTER_ALL).attendance
    # invited: a1 (2), a2 (1), a3 (3), i1 (2), d1 (1) — a4 walked in
    assert (a.invited_guests, a.invited_people) == (5, 9)
    # accepted: a1, a2, a3, a4 (1), i1
    assert (a.accepted_guests, a.accepted_people) == (5, 9)
    # attended: a1, a2, a3, a4
    assert (a.attended_guests, a.attended_people) == (4, 7)


def test_coverage_is_the_share_of_the_target_segments_members_who_attended(world):
    event, _c = world
    coverage = event_review(event, today=AFTER_ALL).coverage
    # static list: a1, a2, i1, d1, c1; medium tier of the department: a3, c3, c4, c5
    # union 9 members; attended a1, a2, a3 = 3 → 33.33 %; invited a1, a2, i1, d1, a3 = 5
    assert (coverage.members, coverage.attended, coverage.invited) == (9, 3, 5)
    assert coverage.attended_percent == Decimal("33.33")
    assert coverage.invited_percent == Decimal("55.56")


def test_an_event_without_target_segments_has_no_coverage(world):
    event, _c = world
    event.target_segments.clear()
    coverage = event_review(event, today=AFTER_ALL).coverage
    assert not coverage.has_targets and coverage.attended_percent is None


def test_cost_per_attendee_and_roi_come_from_the_plans_expenses(world):
    event, _c = world
    assert event_review(event, today=AFTER_ALL).returns.has_plan is False
    add_budget(event, "500.00", "300.00")
    returns = event_review(event, today=AFTER_ALL).returns
    # spend 800.00; 7 people attended → 114.285… → 114.29
    # ROI = (1116.67 − 800) / 800 = 39.58375 % → 39.58 %
    assert returns.spent == Decimal("800.00")
    assert returns.plan_total == Decimal("1100.00")  # one 1,000.00 line + 10 % contingency
    assert returns.cost_per_attendee == Decimal("114.29")
    assert returns.roi_percent == Decimal("39.58")


def test_goals_are_met_or_missed_after_their_deadline(world):
    event, _c = world
    add_budget(event, "800.00")
    deadline = dt.date(2026, 6, 30)
    for metric, target in [
        (GoalMetric.ATTENDANCE, "6"),  # 7 people → met
        (GoalMetric.COVERAGE, "80"),  # 33.33 % → missed
        (GoalMetric.SALES_UPLIFT, "50"),  # 94.44 % → met
        (GoalMetric.COST_PER_ATTENDEE, "100"),  # 114.29 > 100 → missed
        (GoalMetric.COST_PER_ATTENDEE, "120"),  # 114.29 ≤ 120 → met
        # attendees buying 06-11 … 06-30: a1 (06-20), a3 (06-25) of 4 = 50.00 % → met
        (GoalMetric.REPURCHASE_RATE, "50"),
        (GoalMetric.SATISFACTION, "90"),  # feedback does not exist yet
    ]:
        EventGoalFactory(event=event, metric=metric, target=Decimal(target), deadline=deadline)

    rows = event_review(event, today=AFTER_ALL).goals
    assert [(row.goal.metric, row.actual, row.state) for row in rows] == [
        ("attendance", Decimal("7"), "met"),
        ("coverage", Decimal("33.33"), "missed"),
        ("sales_uplift", Decimal("94.44"), "met"),
        ("cost_per_attendee", Decimal("114.29"), "missed"),
        ("cost_per_attendee", Decimal("114.29"), "met"),
        ("repurchase_rate", Decimal("50.00"), "met"),
        ("satisfaction", None, "not_measured"),
    ]
    assert rows[-1].state_label == "Not measured yet"

    # before the deadline (and not reviewed): on track or behind
    early = event_review(event, today=dt.date(2026, 6, 29)).goals
    assert [row.state for row in early] == [
        "on_track",
        "behind",
        "on_track",
        "behind",
        "on_track",
        "on_track",
        "not_measured",
    ]


def test_marking_reviewed_stores_the_goals_actuals_and_is_audited(world, manager_a):
    event, _c = world
    coverage = EventGoalFactory(event=event, metric=GoalMetric.COVERAGE, target=80)
    satisfaction = EventGoalFactory(event=event, metric=GoalMetric.SATISFACTION, target=90)

    with pytest.raises(ValidationError) as empty:
        event_mark_reviewed(event=event, user=manager_a, summary="  ")
    assert "summary" in empty.value.message_dict

    review = event_mark_reviewed(event=event, user=manager_a, summary="到场率高，复购明显。")
    event.refresh_from_db()
    assert event.status == EventStatus.REVIEWED
    assert event.reviewed_by == manager_a and event.reviewed_at is not None
    assert event.review_summary == "到场率高，复购明显。"
    assert EventGoal.objects.get(pk=coverage.pk).actual == Decimal("33.33")
    assert EventGoal.objects.get(pk=satisfaction.pk).actual is None
    # reviewed: met or missed even before the deadline
    assert review.goals[0].state == "missed"
    entry = AuditEntry.objects.get(object_type="events.event", object_id=str(event.pk))
    assert entry.action == AuditAction.CHANGE and entry.actor == manager_a
    assert entry.detail["goals"] == {str(coverage.pk): "33.33"}

    with pytest.raises(ValidationError):
        event_mark_reviewed(event=event, user=manager_a, summary="again")


def test_only_a_held_event_is_marked_reviewed(department_a, department_b, manager_a):
    event, _c = build(department_a, other_department=department_b, status=EventStatus.OPEN)
    with pytest.raises(ValidationError):
        event_mark_reviewed(event=event, user=manager_a, summary="太早了")
    with pytest.raises(ValidationError):
        event_review_summary_save(event=event, user=manager_a, summary="太早了")
    event.refresh_from_db()
    assert event.status == EventStatus.OPEN and event.review_summary == ""


def test_a_user_without_change_permission_cannot_write_the_review(world, department_a):
    event, _c = world
    viewer = UserFactory(role="staff", department=department_a)
    viewer.user_permissions.clear()
    viewer.groups.clear()
    with pytest.raises(PermissionDenied):
        event_review_summary_save(event=event, user=viewer, summary="x")


def _xlsx_figures(content: bytes) -> dict[str, object]:
    sheet = load_workbook(io.BytesIO(content))["Post-event review"]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}


def test_the_workbook_and_the_pdf_show_the_pages_figures(world, manager_a):
    event, _c = world
    add_budget(event, "800.00")
    EventGoalFactory(event=event, metric=GoalMetric.COVERAGE, target=80)
    event_review_summary_save(event=event, user=manager_a, summary='=HYPERLINK("x") 总结')
    event.refresh_from_db()
    review = event_review(event, user=manager_a)

    workbook = load_workbook(io.BytesIO(review_workbook(review)))
    figures = _xlsx_figures(review_workbook(review))
    sheet = workbook["Post-event review"]
    money_cells = [
        cell for row in sheet.iter_rows() for cell in row if cell.number_format == "¥#,##0.00"
    ]
    assert money_cells, "money cells carry the yuan format"
    for group in review.groups:
        for figure in group.figures:
            value = figures[figure.label]
            if figure.value is None:
                assert value is None
            elif figure.kind == "count":
                assert value == figure.value
            else:
                assert Decimal(str(value)).quantize(Decimal("0.01")) == figure.value, figure.key
    assert figures["Incremental revenue (difference-in-differences)"] == 1116.67
    # formula-safe: the summary is text, not a formula
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert '\'=HYPERLINK("x") 总结' in texts
    goals = list(workbook["Goals"].iter_rows(values_only=True))
    assert goals[1][0] == "Coverage of the target group (%)" and goals[1][3] == 33.33
    cells = list(workbook["Uplift by cell"].iter_rows(values_only=True))
    assert ("High value", "华东", 2, 1500, 2500, 3, 500, 600, 800) in cells

    text = PdfReader(io.BytesIO(review_report_pdf(review))).pages
    text = "\n".join(page.extract_text() for page in text)
    assert "VIP 答谢晚宴（华东）" in text
    assert "华南" in text
    for figure in review.figures.values():
        assert figure.text in text, figure.key
    assert format_yuan(Decimal("1116.67")) in text


def test_the_pdf_prints_chinese_labels(world):
    event, _c = world
    with translation.override("zh-hans"):
        review = event_review(event)
        pdf = review_report_pdf(review)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "VIP 答谢晚宴（华东）" in text and "周杰" not in text
    assert "高价值" in text  # the value tier, translated before this app existed


def test_the_page_shows_the_figures_and_a_manager_marks_it_reviewed(
    world, manager_a_client, manager_a
):
    event, _c = world
    EventGoalFactory(event=event, metric=GoalMetric.ATTENDANCE, target=5)
    page = manager_a_client.get(f"/events/{event.pk}/review/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-figure="incremental">¥1,116.67<' in body
    assert 'id="review-mark"' in body and 'data-chart="' in body

    refused = manager_a_client.post(
        f"/events/{event.pk}/review/", {"action": "review", "summary": ""}
    )
    assert refused.status_code == 200
    assert "Write the review summary" in refused.content.decode()
    event.refresh_from_db()
    assert event.status == EventStatus.HELD

    done = manager_a_client.post(
        f"/events/{event.pk}/review/", {"action": "review", "summary": "效果良好"}, follow=True
    )
    assert done.status_code == 200
    event.refresh_from_db()
    assert event.status == EventStatus.REVIEWED
    assert 'id="reviewed-note"' in done.content.decode()
    assert 'id="review-mark"' not in done.content.decode()


@pytest.mark.parametrize("suffix", ["", "export.xlsx", "report.pdf"])
def test_another_departments_staff_get_404(world, staff_b, suffix):
    event, _c = world
    from django.test import Client

    client = Client()
    client.force_login(staff_b)
    assert client.get(f"/events/{event.pk}/review/{suffix}").status_code == 404
    assert (
        client.post(f"/events/{event.pk}/review/", {"action": "review", "summary": "x"}).status_code
        == 404
    )


def test_exports_download_and_are_audited(world, staff_a_client, staff_a):
    event, _c = world
    xlsx = staff_a_client.get(f"/events/{event.pk}/review/export.xlsx")
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    pdf = staff_a_client.get(f"/events/{event.pk}/review/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=staff_a).count() == 2


@pytest.fixture
def survey_section():
    def section(event, user):
        if user is None:
            return None
        return ReviewSection(
            key="survey", title="Post-event survey", rows=[("Answers", "12")], note="调查备注"
        )

    register_review_section(section)
    yield section
    review_sections.remove(section)


def test_registered_sections_show_on_the_page_workbook_and_pdf(
    world, survey_section, manager_a_client, manager_a
):
    event, _c = world
    body = manager_a_client.get(f"/events/{event.pk}/review/").content.decode()
    assert 'id="review-section-survey"' in body and "调查备注" in body
    review = event_review(event, user=manager_a)
    workbook = load_workbook(io.BytesIO(review_workbook(review)))
    assert list(workbook["Post-event survey"].iter_rows(values_only=True))[1] == ("Answers", "12")
    text = PdfReader(io.BytesIO(review_report_pdf(review))).pages[0].extract_text()
    assert "Post-event survey" in text or "Post-event survey" in "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(review_report_pdf(review))).pages
    )


def test_another_department_cannot_be_reached_through_the_selector_scope(world):
    event, _c = world
    outsider = UserFactory(role="staff", department=DepartmentFactory())
    from carecrm.core.scoping import visible_to
    from events.models import Event

    assert not visible_to(outsider, Event.objects.filter(pk=event.pk)).exists()
