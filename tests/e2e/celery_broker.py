"""The Celery app pointed at a real broker (the test Redis), and a wait that says what
the outbox and the queue hold when it times out."""

import time
from contextlib import contextmanager

import redis
from celery.contrib.testing.worker import start_worker

from booking.models import OutgoingMessage
from prefecture.celery import app as celery_app
from tests.environment import REDIS_TEST_URL


@contextmanager
def broker(url: str):
    """The Celery app pointed at a broker, tasks no longer run in-process."""
    saved = {k: celery_app.conf[k] for k in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=url, task_always_eager=False)
    _drop_connections()
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        _drop_connections()


@contextmanager
def real_worker(*, concurrency: int = 4):
    """A real Celery worker (threads) consuming from the test Redis, emptied first,
    with the app publishing there."""
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    with (
        broker(REDIS_TEST_URL),
        start_worker(
            celery_app,
            pool="threads",
            concurrency=concurrency,
            perform_ping_check=False,
        ),
    ):
        yield


def _drop_connections() -> None:
    # Publishing connections are pooled: let the next publish open one to the new
    # URL. (Not closed: the running worker may still hold some.)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def wait_until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    statuses = list(
        OutgoingMessage.objects.values_list("status", "last_error").distinct()[:5]
    )
    queued = redis.Redis.from_url(REDIS_TEST_URL).llen("celery")
    raise AssertionError(f"timed out; messages: {statuses}; queued: {queued}")
