"""Per-channel send rate shared by every worker: a counter per channel and second in the
cache (Redis in production, so all workers share it; per process when embedded)."""

import time

from django.core.cache import cache


def wait_for_slots(channel: str, wanted: int, per_second: int) -> None:
    """Block until ``wanted`` sends fit in the channel's rate (``per_second`` ≤ 0: no
    limit)."""
    if per_second <= 0:
        return
    remaining = wanted
    while remaining > 0:
        now = time.time()
        key = f"delivery-rate:{channel}:{int(now)}"
        cache.add(key, 0, timeout=5)
        try:
            used = cache.incr(key, remaining)
        except ValueError:
            cache.set(key, remaining, timeout=5)
            used = remaining
        before = used - remaining
        granted = max(0, min(remaining, per_second - before))
        remaining -= granted
        if remaining:
            time.sleep(max(0.0, 1 - (now % 1)) + 0.001)
