import pytest

from booking.services import throttle
from tests.redis_cache import use_redis_cache


@pytest.fixture
def redis_cache(settings):
    cache = use_redis_cache(settings, "default", "test-throttle")
    yield cache
    cache.clear()


@pytest.mark.redis
def test_counters_are_shared_through_redis_and_hashed(redis_cache, redis_url):
    counter = throttle.Counter("numero", "2008006503", limit=2)
    throttle.record([counter], window_seconds=60)
    # A second "process": a fresh connection to the same Redis sees the count.
    from django.core.cache.backends.redis import RedisCache

    other_process = RedisCache(redis_url, {"KEY_PREFIX": "test-throttle"})
    assert other_process.get(counter.key) == 1
    throttle.record([counter], window_seconds=60)
    assert 0 < throttle.retry_after([counter], window_seconds=60) <= 60
    assert "2008006503" not in counter.key


def test_reset_clears_the_counters():
    counter = throttle.Counter("ip", "127.0.0.1", limit=1)
    throttle.record([counter], window_seconds=60)
    assert throttle.retry_after([counter], window_seconds=60) > 0
    throttle.reset([counter])
    assert throttle.retry_after([counter], window_seconds=60) == 0
