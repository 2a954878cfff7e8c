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


@pytest.mark.redis
def test_an_attempt_is_counted_in_one_round_trip_and_blocks_past_the_limit(
    redis_cache, redis_url
):
    import redis

    from tests.round_trips import counted_redis_round_trips

    counters = [
        throttle.Counter("confirm-session", "abc", limit=2),
        throttle.Counter("confirm-ip", "192.0.2.1", limit=5),
    ]
    with counted_redis_round_trips() as trips:
        assert throttle.attempt_record(counters, window_seconds=60) == 0
    assert len(trips.redis) == 1
    assert throttle.attempt_record(counters, window_seconds=60) == 0
    # Two attempts made: the third is refused (and counted), as retry_after says.
    assert 0 < throttle.attempt_record(counters, window_seconds=60) <= 60
    assert redis_cache.get(counters[0].key) == 3
    assert 0 < throttle.retry_after(counters, window_seconds=60) <= 60
    raw = redis.Redis.from_url(redis_url)
    for key in raw.keys("*test-throttle*"):
        assert 0 < raw.ttl(key) <= 60  # the window ends: no counter lives forever


def test_an_attempt_without_redis_counts_the_same(settings):
    counter = throttle.Counter("confirm-session", "abc", limit=1)
    assert throttle.attempt_record([counter], window_seconds=60) == 0
    assert 0 < throttle.attempt_record([counter], window_seconds=60) <= 60


@pytest.mark.redis
def test_a_version_moves_in_one_round_trip_and_never_expires(redis_cache, redis_url):
    import redis

    from booking import cache_versions
    from tests.round_trips import counted_redis_round_trips

    with counted_redis_round_trips() as trips:
        cache_versions.bump("test:version")  # none yet: it starts, at random
    assert len(trips.redis) == 1
    first = cache_versions.current("test:version")
    cache_versions.bump("test:version")
    assert cache_versions.current("test:version") == first + 1
    raw = redis.Redis.from_url(redis_url)
    (key,) = raw.keys("*test:version*")
    assert raw.ttl(key) == -1
