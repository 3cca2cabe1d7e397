"""Demo guests for the demo events (``seed_demo``): answers, party sizes, dietary notes,
a waitlist where an event is full, and check-ins at events already held — written
directly, without messages, so the guests tab and the door have something to show.
Runs after the events' own seeder (order 75) and leaves events without demo rows alone."""

import datetime as dt
import random

from events.models import Event, EventStatus, Guest, GuestSource, GuestStatus
from events.services.invitations import target_customers

NOTES = ["", "", "", "素食", "不吃辣", "海鲜过敏", "清真", "带婴儿车", "需要轮椅通道"]


def seed_guests(*, rng: random.Random, options: dict, stdout) -> None:
    from customers.models import Customer, CustomerStatus

    events = Event.objects.filter(
        status__in=(EventStatus.OPEN, EventStatus.HELD, EventStatus.REVIEWED)
    ).exclude(guests__isnull=False)
    made = 0
    for event in events:
        targeted = list(target_customers(event).order_by("pk").values_list("pk", flat=True)[:40])
        others = list(
            Customer.objects.filter(department=event.department, status=CustomerStatus.ACTIVE)
            .exclude(pk__in=targeted)
            .order_by("pk")
            .values_list("pk", flat=True)[:200]
        )
        customers = targeted + others
        if not customers:
            continue
        # The target group first (as "invite the target segments" would), then others.
        room = max(min(len(customers) - 1, 40) - len(targeted), 0)
        chosen = targeted + rng.sample(others, min(room, len(others)))
        held = event.status != EventStatus.OPEN
        invited_at = event.starts_at - dt.timedelta(days=21)
        taken, rows = 0, []
        for index, customer_id in enumerate(chosen):
            answered = invited_at + dt.timedelta(hours=rng.randint(1, 24 * 14))
            guest = Guest(
                event=event,
                customer_id=customer_id,
                invited_at=invited_at,
                party_size=rng.choice([1, 1, 1, 2, 2, 3])
                if event.max_party_size >= 2
                else 1 + rng.randint(0, event.max_party_size),
                dietary_note=rng.choice(NOTES),
            )
            draw = rng.random()
            if draw < 0.15 and not held:
                guest.status = GuestStatus.INVITED
            elif draw < 0.3:
                guest.status, guest.responded_at = GuestStatus.DECLINED, answered
            elif event.capacity and taken + guest.party_size > event.capacity:
                guest.status, guest.responded_at = GuestStatus.WAITLISTED, answered
                guest.waitlisted_at = answered
            else:
                guest.status, guest.responded_at = GuestStatus.ACCEPTED, answered
                taken += guest.party_size
                if held and rng.random() < 0.85:
                    guest.checked_in_at = event.starts_at + dt.timedelta(
                        minutes=rng.randint(-30, 40) + index % 3
                    )
            rows.append(guest)
        if held and len(customers) > len(chosen):
            walk_in = rng.choice([c for c in customers if c not in set(chosen)])
            rows.append(
                Guest(
                    event=event,
                    customer_id=walk_in,
                    source=GuestSource.WALK_IN,
                    status=GuestStatus.ACCEPTED,
                    responded_at=event.starts_at,
                    checked_in_at=event.starts_at + dt.timedelta(minutes=15),
                )
            )
        Guest.objects.bulk_create(rows, ignore_conflicts=True)
        made += len(rows)
    stdout.write(f"Event guests: {made} demo guests.")
