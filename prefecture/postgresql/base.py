"""Django's PostgreSQL backend, with its health check skipped for a connection used a
moment ago (pgbouncer's ``server_check_delay``).

With ``CONN_HEALTH_CHECKS`` (settings), Django sends ``SELECT 1`` before the first
query of every request that reuses a connection: one more round trip for every page
that reads the database, and for the confirm POST inside the rush. A connection
whose last cursor was opened less than HEALTH_CHECK_DELAY seconds ago is trusted
instead. A connection that failed during a request is still checked at its end
(Django's own check after an error), and one idle for longer is still checked
before it is used again: only a server gone in the last second before a request
goes unnoticed, and that request fails as any request in flight at that moment
does; Django then closes the connection at its end."""

from time import monotonic

from django.db.backends.postgresql import base

HEALTH_CHECK_DELAY = 1.0  # seconds; pgbouncer's default is 30


class DatabaseWrapper(base.DatabaseWrapper):
    health_check_done: bool  # Django's own, undeclared in django-stubs
    # When a cursor or a transaction was last asked of this connection (monotonic):
    # Django asks this method first each time.
    last_used = float("-inf")

    def close_if_health_check_failed(self) -> None:
        now = monotonic()
        if (
            self.connection is not None
            and not self.health_check_done
            and now - self.last_used < HEALTH_CHECK_DELAY
        ):
            self.health_check_done = True
        else:
            super().close_if_health_check_failed()
        self.last_used = now
