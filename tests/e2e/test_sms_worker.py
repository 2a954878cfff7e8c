"""End to end with a real Celery worker on Redis and the local Brevo server: an agent
marks cards ready, the worker sends each SMS once, the receipt marks it delivered.

Figures: `.venv/bin/python -m pytest tests/e2e/test_sms_worker.py -s` prints them."""

import time

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import services
from booking.models import OutgoingMessage
from booking.tasks import sweep_messages
from prefecture.celery import app as celery_app
from tests.booking.fake_brevo import use_fake_brevo
from tests.e2e.celery_broker import broker, real_worker, wait_until
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


@pytest.fixture(scope="module")
def worker():
    """One real worker for the module, consuming from the test Redis."""
    with real_worker(concurrency=4):
        yield


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
        sweep_messages.delay()
        wait_until(lambda: OutgoingMessage.objects.filter(status="sent").exists())
    assert len(brevo.received) == 1
