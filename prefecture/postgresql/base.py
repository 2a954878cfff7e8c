"""Django's PostgreSQL backend, with its health check skipped for a connection used a
moment ago (pgbouncer's ``server_check_delay``).

With ``CONN_HEALTH_CHECKS`` (settings), Django sends ``SELECT 1`` before the first
query of every request that reuses a connection: one more round trip for every page
that reads the database, and for the confirm POST inside the rush. A connection
that served a request less than HEALTH_CHECK_DELAY seconds ago is trusted instead.
A connection broken during a request is still closed at its end (Django's own
check after an error), and one idle for longer is still checked before it is used:
only a server gone in the last second before a request goes unnoticed, and that
request fails as any request in flight at that moment does."""

from time import monotonic

from django.db.backends.postgresql import base

HEALTH_CHECK_DELAY = 1.0  # seconds; pgbouncer's default is 30


class DatabaseWrapper(base.DatabaseWrapper):
    health_check_done: bool  # Django's own, undeclared in django-stubs
    # When the connection last finished serving a request or task (monotonic).
    idle_since = float("-inf")

    def close_if_unusable_or_obsolete(self) -> None:
        # Called as a request (or a Celery task) starts and as it ends; the
        # connection was used in between if its check was done (or skipped) then.
        used = self.connection is not None and self.health_check_done
        super().close_if_unusable_or_obsolete()
        if used and self.connection is not None:
            self.idle_since = monotonic()

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and not self.health_check_done
            and monotonic() - self.idle_since < HEALTH_CHECK_DELAY
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
