"""The session engine when sessions live in Redis (SESSION_STORE=redis).

Django's cache engine saves a session in two round trips: it reads the key to learn
whether the session still exists, then writes it. Every step of the booking flow
saves its session, so this one writes with SET XX: the same refusal (the session
was deleted or has expired meanwhile: UpdateError, Django's SessionInterrupted) in
one command, without the window between the read and the write."""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, UpdateError
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django.utils.crypto import get_random_string


class SessionStore(CacheSessionStore):
    def _get_new_session_key(self) -> str:
        # Django asks Redis whether a drawn key exists before creating the session
        # with it; the creation is an ADD (SET NX), which refuses a key taken anyway
        # (CreateError, and create() draws again): the question is one round trip
        # for nothing, at the gate of every applicant.
        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None or must_create:
            super().save(must_create=must_create)
            return
        sessions = self._cache  # type: ignore[attr-defined]  # not in the stubs
        session = self._get_session()  # type: ignore[attr-defined]
        if not sessions.set_existing(self.cache_key, session, self.get_expiry_age()):
            raise UpdateError
