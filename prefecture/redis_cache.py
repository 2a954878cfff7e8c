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
