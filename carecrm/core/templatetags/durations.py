"""Durations as people say them: one unit, rounded down ("3 weeks", not "11 months, 3 weeks")."""

import datetime as dt

from django import template
from django.utils.translation import ngettext

register = template.Library()


def overdue_text(due: dt.date, today: dt.date) -> str:
    days = (today - due).days
    if days < 14:
        return ngettext("%(n)d day overdue", "%(n)d days overdue", days) % {"n": days}
    if days < 7 * 8:
        weeks = days // 7
        return ngettext("%(n)d week overdue", "%(n)d weeks overdue", weeks) % {"n": weeks}
    if days < 730:
        months = days * 12 // 365
        return ngettext("%(n)d month overdue", "%(n)d months overdue", months) % {"n": months}
    years = days // 365
    return ngettext("%(n)d year overdue", "%(n)d years overdue", years) % {"n": years}


@register.filter
def overdue_since(due: dt.date, today: dt.date) -> str:
    """``{{ task.due_on|overdue_since:today }}`` → "3 weeks overdue" / "逾期 3 周"."""
    if not due or not today or due >= today:
        return ""
    return overdue_text(due, today)
