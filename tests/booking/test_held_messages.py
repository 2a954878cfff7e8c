"""An SMS held by the quiet hours leaves at 08:00 only if what it tells is still
true (found by the applicant's walk: a place offered at night and accepted at
once, an offer declined, an appointment booked then cancelled, each still texted
in the morning)."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from booking import services
from booking.models import OutgoingMessage, WaitingOffer
from tests.clock import PARIS
from tests.factories import (
    BookingFactory,
    SiteFactory,
    SlotFactory,
    WaitingRequestFactory,
)

pytestmark = pytest.mark.django_db

Kind, Status = OutgoingMessage.Kind, OutgoingMessage.Status


@pytest.fixture
def night(settings):
    settings.SMS_QUIET_FROM, settings.SMS_QUIET_UNTIL = time(20, 0), time(8, 0)
    tomorrow = timezone.localdate() + timedelta(days=1)
    return datetime.combine(tomorrow, time(23, 30), tzinfo=PARIS)


def morning(night: datetime) -> datetime:
    return datetime.combine(night.date() + timedelta(days=1), time(8, 1), tzinfo=PARIS)


def send_due(now: datetime) -> None:
    due = OutgoingMessage.objects.filter(status=Status.PENDING, send_after__lte=now)
    services.messages_send(message_ids=list(due.values_list("pk", flat=True)), now=now)


def offered_at(night, renewal) -> WaitingOffer:
    site = SiteFactory()
    SlotFactory(procedure=renewal, site=site, starts_at=night + timedelta(days=4))
    request = WaitingRequestFactory(procedure=renewal, sites=[site])
    services.offers_make(procedure_id=renewal.pk, now=night)
    return request.offers.get()


def test_an_offer_declined_in_the_night_is_not_texted_in_the_morning(night, renewal):
    offer = offered_at(night, renewal)
    services.offer_decline(offer_id=offer.pk, now=night + timedelta(minutes=5))
    send_due(morning(night))
    sms = OutgoingMessage.objects.get(kind=Kind.WAITING_OFFER)
    assert (sms.status, sms.sent_at) == (Status.REFUSED, None)
    assert sms.last_error == "not sent: the offer is no longer open"


def test_an_offer_accepted_in_the_night_is_not_texted_but_its_booking_is(
    night, renewal
):
    offer = offered_at(night, renewal)
    services.offer_accept(offer_id=offer.pk, now=night + timedelta(minutes=5))
    send_due(morning(night))
    assert OutgoingMessage.objects.get(kind=Kind.WAITING_OFFER).status == Status.REFUSED
    confirmed = OutgoingMessage.objects.get(kind=Kind.BOOKING_CONFIRMED)
    assert confirmed.status == Status.SENT


def test_an_open_offer_is_texted_in_the_morning(night, renewal):
    offered_at(night, renewal)
    send_due(morning(night))
    assert OutgoingMessage.objects.get(kind=Kind.WAITING_OFFER).status == Status.SENT


def test_an_appointment_cancelled_in_the_night_gets_only_its_cancellation(night):
    booking = BookingFactory(slot=SlotFactory(starts_at=night + timedelta(days=3)))
    OutgoingMessage.objects.create(
        idempotency_key=f"booking:{booking.pk}:confirmed",
        kind=Kind.BOOKING_CONFIRMED,
        booking=booking,
        to=booking.mobile,
        body="RDV confirmé",
        send_after=morning(night) - timedelta(minutes=1),
    )
    services.booking_cancel(booking_id=booking.pk, now=night + timedelta(minutes=5))
    send_due(morning(night))
    statuses = dict(
        OutgoingMessage.objects.filter(booking=booking).values_list("kind", "status")
    )
    assert statuses == {
        Kind.BOOKING_CONFIRMED: Status.REFUSED,
        Kind.BOOKING_CANCELLED: Status.SENT,
    }
