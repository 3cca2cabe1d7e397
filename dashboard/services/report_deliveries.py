"""The monthly care report by email: each active manager gets their department's report
for last month, each administrator every department's, as a PDF and an XLSX attachment.

Exactly one :class:`ReportDelivery` row per recipient, month and kind (a unique
constraint) records what happened, so the daily beat run is idempotent: a sent report
is never sent again, a failed one keeps its SMTP error and is tried on the next run (up
to ``MAX_ATTEMPTS``), and nothing is dropped without a row saying why. Each send holds
its row locked, so two overlapping runs cannot both send it. If the SMTP server accepts
a message and the database then fails to record it, the next run sends it again: a
report may, rarely, arrive twice, never not at all.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carecrm.core.dispatch import task_enqueue
from dashboard.formatting import format_change, format_value
from dashboard.models import DeliveryStatus, ReportDelivery, ReportKind
from dashboard.periods import Period, PeriodKind
from dashboard.scope import DashboardScope
from dashboard.selectors.report_deliveries import (
    DUE_STATUSES,
    deliveries_due,
    recipient_scope,
    report_language,
    report_recipients,
)
from dashboard.selectors.reports import CareReport, care_report
from dashboard.services.report_files import PDF, XLSX, report_filename, report_pdf, report_xlsx

logger = logging.getLogger(__name__)

SMTP_TIMEOUT = 60  # seconds, unless EMAIL_TIMEOUT says otherwise


@dataclass
class RenderedReport:
    report: CareReport
    pdf: bytes
    xlsx: bytes


class ReportCache:
    """Reports rendered during one run, by scope, period and language: the managers of
    one department share a report, so it is laid out once."""

    def __init__(self):
        self._reports: dict[tuple, RenderedReport] = {}

    def get(self, scope: DashboardScope, period: Period, language: str) -> RenderedReport:
        key = (scope.cache_key, period, language)
        if key not in self._reports:
            with translation.override(language):
                report = care_report(scope, period)
                self._reports[key] = RenderedReport(
                    report,
                    report_pdf(report, language=language),
                    report_xlsx(report, language=language),
                )
        return self._reports[key]


def last_month(today: dt.date) -> Period:
    return Period.month(today).previous()


def deliveries_plan(period: Period) -> int:
    """A pending delivery of ``period``'s monthly report for every recipient who has
    none yet; the number created."""
    recipients = list(
        report_recipients().values_list("pk", "department_id", "is_superuser", "in_admin_group")
    )
    existing = set(
        ReportDelivery.objects.filter(
            kind=ReportKind.MONTHLY, period_start=period.start
        ).values_list("recipient_id", flat=True)
    )
    new = [
        ReportDelivery(
            recipient_id=pk,
            department_id=None if superuser or admin else department_id,
            kind=ReportKind.MONTHLY,
            period_start=period.start,
            period_end=period.end,
        )
        for pk, department_id, superuser, admin in recipients
        if pk not in existing
    ]
    ReportDelivery.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def monthly_reports_send(today: dt.date | None = None) -> dict:
    """Plan last month's reports for whoever lacks one, then send every delivery still
    owed (this month's and earlier failures). Safe to run any number of times."""
    period = last_month(today or timezone.localdate())
    planned = deliveries_plan(period)
    cache = ReportCache()
    outcome = dict.fromkeys(DeliveryStatus.values, 0)
    for pk in list(deliveries_due().values_list("pk", flat=True)):
        status = delivery_send(pk, cache=cache)
        outcome[status] = outcome.get(status, 0) + 1
    return {"period": period.start.isoformat(), "planned": planned, **outcome}


def _period_of(delivery: ReportDelivery) -> Period:
    return Period(PeriodKind.MONTH, delivery.period_start, delivery.period_end)


def report_email(
    delivery: ReportDelivery, rendered: RenderedReport, language: str, connection=None
) -> EmailMessage:
    """The email with both files: a short note in ``language`` naming the report, its
    headline figures and where to get any other period."""
    report = rendered.report
    recipient = delivery.recipient
    with translation.override(language):
        subject = _("%(title)s %(period)s · %(scope)s") % {
            "title": report.title,
            "period": report.period.label,
            "scope": report.scope.label,
        }
        lines = [
            _("Hello %(name)s,") % {"name": recipient},
            "",
            _(
                "%(title)s for %(scope)s, %(period)s (%(first)s to %(last)s). Attached are "
                "a PDF to read and a spreadsheet with every figure."
            )
            % {
                "title": report.title,
                "scope": report.scope.label,
                "period": report.period.label,
                "first": report.period.start.isoformat(),
                "last": report.period.last_day.isoformat(),
            },
            "",
        ]
        if report.figures.kpis:
            lines.append(
                _("Key figures (change from %(previous)s):")
                % {"previous": report.figures.previous.label}
            )
            lines += [
                f"- {figure.label}: {format_value(figure.value, figure.unit)}"
                f" ({format_change(figure.change, figure.unit)})"
                for figure in report.figures.kpis
            ]
            lines.append("")
        feedback = report.feedback
        lines += [
            _(
                "Feedback: %(opened)s items opened, %(resolved)s resolved or closed; "
                "%(overdue)s open items are past a deadline."
            )
            % {
                "opened": feedback.opened,
                "resolved": feedback.resolved,
                "overdue": feedback.overdue,
            },
            "",
            _("Reports for any period: %(url)s")
            % {"url": settings.SITE_URL.rstrip("/") + reverse("dashboard:reports")},
        ]
    message = EmailMessage(
        subject,
        "\n".join(lines),
        settings.DEFAULT_FROM_EMAIL,
        [recipient.email],
        connection=connection,
    )
    message.attach(report_filename(report, "pdf"), rendered.pdf, PDF)
    message.attach(report_filename(report, "xlsx"), rendered.xlsx, XLSX)
    return message


def delivery_send(pk: int, *, cache: ReportCache | None = None) -> str:
    """Send one delivery if it is still owed; its status afterwards. Every failure —
    the SMTP server's refusal, a report that would not render — is recorded on the row
    with its error, never raised past it, so one bad address cannot stop the run."""
    cache = cache or ReportCache()
    with transaction.atomic():
        delivery = ReportDelivery.objects.select_for_update(of=("self",)).filter(pk=pk).first()
        if delivery is None:  # its recipient was deleted meanwhile
            return "gone"
        if delivery.status not in DUE_STATUSES:
            return delivery.status
        recipient = delivery.recipient
        scope = recipient_scope(recipient)
        now = timezone.now()
        if scope is None:
            delivery.status = DeliveryStatus.SKIPPED
            delivery.error = _(
                "Not sent: %(name)s is no longer an active manager of a department or an "
                "administrator with an email address."
            ) % {"name": recipient}
            delivery.save(update_fields=["status", "error"])
            return delivery.status
        delivery.department_id = None if recipient.is_admin_role else recipient.department_id
        delivery.email = recipient.email
        delivery.attempts += 1
        delivery.last_attempt_at = now
        language = report_language(recipient)
        connection = get_connection(timeout=settings.EMAIL_TIMEOUT or SMTP_TIMEOUT)
        try:
            # An unreachable server fails here, before a report is laid out for nothing.
            connection.open()
            with transaction.atomic():  # a query failing while rendering spares the row
                rendered = cache.get(scope, _period_of(delivery), language)
            report_email(delivery, rendered, language, connection).send()
        except Exception as exc:
            logger.warning("Care report %s to %s failed: %s", pk, recipient.email, exc)
            delivery.status = DeliveryStatus.FAILED
            delivery.error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.error = ""
        finally:
            connection.close()
        delivery.save()
        return delivery.status


def delivery_send_again(*, delivery: ReportDelivery, user) -> ReportDelivery:
    """Queue a delivery that failed (or was not sent) once more, with a fresh count of
    attempts; a sent report is not sent twice — its reader can download it."""
    with transaction.atomic():
        delivery = ReportDelivery.objects.select_for_update(of=("self",)).get(pk=delivery.pk)
        if delivery.status == DeliveryStatus.SENT:
            raise ValidationError(
                _("This report was sent on %(at)s; download it again from this page instead.")
                % {"at": timezone.localtime(delivery.sent_at).strftime("%Y-%m-%d %H:%M")}
            )
        delivery.status = DeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.error = ""
        delivery.save(update_fields=["status", "attempts", "error"])
        logger.info("Care report %s queued again by user %s", delivery.pk, user.pk)
        task_enqueue("dashboard.send_report_delivery", delivery.pk)
    return delivery
