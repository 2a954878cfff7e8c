"""The keys nearly every public page reads from Redis, fetched together: the session,
the démarches' version and the announcements. The first read of any of them in a
request fetches them all in one MGET; the others are then served from that answer
once each (a second read, or a read after this request wrote the key, goes to Redis
as before). Three round trips at the start of a page became one (tests/booking/
test_page_round_trips.py).

Nothing is served older than the request: the values are those Redis had when the
request first needed one of them. Only when the sessions and the cache share one
Redis server and database (production's REDIS_URL); otherwise each is read alone."""

from contextvars import ContextVar

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

# Keys of the default cache in every bundle, each a small value, read through
# ``take`` by their owners: the démarches' version (booking.selectors) and the
# announcements (faq.selectors).
PROCEDURES_VERSION_KEY = "booking:procedures:version"
ANNOUNCEMENTS_KEY = "faq:announcements"
SHARED_KEYS = (PROCEDURES_VERSION_KEY, ANNOUNCEMENTS_KEY)

UNKNOWN = object()  # not fetched with the bundle: read it as usual
MISSING = object()  # fetched: Redis had no such key


class _Bundle:
    def __init__(self, session_cache_key: str | None) -> None:
        self.session_cache_key = session_cache_key
        self.values: dict[tuple[str, str], object] | None = None
        self.written: set[tuple[str, str]] = set()

    def _fetch(self) -> dict[tuple[str, str], object]:
        wanted = [("default", key) for key in SHARED_KEYS]
        if self.session_cache_key is not None:
            wanted.append((settings.SESSION_CACHE_ALIAS, self.session_cache_key))
        backends = {alias: caches[alias] for alias, _ in wanted}
        first = backends["default"]
        if not all(_same_redis(first, other) for other in backends.values()):
            return {}
        full = [backends[alias].make_and_validate_key(key) for alias, key in wanted]
        answers = first._cache.get_client(None).mget(full)  # type: ignore[attr-defined]
        return {
            (alias, key): MISSING
            if raw is None
            else backends[alias]._cache._serializer.loads(raw)  # type: ignore[attr-defined]
            for (alias, key), raw in zip(wanted, answers, strict=True)
        }

    def take(self, alias: str, key: str) -> object:
        if (alias, key) in self.written:
            return UNKNOWN
        if self.values is None:
            try:
                self.values = self._fetch()
            except Exception:  # each key read alone, as without the bundle
                self.values = {}
        return self.values.pop((alias, key), UNKNOWN)

    def forget(self, alias: str, key: str) -> None:
        self.written.add((alias, key))
        if self.values is not None:
            self.values.pop((alias, key), None)


def _same_redis(one, other) -> bool:
    return (
        isinstance(one, RedisCache)
        and isinstance(other, RedisCache)
        and one._servers == other._servers  # type: ignore[attr-defined]
        and one._options == other._options  # type: ignore[attr-defined]
    )


_bundle: ContextVar[_Bundle | None] = ContextVar("request_keys", default=None)


def take(alias: str, key: str) -> object:
    """The value of ``key`` (cache ``alias``) as this request's bundle fetched it,
    MISSING if Redis had none, UNKNOWN outside a request or for a key not bundled
    or already taken (then read it as usual)."""
    bundle = _bundle.get()
    return UNKNOWN if bundle is None else bundle.take(alias, key)


def forget(alias: str, key: str) -> None:
    """This request writes ``key``: a later read must see the write, not the
    bundle."""
    bundle = _bundle.get()
    if bundle is not None:
        bundle.forget(alias, key)


class RequestKeysMiddleware:
    """Right after SessionMiddleware: opens the request's bundle (fetched at its
    first read, never if the request reads none of its keys)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        session_key = getattr(session, "session_key", None)
        prefix = getattr(session, "cache_key_prefix", None)
        token = _bundle.set(
            _Bundle(prefix + session_key if session_key and prefix else None)
        )
        try:
            return self.get_response(request)
        finally:
            _bundle.reset(token)
