"""Django's Redis cache backend, keeping one client object per connection pool.

Django builds a new ``redis.Redis`` (and its table of some 170 response callbacks)
for every cache call, and a page makes several (session, rate limits,
announcements): about 4 % of a form page's time (BENCHMARKS.md). The connections
were pooled already; this keeps the thin, thread-safe wrapper around the pool too."""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _ReusedClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # Django private, not in the stubs
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class PooledRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _ReusedClient

    # One round trip each, where Django's own calls take two (a read, then a write):
    # the rush's confirm POST counts its round trips (tests/booking/
    # test_confirm_round_trips.py).

    def set_existing(self, key: str, value, timeout: int) -> bool:
        """Replaces the value of ``key`` only if it is still there (SET XX): False
        when it was deleted or has expired meanwhile."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        value = self._cache._serializer.dumps(value)  # type: ignore[attr-defined]  # Django private
        return bool(client.set(key, value, ex=timeout, xx=True))

    def incr_counter(self, key: str, *, start: int = 0) -> int:
        """Adds one to a counter that never expires; a missing one is ``start + 1``
        (SET NX and INCR in one pipeline, where Django's incr() asks first whether
        the key exists)."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        if not start:
            return client.incr(key)
        pipeline = client.pipeline(transaction=False)
        pipeline.set(key, start, nx=True)
        pipeline.incr(key)
        return pipeline.execute()[1]

    def count_in_windows(
        self, keys: list[str], *, now: float, timeout: int
    ) -> list[tuple[int, float]]:
        """Counts one more for each key, in a window of ``timeout`` seconds started
        by the first count (``key + ":start"`` holds when); each key's count and
        window start, in one transaction: a key cannot expire between its creation
        and its increment (INCR on a missing key would make one that never
        expires)."""
        full = [self.make_and_validate_key(key) for key in keys]
        starts = [self.make_and_validate_key(key + ":start") for key in keys]
        serializer = self._cache._serializer  # type: ignore[attr-defined]  # Django private
        pipeline = self._cache.get_client(None, write=True).pipeline(transaction=True)
        for key, start in zip(full, starts, strict=True):
            pipeline.set(start, serializer.dumps(now), ex=timeout, nx=True)
            pipeline.set(key, 0, ex=timeout, nx=True)
            pipeline.incr(key)
            pipeline.get(start)
        answers = pipeline.execute()
        return [
            (int(answers[4 * i + 2]), float(serializer.loads(answers[4 * i + 3])))
            for i in range(len(keys))
        ]
