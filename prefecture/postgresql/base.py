"""Django's PostgreSQL backend, with its health check's round trip spared for a
connection used a moment ago whose server has not spoken since.

With ``CONN_HEALTH_CHECKS`` (settings), Django sends ``SELECT 1`` before the first
query of every request that reuses a connection: one more round trip for every page
that reads the database, and for the confirm POST inside the rush. A connection
whose last cursor was opened less than HEALTH_CHECK_DELAY seconds ago (pgbouncer's
``server_check_delay``) is trusted instead, unless its socket has something to
read: an idle connection hears from the server only when it is being closed (a
restart, a failover, ``pg_terminate_backend``: the server's last words, then the
end of the stream), and asking the socket is a system call, not a round trip. Such
a connection, and one idle for longer, is checked as Django does, and replaced
before the request uses it. A connection that failed during a request is checked
at its end (Django's own check after an error)."""

import select
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
            and not self._server_spoke()
        ):
            self.health_check_done = True
        else:
            super().close_if_health_check_failed()
        self.last_used = now

    def _server_spoke(self) -> bool:
        """Whether the idle connection's socket has anything to read (or is gone),
        without waiting: nothing is due to it between two requests (no LISTEN)."""
        try:
            fd = self.connection.fileno()
        except Exception:  # closed already: let Django's check say so
            return True
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
