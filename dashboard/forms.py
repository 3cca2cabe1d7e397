"""The reports page's form: which period (month, quarter, year or a custom range) and,
for admins, which department."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecrm.accounts.models import Department
from dashboard.periods import Period, PeriodKind
from dashboard.scope import DashboardScope

# Three years: longer ranges would be slow to lay out and unreadable on paper.
MAX_CUSTOM_DAYS = 3 * 366
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def default_report_day(today: dt.date) -> dt.date:
    """Last month's first day: the report people want is of the month that ended."""
    return Period.month(today).previous().start


class ReportForm(forms.Form):
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=[
            (PeriodKind.MONTH, gettext_lazy("Month")),
            (PeriodKind.QUARTER, gettext_lazy("Quarter")),
            (PeriodKind.YEAR, gettext_lazy("Year")),
            (PeriodKind.CUSTOM, gettext_lazy("Custom range")),
        ],
        initial=PeriodKind.MONTH,
    )
    on = forms.DateField(
        label=gettext_lazy("A day in the period"),
        required=False,
        widget=DATE_INPUT,
        help_text=gettext_lazy("Any day of the month, quarter or year you want."),
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All departments"),
    )

    def __init__(self, data=None, *, user, today: dt.date | None = None):
        super().__init__(data)
        self.user = user
        self.today = today or timezone.localdate()
        self.fields["on"].initial = default_report_day(self.today)
        # "from" and "to" are the dashboard's own query parameters (Period.as_query).
        self.fields["from"] = forms.DateField(
            label=_("First day"), required=False, widget=DATE_INPUT
        )
        self.fields["to"] = forms.DateField(label=_("Last day"), required=False, widget=DATE_INPUT)
        if not user.is_admin_role:
            del self.fields["department"]
        self.order_fields(["period", "on", "from", "to", "department"])

    def clean(self):
        data = super().clean()
        kind = data.get("period")
        if not kind or self.has_error("on") or self.has_error("from") or self.has_error("to"):
            return data
        if kind == PeriodKind.CUSTOM:
            period = self._custom_period(data.get("from"), data.get("to"))
        else:
            period = Period.of_kind(kind, data.get("on") or default_report_day(self.today))
        if period is not None and period.start > self.today:
            self.add_error(
                "to" if kind == PeriodKind.CUSTOM else "on",
                _("This period has not started yet: pick one that began by today."),
            )
            period = None
        data["report_period"] = period
        return data

    def _custom_period(self, first: dt.date | None, last: dt.date | None) -> Period | None:
        if first is None:
            self.add_error("from", _("Give the first day of the custom range."))
        if last is None:
            self.add_error("to", _("Give the last day of the custom range."))
        if first is None or last is None:
            return None
        try:
            period = Period.custom(first, last)
        except ValueError as exc:
            self.add_error("to", str(exc))
            return None
        if period.days > MAX_CUSTOM_DAYS:
            self.add_error(
                "to",
                _("A custom range is at most %(days)s days long; this one has %(length)s.")
                % {"days": MAX_CUSTOM_DAYS, "length": period.days},
            )
            return None
        return period

    @property
    def report_period(self) -> Period:
        return self.cleaned_data["report_period"]

    @property
    def scope(self) -> DashboardScope:
        department = self.cleaned_data.get("department")
        return DashboardScope.for_user(self.user, department.pk if department else None)
