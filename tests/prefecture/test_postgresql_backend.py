"""The PostgreSQL backend's health check (prefecture/postgresql): its round trip
spared for a connection used a moment ago, still done after a longer idle, after a
failed query, or when the server has closed the connection meanwhile (replaced
before the next request uses it)."""

import select

import pytest
from django.db import ProgrammingError, connection, connections

from prefecture.postgresql import base

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def persistent(monkeypatch):
    """Connections kept between requests, as production has them (CONN_MAX_AGE)."""
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 60)
    connection.close()
    yield
    connection.close()


@pytest.fixture
def clock(monkeypatch):
    """The backend's monotonic clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(base, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def checks(monkeypatch):
    """The `SELECT 1` health checks the backend really sends, counted."""
    sent = []
    real = base.DatabaseWrapper.is_usable

    def is_usable(self):
        sent.append(self.alias)
        return real(self)

    monkeypatch.setattr(base.DatabaseWrapper, "is_usable", is_usable)
    return sent


def _request(query: str = "SELECT pg_backend_pid()"):
    """What a request does with the connection: Django's close_old_connections as
    it starts, one query, close_old_connections as it ends (even if it failed)."""
    connection.close_if_unusable_or_obsolete()
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
            [(value,)] = cursor.fetchall()
    finally:
        connection.close_if_unusable_or_obsolete()
    return value


def _wait_until_readable(seconds: float = 5.0) -> None:
    """Until the server's goodbye has reached this connection's socket."""
    poller = select.poll()
    poller.register(connection.connection.fileno(), select.POLLIN)
    assert poller.poll(int(seconds * 1000)), "the server never closed the connection"


def _kill(pid: int) -> None:
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def test_it_is_this_backend_with_health_checks_on():
    assert isinstance(connections["default"], base.DatabaseWrapper)
    assert connection.vendor == "postgresql"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_connection_used_a_moment_ago_is_not_checked_again(clock, checks):
    first = _request()
    clock[0] += base.HEALTH_CHECK_DELAY / 2
    assert _request() == first  # the same connection, reused
    clock[0] += base.HEALTH_CHECK_DELAY / 2
    _request()
    assert checks == []  # without the delay: one SELECT 1 a request


def test_a_connection_idle_for_longer_is_checked_before_its_next_use(clock, checks):
    first = _request()
    clock[0] += base.HEALTH_CHECK_DELAY + 0.1
    assert _request() == first
    assert checks == ["default"]


def test_a_connection_killed_while_idle_is_replaced_before_the_next_request(
    clock, checks
):
    first = _request()
    _kill(first)
    clock[0] += base.HEALTH_CHECK_DELAY + 0.1
    second = _request()  # no error: the check found it dead, a new one answers
    assert second != first
    assert checks == ["default"]


def test_within_the_delay_a_connection_the_server_closed_is_replaced_at_once(
    clock, checks
):
    """A restart or a failover closes every connection: the server's notice
    reaches the idle socket, so the next request checks it and reconnects instead
    of failing, even a moment after its last use."""
    first = _request()
    _kill(first)
    _wait_until_readable()
    second = _request()  # no error
    assert second != first
    assert checks == ["default"]


def test_after_a_failed_query_the_delay_still_counts_from_the_last_use(clock, checks):
    """A request whose query failed has its connection checked at its end
    (Django's own check); a later request after a longer idle is checked again."""
    first = _request()
    with pytest.raises(ProgrammingError):
        _request("SELECT * FROM no_such_table")
    assert checks == ["default"]  # at the failed request's end, by Django
    clock[0] += base.HEALTH_CHECK_DELAY + 5
    _kill(first)
    second = _request()  # checked, found dead, replaced: no error
    assert second != first
    assert checks == ["default", "default"]


def test_the_delay_counts_from_the_last_query_not_the_request_end(clock, checks):
    """A long request: its last query long before its end does not make the
    connection look used a moment ago."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    clock[0] += base.HEALTH_CHECK_DELAY + 1  # the rest of a slow request
    connection.close_if_unusable_or_obsolete()
    _request()
    assert checks == ["default"]
