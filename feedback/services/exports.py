"""A survey's results as CSV and XLSX: the page's headline figures, breakdowns and trend,
then every answer. Each cell passes through ``carecrm.spreadsheet`` so a customer's
comment starting with "=" stays text."""

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from carecrm.spreadsheet import neutralise_cell, spreadsheet_text
from feedback.models import Answer, Survey
from feedback.selectors.results import SurveyResults, survey_results


def summary_rows(results: SurveyResults) -> list[list]:
    """The figures exactly as the page shows them."""
    rows: list[list] = [[_("Figure"), _("Value")]]
    rows += [[str(label), text] for label, text in results.figures()]
    rows.append([])
    rows.append([_("Breakdown"), _("Group"), _("Responses"), _("CSAT"), _("NPS")])
    for breakdown in results.breakdowns:
        for row in breakdown.rows:
            rows.append(
                [
                    breakdown.title,
                    row.label,
                    row.scores.responses,
                    row.scores.csat_text,
                    row.scores.nps_text,
                ]
            )
    rows.append([])
    rows.append(
        [_("Quarter"), _("Responses"), _("CSAT"), _("NPS"), _("CSAT change"), _("NPS change")]
    )
    for quarter in results.trend:
        rows.append(
            [
                quarter.quarter,
                quarter.scores.responses,
                quarter.scores.csat_text,
                quarter.scores.nps_text,
                quarter.csat_change_text,
                quarter.nps_change_text,
            ]
        )
    return rows


def answer_rows(survey: Survey) -> list[list]:
    """One row per answer; the customer is left out of an anonymous survey's rows."""
    rows: list[list] = [
        [
            _("Response"),
            _("Answered at"),
            _("Collected"),
            _("Customer"),
            _("Question"),
            _("Score"),
            _("Choices"),
            _("Text"),
        ]
    ]
    answers = (
        Answer.objects.filter(response__survey=survey)
        .select_related("response__customer", "question")
        .prefetch_related("choices")
        .order_by("response__submitted_at", "response_id", "question__position", "question_id")
    )
    for answer in answers:
        response = answer.response
        customer = "" if survey.anonymous or response.customer is None else response.customer.name
        rows.append(
            [
                response.pk,
                timezone.localtime(response.submitted_at).strftime("%Y-%m-%d %H:%M"),
                response.get_source_display(),
                customer,
                answer.question.text,
                answer.score,
                "; ".join(choice.text for choice in answer.choices.all()),
                answer.text,
            ]
        )
    return rows


def results_csv(survey: Survey) -> str:
    results = survey_results(survey)
    out = io.StringIO()
    writer = csv.writer(out)
    for row in [*summary_rows(results), [], *answer_rows(survey)]:
        writer.writerow([spreadsheet_text(cell) for cell in row])
    return "\ufeff" + out.getvalue()


def results_xlsx(survey: Survey) -> bytes:
    results = survey_results(survey)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Results")[:31]
    sheet.append([neutralise_cell(survey.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    for row in summary_rows(results):
        sheet.append([neutralise_cell(cell) for cell in row])
    answers = book.create_sheet(_("Answers")[:31])
    for row in answer_rows(survey):
        answers.append([neutralise_cell(cell) for cell in row])
    for cell in answers[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
