"""Version counters in the shared cache. What is cached from some rows is stored with
(or keyed by) the version current when it was built; every change to those rows moves
the version, so an entry built before the change is never served again.

Copies kept in a web process (the offered démarches, the gate's form) are keyed by a
version too, and outlive an emptied cache: a missing version starts at a random
number, never at one such a copy may already have been built for."""

import secrets

from django.core.cache import cache

from prefecture import request_keys


def _start() -> int:
    return secrets.randbelow(2**62)


def current(key: str) -> int:
    found = request_keys.take("default", key)  # read with the session (MGET)
    if isinstance(found, int):
        return found
    return cache.get_or_set(key, _start, timeout=None) or 0


def bump(key: str) -> None:
    request_keys.forget("default", key)
    incr_counter = getattr(cache, "incr_counter", None)
    if incr_counter is not None:  # Redis: one round trip (SET NX and INCR)
        incr_counter(key, start=_start())
        return
    try:
        cache.incr(key)
    except ValueError:  # no version yet (or the cache was emptied)
        cache.add(key, _start(), timeout=None)
