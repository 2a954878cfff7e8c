"""Failed-attempt limits held in the shared cache (Redis in production), so that they
hold across every web process."""

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.crypto import salted_hmac


@dataclass(frozen=True)
class Counter:
    """Failures counted for one subject (a session, an IP, a numéro) in one window."""

    scope: str
    subject: str
    limit: int

    @property
    def key(self) -> str:
        # Hashed: the cache must not hold numéros or addresses in clear.
        digest = salted_hmac(
            # The salt keeps the module's former name: counters survive the move.
            "booking.throttle",
            f"{self.scope}:{self.subject}",
            algorithm="sha256",
        )
        return f"throttle:{self.scope}:{digest.hexdigest()[:32]}"


def retry_after(counters: list[Counter], *, window_seconds: int) -> int:
    """Seconds until every counter is under its limit again (0: not blocked)."""
    now = time.time()
    waits = [0]
    for counter in counters:
        count = cache.get(counter.key, 0)
        if count >= counter.limit:
            started = cache.get(counter.key + ":start", now)
            waits.append(max(1, int(started + window_seconds - now)))
    return max(waits)


def record(counters: list[Counter], *, window_seconds: int) -> None:
    now = time.time()
    for counter in counters:
        # add() only sets a missing key: the window starts at the first failure.
        cache.add(counter.key + ":start", now, timeout=window_seconds)
        cache.add(counter.key, 0, timeout=window_seconds)
        try:
            cache.incr(counter.key)
        except ValueError:  # expired between add() and incr()
            cache.set(counter.key, 1, timeout=window_seconds)


def attempt_record(counters: list[Counter], *, window_seconds: int) -> int:
    """Counts one attempt on every counter, whatever its outcome, and returns the
    seconds to wait that retry_after gave before it (0: not blocked). On Redis, one
    round trip for all the counters; elsewhere, retry_after then record."""
    count_in_windows = getattr(cache, "count_in_windows", None)
    if count_in_windows is None:
        wait = retry_after(counters, window_seconds=window_seconds)
        record(counters, window_seconds=window_seconds)
        return wait
    now = time.time()
    counted = count_in_windows(
        [c.key for c in counters], now=now, timeout=window_seconds
    )
    waits = [0]
    for counter, (count, started) in zip(counters, counted, strict=True):
        if count - 1 >= counter.limit:  # the count before this attempt
            waits.append(max(1, int(started + window_seconds - now)))
    return max(waits)


def reset(counters: list[Counter]) -> None:
    cache.delete_many([c.key for c in counters] + [c.key + ":start" for c in counters])
