"""A campaign's schedule as one sentence in the reader's language ("3 days before each
customer's birthday, 09:00", "Every week on Monday, 09:00") — from a campaign or from a
version's snapshot, so the review page compares what managers read, never FREQ= or
days_before."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.calendar import FESTIVALS_BY_CODE
from campaigns.models import CampaignKind, CareCampaign, HolidaySource, Recurrence, TriggerKind
from campaigns.selectors.recurrence import describe_rule


def _time(value) -> dt.time | None:
    if isinstance(value, dt.time) or value is None:
        return value
    return dt.time.fromisoformat(value) if value else None


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date) or value is None:
        return value
    return dt.date.fromisoformat(value) if value else None


def describe_schedule(kind: str, schedule: dict) -> str:
    """The schedule in one sentence from plain values (a snapshot's ``schedule`` or a
    campaign's fields): send time, days before, holiday, send at, recurrence, trigger
    and the dates it runs between."""
    send_time = _time(schedule.get("send_time"))
    at = send_time.strftime("%H:%M") if send_time else ""
    days = int(schedule.get("days_before") or 0)
    source = schedule.get("holiday_source") or ""
    if kind == CampaignKind.BIRTHDAY:
        if days == 0:
            text = _("On each customer's birthday (solar or lunar as they celebrate it)")
        else:
            text = ngettext(
                "%(days)d day before each customer's birthday (solar or lunar as they "
                "celebrate it)",
                "%(days)d days before each customer's birthday (solar or lunar as they "
                "celebrate it)",
                days,
            ) % {"days": days}
    elif kind == CampaignKind.HOLIDAY:
        festival = FESTIVALS_BY_CODE.get(schedule.get("festival") or "")
        if source == HolidaySource.CUSTOMER_ANNIVERSARY:
            label = _("each customer's company anniversary")
        elif source == HolidaySource.FESTIVAL and festival:
            label = str(festival.name)
        elif source == HolidaySource.COMPANY_DAY and schedule.get("company_day"):
            label = str(schedule["company_day"])
        else:
            label = _("Company anniversary")
        if days == 0:
            text = _("On %(day)s") % {"day": label}
        else:
            text = ngettext("%(days)d day before %(day)s", "%(days)d days before %(day)s", days) % {
                "days": days,
                "day": label,
            }
    elif kind == CampaignKind.ONE_OFF:
        send_at = schedule.get("send_at")
        if isinstance(send_at, str):
            send_at = dt.datetime.fromisoformat(send_at) if send_at else None
        if not send_at:
            return _("No send time yet")
        return _("Once, on %(when)s") % {
            "when": timezone.localtime(send_at).strftime("%Y-%m-%d %H:%M")
        }
    elif kind == CampaignKind.RECURRING:
        recurrence = schedule.get("recurrence") or ""
        if recurrence == Recurrence.RRULE:
            text = describe_rule(schedule.get("rrule") or "")
        else:
            text = str(Recurrence(recurrence).label) if recurrence else ""
    else:
        trigger = schedule.get("trigger") or ""
        label = str(TriggerKind(trigger).label) if trigger else "?"
        delay = int(schedule.get("trigger_delay_days") or 0)
        if delay:
            text = ngettext(
                "%(days)d day after: %(event)s", "%(days)d days after: %(event)s", delay
            ) % {"days": delay, "event": label}
        else:
            text = _("On the day of: %(event)s") % {"event": label}
    text = _("%(schedule)s, %(time)s") % {"schedule": text, "time": at} if at else text
    starts_on, ends_on = _date(schedule.get("starts_on")), _date(schedule.get("ends_on"))
    if starts_on or ends_on:
        text += " · " + _("from %(start)s until %(end)s") % {
            "start": starts_on or "…",
            "end": ends_on or "…",
        }
    return text


def campaign_schedule_values(campaign: CareCampaign) -> dict:
    return {
        "send_time": campaign.send_time,
        "days_before": campaign.days_before,
        "holiday_source": campaign.holiday_source,
        "festival": campaign.festival,
        "company_day": campaign.company_day.name if campaign.company_day_id else "",
        "send_at": campaign.send_at,
        "recurrence": campaign.recurrence,
        "rrule": campaign.rrule,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "trigger": campaign.trigger,
        "trigger_delay_days": campaign.trigger_delay_days,
    }
