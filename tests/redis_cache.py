"""Tests that need the shared cache as production has it: on Redis."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import caches

from tests.environment import REDIS_TEST_URL


def use_redis_cache(settings, alias: str, prefix: str):
    """Points the cache ``alias`` at the test Redis (as production does), emptied."""
    settings.CACHES = {
        **settings.CACHES,
        alias: {
            "BACKEND": "prefecture.redis_cache.PooledRedisCache",
            "LOCATION": REDIS_TEST_URL,
            "KEY_PREFIX": prefix,
        },
    }
    caches[alias].clear()
    return caches[alias]


@contextmanager
def on_redis_as_production(settings, prefix: str) -> Iterator[None]:
    """The cache and the sessions on the test Redis, as production has them."""
    use_redis_cache(settings, "default", prefix)
    sessions = use_redis_cache(settings, "sessions", f"{prefix}-session")
    settings.SESSION_ENGINE = "prefecture.sessions"
    settings.SESSION_CACHE_ALIAS = "sessions"
    try:
        yield
    finally:
        sessions.clear()
