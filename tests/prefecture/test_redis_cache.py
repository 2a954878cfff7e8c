import threading

import pytest

from prefecture.redis_cache import PooledRedisCache

pytestmark = pytest.mark.redis


def new_cache(redis_url) -> PooledRedisCache:
    return PooledRedisCache(redis_url, {"KEY_PREFIX": "test-pooled"})


def test_one_client_serves_every_call_and_every_thread(redis_url):
    cache = new_cache(redis_url)
    cache.clear()
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client

    def count() -> None:
        for _ in range(50):
            cache.incr("hits")

    cache.set("hits", 1)
    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert new_cache(redis_url).get("hits") == 201  # another process sees it all
    cache.clear()
