"""Version counters in the shared cache. What is cached from some rows is stored with
(or keyed by) the version current when it was built; every change to those rows moves
the version, so an entry built before the change is never served again."""

from django.core.cache import cache


def current(key: str) -> int:
    return cache.get_or_set(key, 1, timeout=None) or 0


def bump(key: str) -> None:
    incr_counter = getattr(cache, "incr_counter", None)
    if incr_counter is not None:  # Redis: one INCR, a missing version starts at 1
        incr_counter(key)
        return
    try:
        cache.incr(key)
    except ValueError:  # no version yet (or the cache was emptied)
        cache.add(key, 1, timeout=None)
