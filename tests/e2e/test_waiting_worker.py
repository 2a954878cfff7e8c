"""End to end with a real Celery worker on Redis and the local Brevo server: a place
freed (a cancellation, then a declined offer) triggers the allocator through the
broker after the commit; the worker makes the offer and sends its SMS exactly once.

Figures: `.venv/bin/python -m pytest tests/e2e/test_waiting_worker.py -s`."""

import time
from datetime import date

import pytest
from django.utils import timezone

from booking import services
from booking.models import OutgoingMessage, WaitingOffer
from tests.booking.fake_brevo import use_fake_brevo
from tests.e2e.celery_broker import real_worker, wait_until
from tests.factories import (
    BookingFactory,
    ProcedureFactory,
    SiteFactory,
    SlotFactory,
    WaitingRequestFactory,
)

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


def offer_sms(brevo, request) -> list[dict]:
    """What the provider received for this request's offers."""
    prefix = f"waiting:{request.pk}:offer:"
    return [
        body
        for body in brevo.received
        if any(tag.startswith(prefix) for tag in body["tag"])
    ]


def test_a_cancelled_place_is_offered_by_the_worker_with_one_sms(brevo, worker):
    site = SiteFactory()
    procedure = ProcedureFactory()
    slot = SlotFactory(procedure=procedure, site=site)
    booking = BookingFactory(slot=slot, procedure=procedure)
    first = WaitingRequestFactory(
        procedure=procedure,
        sites=[site],
        mobile="+33611111111",
        title_valid_until=date(2027, 1, 1),
    )
    second = WaitingRequestFactory(
        procedure=procedure,
        sites=[site],
        mobile="+33622222222",
        title_valid_until=date(2027, 3, 1),
    )
    started = time.perf_counter()
    # The web process: no allocator runs here, only the publish after the commit.
    services.booking_cancel(booking_id=booking.pk, now=timezone.now())
    wait_until(lambda: len(offer_sms(brevo, first)) >= 1)
    offered = time.perf_counter() - started
    offer = WaitingOffer.objects.get(request=first)
    assert offer.slot == slot and offer.status == WaitingOffer.Status.OPEN
    (body,) = offer_sms(brevo, first)
    assert body["recipient"] == "33611111111"
    assert f"/o/{offer.token}/" in body["content"]
    wait_until(
        lambda: OutgoingMessage.objects.filter(
            waiting_request=first,
            kind=OutgoingMessage.Kind.WAITING_OFFER,
            status=OutgoingMessage.Status.SENT,
        ).exists()
    )
    message = OutgoingMessage.objects.get(
        waiting_request=first, kind=OutgoingMessage.Kind.WAITING_OFFER
    )
    assert message.attempts == 1 and message.to == "+33611111111"

    # Declined: the trigger after that commit goes through the broker too, and the
    # place reaches the next person.
    services.offer_decline(offer_id=offer.pk, now=timezone.now())
    wait_until(lambda: len(offer_sms(brevo, second)) >= 1)
    nxt = WaitingOffer.objects.get(request=second)
    assert nxt.slot == slot
    (body,) = offer_sms(brevo, second)
    assert f"/o/{nxt.token}/" in body["content"]

    # The beat's sweeper finds nothing more to offer, and nothing is sent twice.
    assert services.offers_sweep(now=timezone.now()) == 0
    time.sleep(1.0)  # a late duplicate would show now
    assert len(offer_sms(brevo, first)) == 1 and len(offer_sms(brevo, second)) == 1
    assert (
        OutgoingMessage.objects.filter(kind=OutgoingMessage.Kind.WAITING_OFFER).count()
        == 2
    )
    print(f"\ncancellation → offer SMS at the provider: {offered:.2f} s")
