"""Tests that need the shared cache as production has it: on Redis."""

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
