"""Writing the audit trail. One call per user action; bulk actions log one row per
customer touched, written with ``bulk_create``."""

from collections.abc import Iterable

from carecrm.core.models import AuditAction, AuditEntry


def _client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor,
    action: AuditAction | str,
    customer_id: int | None = None,
    obj=None,
    detail: dict | None = None,
    request=None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        customer_id=customer_id,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail or {},
        ip_address=_client_ip(request),
    )


def audit_record_many(
    *,
    actor,
    action: AuditAction | str,
    customer_ids: Iterable[int],
    detail: dict | None = None,
    request=None,
) -> int:
    entries = [
        AuditEntry(
            actor=actor if getattr(actor, "pk", None) else None,
            action=action,
            customer_id=customer_id,
            object_type="customers.customer",
            object_id=str(customer_id),
            detail=detail or {},
            ip_address=_client_ip(request),
        )
        for customer_id in customer_ids
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=2000)
    return len(entries)
