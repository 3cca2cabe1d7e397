"""How a ledger entry reads on the pages, the customer panel, the timeline and the API:
one sentence per kind, in the user's language."""

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from loyalty.models import EntryKind, PointsEntry


def points_text(points: int, *, signed: bool = False) -> str:
    """``1,234`` (``+1,234`` / ``−56`` when ``signed``)."""
    text = number_format(abs(points), force_grouping=True)
    if not signed:
        return f"-{text}" if points < 0 else text
    return f"+{text}" if points >= 0 else f"−{text}"


def _yuan(amount) -> str:
    return "¥" + number_format(abs(amount), decimal_pos=2, force_grouping=True)


def _rate(rate) -> str:
    return format(rate.normalize(), "f") if rate is not None else "—"


def describe(entry: PointsEntry, *, referral_visible: bool = True) -> str:
    """What the entry was for. ``referral_visible``: the user may see the referred
    customer of a referral bonus (otherwise the name is left out)."""
    order_no = entry.order.order_no if entry.order_id else ""
    if entry.kind == EntryKind.EARN:
        return _("Purchase %(order_no)s · %(amount)s at %(rate)s points per yuan") % {
            "order_no": order_no,
            "amount": _yuan(entry.basis or 0),
            "rate": _rate(entry.rate),
        }
    if entry.kind == EntryKind.CORRECTION:
        return _("Order %(order_no)s changed to %(amount)s") % {
            "order_no": order_no,
            "amount": ("−" if (entry.basis or 0) < 0 else "") + _yuan(entry.basis or 0),
        }
    if entry.kind == EntryKind.REVERSAL:
        if entry.original_order_id:
            text = _("Refund %(order_no)s of purchase %(original)s · %(amount)s") % {
                "order_no": order_no,
                "original": entry.original_order.order_no,
                "amount": _yuan(entry.basis or 0),
            }
        else:
            text = _("Refund %(order_no)s · %(amount)s at %(rate)s points per yuan") % {
                "order_no": order_no,
                "amount": _yuan(entry.basis or 0),
                "rate": _rate(entry.rate),
            }
        return f"{text} · {entry.note}" if entry.note else text
    if entry.kind == EntryKind.BIRTHDAY:
        return _("Birthday bonus %(year)s") % {"year": entry.year}
    if entry.kind == EntryKind.REFERRAL:
        if referral_visible and entry.referral_id:
            return _("Referral bonus: %(name)s became a VIP") % {"name": entry.referral.name}
        return _("Referral bonus: a referred customer became a VIP")
    if entry.kind == EntryKind.REDEMPTION:
        text = _("Redeemed for %(reward)s") % {"reward": entry.reward}
        return f"{text} · {entry.note}" if entry.note else text
    return entry.note or str(EntryKind(entry.kind).label)
