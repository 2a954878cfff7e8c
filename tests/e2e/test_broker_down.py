"""Redis down when an applicant books: the applicant still gets the confirmation page
(never a 500), the booking and its two messages are committed; once Redis is back,
the beat sweeper enqueues them and a real worker sends the SMS and the e-mail once."""

import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker

from booking.models import Booking, OutgoingMessage
from booking.sms import locmem
from booking.tasks import sweep_messages
from prefecture.celery import app as celery_app
from tests.e2e.celery_broker import broker, wait_until
from tests.environment import REDIS_TEST_URL
from tests.factories import ProcedureFactory, SlotFactory, TitleRecordFactory

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens there: connection refused


def test_booking_while_redis_is_down_is_confirmed_then_sent_once_when_it_is_back(
    client, settings, mailoutbox
):
    from tests.booking.test_views import CONTACT, hold

    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL  # any hour sends
    procedure = ProcedureFactory()
    slot = SlotFactory(procedure=procedure)
    TitleRecordFactory(numero_etranger="2008006503", valid_until="2028-03-31")
    hold(client, procedure, slot)
    with broker(UNREACHABLE):
        response = client.post("/rendez-vous/coordonnees/", CONTACT, follow=True)
    assert response.status_code == 200
    assert "Votre rendez-vous est confirmé" in response.content.decode()
    booking = Booking.objects.get()
    assert set(booking.messages.values_list("channel", "kind", "status")) == {
        ("sms", "booking_confirmed", "pending"),
        ("email", "booking_confirmed_email", "pending"),
    }
    assert mailoutbox == [] and locmem.outbox == []

    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    with (
        broker(REDIS_TEST_URL),
        start_worker(
            celery_app, pool="threads", concurrency=2, perform_ping_check=False
        ),
    ):
        sweep_messages.delay()  # what beat does every minute
        wait_until(lambda: OutgoingMessage.objects.filter(status="sent").count() == 2)
        sweep_messages.delay()  # nothing left to send: nothing sent twice
        time.sleep(1)
    assert [m.to for m in mailoutbox] == [["awa@example.org"]]
    assert booking.reference in mailoutbox[0].subject
    assert [sms.to for sms in locmem.outbox] == ["+33612345678"]
    booking.refresh_from_db()
    assert booking.confirmation_email_sent_at is not None
