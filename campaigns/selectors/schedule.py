"""A campaign's schedule as one sentence in the reader's language ("3 days before each
customer's birthday, 09:00", "Every week on Monday, 09:00") — from a campaign or from a
version's snapshot, so the review page compares what managers read, never FREQ= or
days_before."""

import datetime as dt

from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from campaigns.calendar import FESTIVALS_BY_CODE
from campaigns.models import CampaignKind, CareCampaign, HolidaySource, Recurrence, TriggerKind

RRULE_DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


def _join(items) -> str:
    """Items as a list in the reader's language: "Monday, Friday" / "星期一、星期五"."""
    separator = "、" if (get_language() or "").startswith("zh") else ", "
    return separator.join(str(item) for item in items)


def _nth(n: int, day: str) -> str:
    texts = {
        1: _("first %(day)s"),
        2: _("second %(day)s"),
        3: _("third %(day)s"),
        4: _("fourth %(day)s"),
        5: _("fifth %(day)s"),
        -1: _("last %(day)s"),
    }
    return texts[n] % {"day": day} if n in texts else str(day)


def _weekdays(value: str) -> str:
    """``BYDAY=MO,WE`` or ``BYDAY=1MO,-1FR`` in words, joined by the list separator."""
    days = []
    for item in value.split(","):
        item = item.strip().upper()
        code, count = item[-2:], item[:-2]
        if code not in RRULE_DAYS:
            raise ValueError(item)
        name = str(WEEKDAYS[RRULE_DAYS[code]])
        days.append(_nth(int(count), name) if count not in ("", "+") else name)
    return _join(days)


def _month_days(value: str) -> str:
    days = []
    for item in value.split(","):
        n = int(item)
        days.append(_("the last day") if n == -1 else _("day %(n)d") % {"n": n})
    return _join(days)


def describe_rrule(text: str) -> str:
    """An iCalendar RRULE in words: "Every week on Monday", "Every month on the first
    Monday", "Every 2 months on day 15". A rule it cannot read is only called custom."""
    try:
        parts = dict(
            part.split("=", 1)
            for part in text.strip().removeprefix("RRULE:").split(";")
            if part.strip()
        )
        parts = {key.strip().upper(): value.strip() for key, value in parts.items()}
        freq = parts["FREQ"].upper()
        interval = int(parts.get("INTERVAL", "1") or 1)
        byday = parts.get("BYDAY")
        bymonthday = parts.get("BYMONTHDAY")
        bymonth = parts.get("BYMONTH")
        if freq == "DAILY":
            sentence = _("Every day") if interval == 1 else _("Every %(n)d days") % {"n": interval}
        elif freq == "WEEKLY":
            days = _weekdays(byday) if byday else None
            if interval == 1:
                sentence = _("Every week on %(days)s") % {"days": days} if days else _("Every week")
            elif days:
                sentence = _("Every %(n)d weeks on %(days)s") % {"n": interval, "days": days}
            else:
                sentence = _("Every %(n)d weeks") % {"n": interval}
        elif freq == "MONTHLY":
            days = _weekdays(byday) if byday else (_month_days(bymonthday) if bymonthday else None)
            if interval == 1:
                sentence = (
                    _("Every month on %(days)s") % {"days": days} if days else _("Every month")
                )
            elif days:
                sentence = _("Every %(n)d months on %(days)s") % {"n": interval, "days": days}
            else:
                sentence = _("Every %(n)d months") % {"n": interval}
        elif freq == "YEARLY":
            if bymonth and bymonthday:
                sentence = _("Every year on %(month)s %(day)s") % {
                    "month": _join(MONTHS[int(m)] for m in bymonth.split(",")),
                    "day": _month_days(bymonthday),
                }
            else:
                sentence = _("Every year")
        else:
            raise ValueError(freq)
        if parts.get("COUNT"):
            sentence += " · " + _("%(n)d times in all") % {"n": int(parts["COUNT"])}
        if parts.get("UNTIL"):
            until = dt.datetime.strptime(parts["UNTIL"][:8], "%Y%m%d").date()
            sentence += " · " + _("until %(date)s") % {"date": until.isoformat()}
        return sentence
    except (KeyError, ValueError, IndexError):
        return _("A custom repeat rule")


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
            text = _(
                "%(days)d days before each customer's birthday (solar or lunar as they "
                "celebrate it)"
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
            text = _("%(days)d days before %(day)s") % {"days": days, "day": label}
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
            text = describe_rrule(schedule.get("rrule") or "")
        else:
            text = str(Recurrence(recurrence).label) if recurrence else ""
    else:
        trigger = schedule.get("trigger") or ""
        label = str(TriggerKind(trigger).label) if trigger else "?"
        delay = int(schedule.get("trigger_delay_days") or 0)
        if delay:
            text = _("%(days)d days after: %(event)s") % {"days": delay, "event": label}
        else:
            text = _("On the day of: %(event)s") % {"event": label}
    text = f"{text}, {at}" if at else text
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
