"""Consent in customer imports: the consent basis a user records for a whole file, and who
the imported rows will be unreachable for, per channel.

Imported customers used to arrive with every channel "not asked" and were suppressed on
their first touch. A file now may carry consent columns (``consent_sms`` …, row by row)
and a basis for the file (e.g. "consented at registration", the day, where it is written
down, the channels it covers): a row with no consent value of its own for a covered
channel is recorded as granted on that basis. The dry run counts, per channel, the rows
nobody could reach afterwards (no consent, or no address for the channel), so the user
sees the gap before importing.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from carecrm.channels import CONSENT_CHANNELS, Channel
from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from customers.models import ImportJob, ImportKind

REACH_CHANNELS = tuple(channel.value for channel in CONSENT_CHANNELS)
# Why a row cannot be reached on a channel, in the order they are checked (delivery's
# suppression checks consent before the address).
NOT_ASKED, REFUSED, NO_ADDRESS = "not_asked", "refused", "no_address"


@dataclass(frozen=True)
class ConsentBasis:
    """What a file's consents rest on: e.g. "consented at registration" / 注册时同意,
    given on ``on``, written down in ``source`` ("门店会员登记表 2026-03")."""

    basis: str
    on: dt.date
    source: str
    channels: tuple[str, ...]

    @classmethod
    def from_input(cls, data: dict) -> "ConsentBasis | None":
        """The basis a form or API request filled in (``consent_basis*`` fields; the
        service checks it), ``None`` when every one of them was left empty."""
        if not any(value for name, value in data.items() if name.startswith("consent_basis")):
            return None
        return cls(
            basis=data.get("consent_basis", ""),
            on=data.get("consent_basis_date"),
            source=data.get("consent_basis_source", ""),
            channels=tuple(data.get("consent_basis_channels") or ()),
        )

    @classmethod
    def of(cls, job: ImportJob) -> "ConsentBasis | None":
        if not job.consent_basis or not job.consent_basis_channels:
            return None
        return cls(
            basis=job.consent_basis,
            on=job.consent_basis_date,
            source=job.consent_basis_source,
            channels=tuple(job.consent_basis_channels),
        )


def consent_basis_check(basis: ConsentBasis) -> ConsentBasis:
    """The basis trimmed, or ``ValidationError`` keyed by the form's field names."""
    errors: dict[str, list] = {}
    text = (basis.basis or "").strip()
    source = (basis.source or "").strip()
    if not text:
        errors["consent_basis"] = [_("Say what the consent rests on.")]
    elif len(text) > 200:
        errors["consent_basis"] = [_("The consent basis is longer than 200 characters.")]
    if len(source) > 200:
        errors["consent_basis_source"] = [_("The source is longer than 200 characters.")]
    if basis.on is None:
        errors["consent_basis_date"] = [_("Give the date the consent was given.")]
    elif basis.on > timezone.localdate():
        errors["consent_basis_date"] = [_("The consent cannot have been given in the future.")]
    channels = tuple(c for c in REACH_CHANNELS if c in set(basis.channels or ()))
    if not channels or len(channels) != len(set(basis.channels or ())):
        errors["consent_basis_channels"] = [_("Choose the channels the consent covers.")]
    if errors:
        raise ValidationError(errors)
    return ConsentBasis(basis=text, on=basis.on, source=source, channels=channels)


def import_consent_basis_record(*, job: ImportJob, user, basis: ConsentBasis) -> ImportJob:
    """Record the file's consent basis on the job (not yet started) and audit it: who,
    which import, the basis, its date and source and the channels it covers. The caller
    holds the job locked in its transaction."""
    if job.kind != ImportKind.CUSTOMERS:
        raise ValidationError(_("A consent basis belongs to a customer import."))
    basis = consent_basis_check(basis)
    job.consent_basis = basis.basis
    job.consent_basis_date = basis.on
    job.consent_basis_source = basis.source
    job.consent_basis_channels = list(basis.channels)
    job.save(
        update_fields=[
            "consent_basis",
            "consent_basis_date",
            "consent_basis_source",
            "consent_basis_channels",
        ]
    )
    audit_record(
        actor=user,
        action=AuditAction.CONSENT,
        obj=job,
        detail={
            "import_job": job.pk,
            "file": job.original_name,
            "consent_basis": basis.basis,
            "channels": list(basis.channels),
            "date": basis.on.isoformat(),
            "source": basis.source,
        },
    )
    return job


# --- reach ----------------------------------------------------------------------------------


def _has_address(channel: str, customer: dict) -> bool:
    """Whether the channel has somewhere to go — the rule of delivery's suppression
    (SMS to mainland mobiles only), on the values the customer will have."""
    mobile = customer.get("mobile") or ""
    if channel == Channel.SMS:
        return mobile.startswith("+861")
    if channel == Channel.PHONE:
        return bool(mobile)
    if channel == Channel.EMAIL:
        return "@" in (customer.get("email") or "")
    if channel == Channel.WECOM:
        return bool(customer.get("wecom_external_id"))
    if channel == Channel.PUSH:
        return bool(customer.get("push_token"))
    return False


def reach_count(states: list[tuple[dict, dict]]) -> Counter:
    """``Counter({"sms:not_asked": n, …})`` of the rows that cannot be reached afterwards:
    ``states`` holds for each row the customer's contact values and its consent per
    channel after the import (``True``/``False``; a channel missing: not asked). One pass
    over rows already in memory: no query."""
    counts: Counter = Counter()
    for customer, consents in states:
        for channel in REACH_CHANNELS:
            granted = consents.get(channel)
            if granted is None:
                counts[f"{channel}:{NOT_ASKED}"] += 1
            elif not granted:
                counts[f"{channel}:{REFUSED}"] += 1
            elif not _has_address(channel, customer):
                counts[f"{channel}:{NO_ADDRESS}"] += 1
    return counts


def reach_merge(stored: dict, counts: Counter) -> dict:
    """The job's ``reach`` JSON with a chunk's counts added."""
    merged = {channel: dict(reasons) for channel, reasons in (stored or {}).items()}
    for key, count in counts.items():
        channel, reason = key.split(":")
        reasons = merged.setdefault(channel, {})
        reasons[reason] = reasons.get(reason, 0) + count
    return merged
