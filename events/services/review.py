"""Writing the review of a held event: its summary, and marking it reviewed (care
programme §5: reviewed within a week; §6: every event's return is assessed afterwards).
Marking it reviewed records the goals' actual figures as the review computed them, so
the record keeps what was judged even as later orders move the live figures."""

import io

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from carecrm.pdf import render_pdf
from carecrm.spreadsheet import neutralise_cell
from events.models import Event, EventGoal, EventStatus
from events.selectors.review import EventReview, event_review

REVIEW_PERMISSION = "events.change_event"
SUMMARY_MAX_LENGTH = 10000


def _check(user, summary: str) -> str:
    if not user.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied(_("You cannot write the review of this event."))
    summary = (summary or "").strip()
    if len(summary) > SUMMARY_MAX_LENGTH:
        raise ValidationError(
            {
                "summary": _("Keep the summary under %(count)s characters.")
                % {"count": SUMMARY_MAX_LENGTH}
            }
        )
    return summary


def event_review_summary_save(*, event: Event, user, summary: str, request=None) -> Event:
    """Save the review summary (a draft until the event is marked reviewed)."""
    summary = _check(user, summary)
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        if event.status not in (EventStatus.HELD, EventStatus.REVIEWED):
            raise ValidationError(_("An event gets its review once it has been held."))
        if event.review_summary != summary:
            event.review_summary = summary
            event.save(update_fields=["review_summary", "updated_at"])
            audit_record(
                actor=user,
                action=AuditAction.CHANGE,
                obj=event,
                detail={"review_summary": True},
                request=request,
            )
    return event


def event_mark_reviewed(*, event: Event, user, summary: str, request=None) -> EventReview:
    """Held → reviewed: stores the summary, who and when, and each goal's actual figure
    (goals it cannot measure keep theirs); audited. Returns the review it recorded."""
    summary = _check(user, summary)
    if not summary:
        raise ValidationError(
            {"summary": _("Write the review summary before marking the event reviewed.")}
        )
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        if event.status != EventStatus.HELD:
            raise ValidationError(
                _("Only a held event can be marked reviewed; this one is %(status)s.")
                % {"status": event.get_status_display()}
            )
        review = event_review(event, user=user)
        measured = [row for row in review.goals if row.actual is not None]
        goals = []
        for row in measured:
            goal: EventGoal = row.goal
            goal.actual = row.actual
            goals.append(goal)
        EventGoal.objects.bulk_update(goals, ["actual"])
        event.status = EventStatus.REVIEWED
        event.review_summary = summary
        event.reviewed_at = timezone.now()
        event.reviewed_by = user
        event.save(
            update_fields=["status", "review_summary", "reviewed_at", "reviewed_by", "updated_at"]
        )
        audit_record(
            actor=user,
            action=AuditAction.CHANGE,
            obj=event,
            detail={
                "status": [EventStatus.HELD, EventStatus.REVIEWED],
                "goals": {str(row.goal.pk): str(row.actual) for row in measured},
                "incremental_revenue": (
                    None if review.uplift.incremental is None else str(review.uplift.incremental)
                ),
                "spent": None if review.returns.spent is None else str(review.returns.spent),
            },
            request=request,
        )
    return event_review(event, user=user)


# --- exports: the same figures as the page -----------------------------------------------

MONEY_FORMAT = "¥#,##0.00"
PERCENT_FORMAT = '0.00" %"'
COUNT_FORMAT = "#,##0"
_FORMATS = {"money": MONEY_FORMAT, "percent": PERCENT_FORMAT, "count": COUNT_FORMAT}


def _cell(sheet, row: int, column: int, value, kind: str | None = None):
    cell = sheet.cell(row=row, column=column, value=neutralise_cell(_text(value)))
    if kind and value is not None:
        cell.number_format = _FORMATS[kind]
    return cell


