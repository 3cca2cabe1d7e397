"""Loyalty listens to two things below it: orders recorded (through the registry, so
customers never names loyalty) and customer merges, which move every ledger entry of the
duplicate onto the surviving customer — after which both balances are brought back to the
sums of their ledgers in the merge's own transaction."""

from django.db.models.signals import post_save

from carecrm.core.dispatch import task_enqueue
from carecrm.core.registry import register_order_listener
from customers.models import CustomerMerge
from loyalty.services.accrual import ACCRUAL_TASK_NAME
from loyalty.services.ledger import balances_reconcile


def _orders_recorded(order_ids: list[int]) -> None:
    task_enqueue(ACCRUAL_TASK_NAME)


def _merged(sender, instance: CustomerMerge, created: bool, **kwargs) -> None:
    if not created:
        return
    balances_reconcile([instance.survivor_id, instance.merged_id])


def connect() -> None:
    register_order_listener(_orders_recorded)
    post_save.connect(_merged, sender=CustomerMerge, dispatch_uid="loyalty_merge_balances")
