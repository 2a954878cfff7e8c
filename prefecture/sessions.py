"""The session engine when sessions live in Redis (SESSION_STORE=redis).

Django's cache engine saves a session in two round trips: it reads the key to learn
whether the session still exists, then writes it. Every step of the booking flow
saves its session, so this one writes with SET XX: the same refusal (the session
was deleted or has expired meanwhile: UpdateError, Django's SessionInterrupted) in
one command, without the window between the read and the write.

It is read with the other keys every page reads, in one MGET (prefecture.
request_keys); and a session that needs its key before the response (the booking
flow's state is bound to it) is written once, at the response, not created first."""

from django.conf import settings
from django.contrib.sessions.backends.base import (
    VALID_KEY_CHARS,
    CreateError,
    UpdateError,
)
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django.utils.crypto import get_random_string

from prefecture import request_keys


class SessionStore(CacheSessionStore):
    _unwritten_key: str | None = None  # drawn by reserve_key(), not in Redis yet

    def _get_new_session_key(self) -> str:
        # Django asks Redis whether a drawn key exists before creating the session
        # with it; the creation is an ADD (SET NX), which refuses a key taken anyway
        # (CreateError, and create() draws again): the question is one round trip
        # for nothing, at the gate of every applicant.
        return get_random_string(32, VALID_KEY_CHARS)

    def load(self):
        found = request_keys.take(settings.SESSION_CACHE_ALIAS, self.cache_key)
        if found is request_keys.UNKNOWN:
            return super().load()
        if found is request_keys.MISSING or found is None:
            self._session_key = None
            return {}
        return found

    def reserve_key(self) -> str:
        """The session's key, drawn now if it has none; the session is written
        once, at the response (an ADD: SET NX), instead of created now and written
        again then."""
        if self.session_key is None:
            self._get_session()  # type: ignore[attr-defined]  # loaded before the key changes
            self._session_key = self._unwritten_key = self._get_new_session_key()
            self.modified = True
        return self.session_key or ""

    def save(self, must_create: bool = False) -> None:
        if self.session_key is not None:
            request_keys.forget(settings.SESSION_CACHE_ALIAS, self.cache_key)
        if self._unwritten_key is not None and self._unwritten_key == self.session_key:
            self._unwritten_key = None
            try:
                super().save(must_create=True)
            except CreateError:  # the key taken meanwhile (never, in practice)
                raise UpdateError from None  # the middleware's SessionInterrupted
            return
        if self.session_key is None or must_create:
            super().save(must_create=must_create)
            return
        sessions = self._cache  # type: ignore[attr-defined]  # not in the stubs
        session = self._get_session()  # type: ignore[attr-defined]
        if not sessions.set_existing(self.cache_key, session, self.get_expiry_age()):
            raise UpdateError