def _text(value):
    if isinstance(value, Promise):
        return ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def review_workbook(review: EventReview) -> bytes:
    """Sheets: the figures with their definitions, the goals, the uplift cells and any
    registered sections. Money and percentages are numbers with a display format."""
    event = review.event
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Post-event review")[:31]
    bold = Font(bold=True)
    _cell(sheet, 1, 1, event.title).font = Font(bold=True, size=14)
    _cell(sheet, 2, 1, _("Status"))
    _cell(sheet, 2, 2, event.get_status_display())
    _cell(sheet, 3, 1, _("Event days"))
    _cell(
        sheet,
        3,
        2,
        f"{timezone.localdate(event.starts_at).isoformat()} – "
        f"{timezone.localdate(event.ends_at).isoformat()}",
    )
    row = 5
    for group in review.groups:
        _cell(sheet, row, 1, group.title).font = bold
        row += 1
        for figure in group.figures:
            _cell(sheet, row, 1, figure.label)
            _cell(sheet, row, 2, figure.value, figure.kind)
            row += 1
        row += 1
    _cell(sheet, row, 1, _("Review summary")).font = bold
    _cell(sheet, row + 1, 1, event.review_summary or "—")
    row += 3
    _cell(sheet, row, 1, _("Definitions")).font = bold
    for line in review.definitions:
        row += 1
        _cell(sheet, row, 1, line)
    sheet.column_dimensions["A"].width = 52
    sheet.column_dimensions["B"].width = 22

    goals = workbook.create_sheet(_("Goals")[:31])
    headers = [_("Metric"), _("Baseline"), _("Target"), _("Actual"), _("Deadline"), _("State")]
    for column, header in enumerate(headers, 1):
        _cell(goals, 1, column, header).font = bold
    for number, goal in enumerate(review.goals, 2):
        kind = goal.kind
        _cell(goals, number, 1, goal.label)
        _cell(goals, number, 2, goal.baseline, kind)
        _cell(goals, number, 3, goal.target, kind)
        _cell(goals, number, 4, goal.actual, kind)
        goals.cell(row=number, column=5, value=goal.deadline).number_format = "yyyy-mm-dd"
        _cell(goals, number, 6, goal.state_label)
    goals.column_dimensions["A"].width = 34

    cells = workbook.create_sheet(_("Uplift by cell")[:31])
    headers = [
        _("Value tier"),
        _("Region"),
        _("Attendees"),
        _("Attendees' purchases before"),
        _("Attendees' purchases after"),
        _("Comparison customers"),
        _("Before, per comparison customer"),
        _("After, per comparison customer"),
        _("Incremental revenue"),
    ]
    for column, header in enumerate(headers, 1):
        _cell(cells, 1, column, header).font = bold
    for number, cell in enumerate(review.uplift.cells, 2):
        values = [
            (cell.tier_label, None),
            (cell.region or "—", None),
            (cell.attendees, "count"),
            (cell.attendees_before, "money"),
            (cell.attendees_after, "money"),
            (cell.comparison, "count"),
            (cell.comparison_before, "money"),
            (cell.comparison_after, "money"),
            (cell.incremental, "money"),
        ]
        for column, (value, kind) in enumerate(values, 1):
            _cell(cells, number, column, value, kind)

    for section in review.sections:
        extra = workbook.create_sheet(str(section.title)[:31])
        _cell(extra, 1, 1, section.title).font = bold
        for number, (label, value) in enumerate(section.rows, 2):
            _cell(extra, number, 1, label)
            _cell(extra, number, 2, value)
        if section.note:
            _cell(extra, len(section.rows) + 3, 1, section.note)
    handle = io.BytesIO()
    workbook.save(handle)
    return handle.getvalue()


def review_report_pdf(review: EventReview) -> bytes:
    return render_pdf("events/pdf/review.html", {"review": review, "event": review.event})


def event_review_export(*, event: Event, user, file_format: str, request=None) -> bytes:
    """The review as XLSX or PDF, audited as an export of the event."""
    review = event_review(event, user=user)
    content = review_workbook(review) if file_format == "xlsx" else review_report_pdf(review)
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        obj=event,
        detail={"review": file_format},
        request=request,
    )
    return content
