"""End to end with a real Celery worker on Redis and the local Brevo server: an agent
marks cards ready, the worker sends each SMS once, the receipt marks it delivered.

Figures: `.venv/bin/python -m pytest tests/e2e/test_sms_worker.py -s` prints them."""

import time
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone

from booking import services
from booking.models import OutgoingMessage
from prefecture.celery import app as celery_app
from tests.booking.fake_brevo import use_fake_brevo
from tests.environment import REDIS_TEST_URL
from tests.factories import CardFactory

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def brevo(httpserver, settings):
    return use_fake_brevo(settings, httpserver)


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


def _drop_connections() -> None:
    # Publishing connections are pooled: let the next publish open one to the new
    # URL. (Not closed: the running worker may still hold some.)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture(scope="module")
def worker():
    """One real worker for the module, consuming from the test Redis."""
    import redis

    # (Without Redis the tests are skipped by their `redis` mark; a failure in CI.)
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    with (
        broker(REDIS_TEST_URL),
        start_worker(
            celery_app, pool="threads", concurrency=4, perform_ping_check=False
        ),
    ):
        yield


def wait_until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    statuses = list(
        OutgoingMessage.objects.values_list("status", "last_error").distinct()[:5]
    )
    import redis

    queued = redis.Redis.from_url(REDIS_TEST_URL).llen("celery")
    raise AssertionError(f"timed out; messages: {statuses}; queued: {queued}")


def test_mark_ready_sends_exactly_one_sms_and_the_receipt_is_applied(
    brevo, worker, client
):
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="agent", now=timezone.now())
    wait_until(lambda: OutgoingMessage.objects.filter(status="sent").exists())
    message = OutgoingMessage.objects.get()
    assert len(brevo.received) == 1 and message.attempts == 1
    response = client.post(
        reverse("sms_receipt", kwargs={"secret": "s3cret-receipts"}),
        {"messageId": int(message.provider_id), "msg_status": "delivered"},
        content_type="application/json",
    )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == "delivered"


def test_a_thousand_cards_give_a_thousand_sms_none_twice(brevo, worker):
    cards = CardFactory.create_batch(1000)
    started = time.perf_counter()
    services.card_mark_ready(
        card_ids=[c.pk for c in cards], by="agent", now=timezone.now()
    )
    committed = time.perf_counter() - started
    wait_until(lambda: len(brevo.received) >= 1000, timeout=30)
    drained = time.perf_counter() - started
    print(
        f"\n1000 cards: committed in {committed:.2f} s, all sent after {drained:.2f} s"
    )
    references = [
        next(t for t in body["tag"] if t.startswith("card:")) for body in brevo.received
    ]
    assert len(references) == len(set(references)) == 1000
    wait_until(lambda: OutgoingMessage.objects.filter(status="sent").count() == 1000)


def test_a_message_survives_a_redis_outage_at_commit_time(brevo, worker):
    card = CardFactory()
    with broker("redis://127.0.0.1:1/0"):  # Redis "down" for the web process
        celery_app.conf.task_publish_retry = False
        try:
            services.card_mark_ready(card_ids=[card.pk], by="agent", now=timezone.now())
        finally:
            celery_app.conf.task_publish_retry = True
    card.refresh_from_db()
    assert card.status == "disponible"
    assert OutgoingMessage.objects.get().status == "pending"
    assert brevo.received == []
    with broker(REDIS_TEST_URL):
        # Redis is back: the beat sweeper enqueues what is due, the worker sends it.
        from booking.tasks import sweep_messages

        sweep_messages.delay()
        wait_until(lambda: OutgoingMessage.objects.filter(status="sent").exists())
    assert len(brevo.received) == 1
