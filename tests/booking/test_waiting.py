"""The waiting list's services on PostgreSQL: joining, offers in order of urgency,
accept / decline / no answer, and the démarche's modes."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from booking import selectors, services
from booking.errors import (
    AlreadyBooked,
    AlreadyWaiting,
    OfferClosed,
    PreferencesTooNarrow,
    SlotNotBookable,
)
from booking.models import (
    Booking,
    OutgoingMessage,
    WaitingMode,
    WaitingOffer,
    WaitingRequest,
)
from tests.factories import (
    BookingFactory,
    SiteFactory,
    SlotFactory,
    WaitingRequestFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_quiet_hours(settings):
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL


def applicant(numero="4700000001", mobile="+33611111111"):
    return services.Applicant(
        numero_etranger=numero, last_name="Diallo", first_name="Awa", mobile=mobile
    )


def test_join_puts_the_person_on_the_list_and_sends_the_status_link(renewal):
    site = SiteFactory()
    now = timezone.now()
    request = services.waiting_join(
        procedure=renewal,
        applicant=applicant(),
        title_valid_until=date(2027, 1, 31),
        site_ids=[site.pk],
        unavailable=0,
        now=now,
    )
    assert request.status == WaitingRequest.Status.WAITING
    sms = OutgoingMessage.objects.get(kind=OutgoingMessage.Kind.WAITING_JOINED)
    assert f"/la/{request.token}/" in sms.body and sms.to == "+33611111111"
    assert selectors.waiting_place(request).position == 1


def test_join_refuses_a_second_live_request_and_an_active_booking(renewal, slot):
    site = SiteFactory()
    kwargs = {
        "procedure": renewal,
        "title_valid_until": date(2027, 1, 31),
        "site_ids": [site.pk],
        "unavailable": 0,
        "now": timezone.now(),
    }
    first = services.waiting_join(applicant=applicant(), **kwargs)
    with pytest.raises(AlreadyWaiting) as refused:
        services.waiting_join(applicant=applicant(), **kwargs)
    assert refused.value.status_token == first.token
    BookingFactory(slot=slot, numero_etranger="4700000002")
    with pytest.raises(AlreadyBooked):
        services.waiting_join(applicant=applicant("4700000002"), **kwargs)
    with pytest.raises(PreferencesTooNarrow):
        services.waiting_join(
            applicant=applicant("4700000003"), **{**kwargs, "site_ids": []}
        )
    with pytest.raises(PreferencesTooNarrow):
        services.waiting_join(
            applicant=applicant("4700000003"), **{**kwargs, "unavailable": 1023}
        )
    assert WaitingRequest.objects.count() == 1


def test_places_are_offered_in_order_of_urgency_and_accepting_books(renewal):
    site = SiteFactory()
    slot = SlotFactory(procedure=renewal, site=site, capacity=1)
    later = WaitingRequestFactory(
        procedure=renewal, sites=[site], title_valid_until=date(2027, 5, 1)
    )
    sooner = WaitingRequestFactory(
        procedure=renewal, sites=[site], title_valid_until=date(2027, 1, 1)
    )
    now = timezone.now()
    assert services.offers_make(procedure_id=renewal.pk, now=now) == 1
    offer = WaitingOffer.objects.get()
    assert offer.request == sooner and offer.slot == slot
    assert selectors.free_places(slot, now=now) == 0
    sms = OutgoingMessage.objects.get(kind=OutgoingMessage.Kind.WAITING_OFFER)
    assert f"/o/{offer.token}/" in sms.body
    accepted = services.offer_accept(offer_id=offer.pk, now=now)
    booking = accepted.booking
    assert booking.slot == slot and booking.status == Booking.Status.CONFIRMED
    sooner.refresh_from_db()
    later.refresh_from_db()
    assert sooner.status == WaitingRequest.Status.BOOKED
    assert later.status == WaitingRequest.Status.WAITING
    with pytest.raises(OfferClosed):
        services.offer_accept(offer_id=offer.pk, now=now)
    assert Booking.objects.count() == 1


def test_agent_priority_comes_before_the_title_expiry(renewal):
    site = SiteFactory()
    SlotFactory(procedure=renewal, site=site)
    WaitingRequestFactory(
        procedure=renewal, sites=[site], title_valid_until=date(2027, 1, 1)
    )
    urgent = WaitingRequestFactory(
        procedure=renewal, sites=[site], title_valid_until=date(2028, 1, 1)
    )
    services.waiting_priority_set(
        request_id=urgent.pk, priority=2, reason="titre perdu", by="agent"
    )
    services.offers_make(procedure_id=renewal.pk, now=timezone.now())
    assert WaitingOffer.objects.get().request == urgent


def test_a_declined_place_goes_to_the_next_and_two_misses_leave_the_list(
    renewal, django_capture_on_commit_callbacks
):
    site = SiteFactory()
    SlotFactory(procedure=renewal, site=site)
    first = WaitingRequestFactory(
        procedure=renewal, sites=[site], title_valid_until=date(2027, 1, 1)
    )
    second = WaitingRequestFactory(
        procedure=renewal, sites=[site], title_valid_until=date(2027, 2, 1)
    )
    now = timezone.now()
    services.offers_make(procedure_id=renewal.pk, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_decline(offer_id=first.offers.get().pk, now=now)
    # The trigger after the commit: the place went to the next request.
    assert second.offers.get().status == WaitingOffer.Status.OPEN
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_decline(offer_id=second.offers.get().pk, now=now)
    # Nobody is offered a place twice: a second place for the first request.
    SlotFactory(
        procedure=renewal, site=site, starts_at=timezone.now() + timedelta(days=9)
    )
    services.offers_make(procedure_id=renewal.pk, now=now)
    offer = first.offers.get(status=WaitingOffer.Status.OPEN)
    # No answer by the deadline: the second miss.
    services.offers_expire(now=offer.expires_at + timedelta(seconds=1))
    first.refresh_from_db()
    assert first.status == WaitingRequest.Status.EXPIRED
    assert OutgoingMessage.objects.filter(
        waiting_request=first, kind=OutgoingMessage.Kind.WAITING_LEFT
    ).exists()


def test_liste_mode_hides_every_place_from_self_service(renewal):
    site = SiteFactory()
    slot = SlotFactory(procedure=renewal, site=site)
    now = timezone.now()
    services.procedure_waiting_mode_set(
        procedure_id=renewal.pk, mode=WaitingMode.LIST, now=now
    )
    renewal.refresh_from_db()
    assert not selectors.slot_list_open(procedure=renewal, now=now).exists()
    with pytest.raises(SlotNotBookable):
        services.hold_place(
            slot_id=slot.pk,
            procedure=renewal,
            numero_etranger="4700000001",
            client_ip="192.0.2.1",
            now=now,
        )


def test_an_earlier_place_moves_the_appointment_and_frees_the_old_one(renewal):
    site = SiteFactory()
    now = timezone.now()
    late = SlotFactory(procedure=renewal, site=site, starts_at=now + timedelta(days=20))
    booking = BookingFactory(slot=late, procedure=renewal, numero_etranger="4700000009")
    request = services.waiting_join(
        procedure=renewal,
        applicant=applicant("4700000009"),
        title_valid_until=date(2027, 1, 31),
        site_ids=[site.pk],
        unavailable=0,
        now=now,
        earlier_than=booking,
    )
    # A place later than the appointment is not offered; an earlier one is.
    SlotFactory(procedure=renewal, site=site, starts_at=now + timedelta(days=30))
    early = SlotFactory(procedure=renewal, site=site, starts_at=now + timedelta(days=5))
    services.offers_make(procedure_id=renewal.pk, now=now)
    offer = request.offers.get()
    assert offer.slot == early
    accepted = services.offer_accept(offer_id=offer.pk, now=now)
    assert accepted.moved and accepted.booking.pk == booking.pk
    booking.refresh_from_db()
    assert booking.slot == early
    assert selectors.free_places(late, now=now) == 1
