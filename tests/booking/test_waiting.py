"""The waiting list's services on PostgreSQL: joining, offers in order of urgency,
accept / decline / no answer, and the démarche's modes."""

import math
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from booking import rules, selectors, services
from booking.errors import (
    AlreadyBooked,
    AlreadyWaiting,
    OfferClosed,
    PreferencesTooNarrow,
    SlotNotBookable,
)
from booking.models import (
    Booking,
    OpeningSchedule,
    OutgoingMessage,
    Slot,
    WaitingEvent,
    WaitingMode,
    WaitingOffer,
    WaitingRequest,
)
from tests.clock import PARIS
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


# --- the offer's window -------------------------------------------------------------


def test_an_offer_runs_for_offer_hours_and_never_past_the_minimum_notice(
    renewal, settings
):
    settings.WAITING_OFFER_HOURS = 24
    site = SiteFactory()
    now = timezone.now()
    far = SlotFactory(procedure=renewal, site=site, starts_at=now + timedelta(days=5))
    near = SlotFactory(procedure=renewal, site=site, starts_at=now + timedelta(hours=6))
    first = WaitingRequestFactory(
        procedure=renewal, sites=[site], title_valid_until=date(2027, 1, 1)
    )
    second = WaitingRequestFactory(
        procedure=renewal, sites=[site], title_valid_until=date(2027, 2, 1)
    )
    assert services.offers_make(procedure_id=renewal.pk, now=now) == 2
    # Earliest slot first, to the most urgent.
    early, late = first.offers.get(), second.offers.get()
    assert (early.slot, late.slot) == (near, far)
    # renewal: 2 hours' minimum notice.
    assert early.expires_at == near.starts_at - timedelta(hours=2)
    assert late.expires_at == now + timedelta(hours=24)
    # Answered in its last second: booked; the other one at its deadline: refused.
    last_second = early.expires_at - timedelta(seconds=1)
    accepted = services.offer_accept(offer_id=early.pk, now=last_second)
    assert accepted.booking.slot == near
    with pytest.raises(OfferClosed) as closed:
        services.offer_accept(offer_id=late.pk, now=late.expires_at)
    assert closed.value.status == WaitingOffer.Status.EXPIRED
    # The sweeper closes it at its deadline, not a second before.
    assert services.offers_expire(now=late.expires_at - timedelta(seconds=1)) == 0
    assert services.offers_expire(now=late.expires_at) == 1


def test_a_place_too_close_to_answer_in_time_is_not_offered(renewal, settings):
    settings.WAITING_OFFER_MIN_MINUTES = 60
    site = SiteFactory()
    now = timezone.now()
    # 2 hours' notice + less than an hour to answer.
    SlotFactory(procedure=renewal, site=site, starts_at=now + timedelta(minutes=179))
    WaitingRequestFactory(procedure=renewal, sites=[site])
    assert services.offers_make(procedure_id=renewal.pk, now=now) == 0
    assert not WaitingOffer.objects.exists()


def test_an_offer_made_at_night_is_texted_at_eight_and_counted_from_then(
    renewal, settings
):
    settings.SMS_QUIET_FROM, settings.SMS_QUIET_UNTIL = time(20, 0), time(8, 0)
    settings.WAITING_OFFER_HOURS = 24
    tomorrow = timezone.localdate() + timedelta(days=1)
    night = datetime.combine(tomorrow, time(23, 30), tzinfo=PARIS)
    morning = datetime.combine(tomorrow + timedelta(days=1), time(8, 0), tzinfo=PARIS)
    site = SiteFactory()
    SlotFactory(procedure=renewal, site=site, starts_at=night + timedelta(days=4))
    request = WaitingRequestFactory(
        procedure=renewal, sites=[site], email="awa@example.org"
    )
    assert services.offers_make(procedure_id=renewal.pk, now=night) == 1
    offer = request.offers.get()
    assert offer.offered_at == night
    assert offer.expires_at == morning + timedelta(hours=24)
    sms = OutgoingMessage.objects.get(kind=OutgoingMessage.Kind.WAITING_OFFER)
    assert sms.send_after == morning
    # The e-mail waits for no quiet hours.
    email = OutgoingMessage.objects.get(kind=OutgoingMessage.Kind.WAITING_OFFER_EMAIL)
    assert email.send_after == night


# --- the démarche's modes -----------------------------------------------------------


def test_mixte_mode_keeps_its_share_of_each_generated_batch_for_the_list(renewal):
    renewal.max_horizon_days = 14
    renewal.save()
    services.procedure_waiting_mode_set(
        procedure_id=renewal.pk, mode=WaitingMode.MIXED, share=30, now=timezone.now()
    )
    for site in (SiteFactory(), SiteFactory()):
        OpeningSchedule.objects.create(
            site=site,
            procedure=renewal,
            weekday=2,
            starts=time(9),
            ends=time(12),
            slot_minutes=30,
            places=2,
            valid_from=date(2020, 1, 1),
        )
    # Two Wednesdays of 6 slots at each of two sites (a holiday may take one).
    services.slots_generate(now=timezone.now())
    slots = list(Slot.objects.filter(procedure=renewal).order_by("starts_at", "site"))
    kept = [s for s in slots if s.via_list]
    assert len(slots) >= 12
    assert len(kept) == math.ceil(len(slots) * 30 / 100)
    # Spread over the batch, not the first ones.
    assert kept[-1].starts_at > slots[len(slots) // 2].starts_at
    # The rest is for self-service; the share never is.
    listed = set(
        selectors.slot_list_open(
            procedure=renewal, now=max(s.published_at for s in slots)
        ).values_list("pk", flat=True)
    )
    assert listed == {s.pk for s in slots if not s.via_list}


# --- places freed: offered to the list ------------------------------------------------


def test_booking_directly_closes_the_request_and_its_offer_goes_to_the_next(
    renewal, django_capture_on_commit_callbacks
):
    here, there = SiteFactory(), SiteFactory()
    now = timezone.now()
    offered = SlotFactory(procedure=renewal, site=here, via_list=True)
    public = SlotFactory(
        procedure=renewal, site=there, starts_at=now + timedelta(days=10)
    )
    person = WaitingRequestFactory(
        procedure=renewal, sites=[here, there], title_valid_until=date(2027, 1, 1)
    )
    # Only the offered place fits the next one.
    nxt = WaitingRequestFactory(
        procedure=renewal, sites=[here], title_valid_until=date(2027, 2, 1)
    )
    services.offers_make(procedure_id=renewal.pk, now=now)
    first = person.offers.get()
    assert first.slot == offered
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.booking_create(
            slot_id=public.pk,
            procedure=renewal,
            applicant=applicant(person.numero_etranger),
            hold_token="",
            now=now,
        )
    person.refresh_from_db()
    first.refresh_from_db()
    assert person.status == WaitingRequest.Status.BOOKED
    assert person.booking == booking
    assert first.status == WaitingOffer.Status.CANCELLED
    # The trigger after the commit: the place went to the next request.
    assert nxt.offers.get().slot == offered
    assert selectors.free_places(offered, now=now) == 0


def test_a_cancelled_appointment_is_offered_to_the_list(
    renewal, django_capture_on_commit_callbacks
):
    site = SiteFactory()
    slot = SlotFactory(procedure=renewal, site=site)
    booking = BookingFactory(slot=slot, procedure=renewal)
    request = WaitingRequestFactory(procedure=renewal, sites=[site])
    now = timezone.now()
    assert services.offers_make(procedure_id=renewal.pk, now=now) == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking_id=booking.pk, now=now)
    offer = request.offers.get()
    assert offer.slot == slot and offer.status == WaitingOffer.Status.OPEN
    assert OutgoingMessage.objects.filter(
        waiting_request=request, kind=OutgoingMessage.Kind.WAITING_OFFER
    ).exists()


def test_withdrawing_frees_the_offered_place_for_the_next(
    renewal, django_capture_on_commit_callbacks
):
    site = SiteFactory()
    slot = SlotFactory(procedure=renewal, site=site)
    first = WaitingRequestFactory(
        procedure=renewal, sites=[site], title_valid_until=date(2027, 1, 1)
    )
    second = WaitingRequestFactory(
        procedure=renewal, sites=[site], title_valid_until=date(2027, 2, 1)
    )
    now = timezone.now()
    services.offers_make(procedure_id=renewal.pk, now=now)
    offer = first.offers.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.waiting_withdraw(request_id=first.pk, now=now)
    offer.refresh_from_db()
    first.refresh_from_db()
    assert offer.status == WaitingOffer.Status.CANCELLED
    assert first.status == WaitingRequest.Status.WITHDRAWN
    assert second.offers.get().slot == slot
    with pytest.raises(OfferClosed):
        services.offer_accept(offer_id=offer.pk, now=now)
    assert not Booking.objects.exists()


# --- accepting ------------------------------------------------------------------------


def snapshot() -> dict:
    """What the answers write, to show that a refused one wrote nothing."""
    return {
        "bookings": list(Booking.objects.values_list("pk", "status", "slot")),
        "offers": list(WaitingOffer.objects.values_list("pk", "status", "answered_at")),
        "requests": list(
            WaitingRequest.objects.values_list(
                "pk", "status", "booking", "missed_offers"
            )
        ),
        "events": WaitingEvent.objects.count(),
        "messages": OutgoingMessage.objects.count(),
    }


def test_an_accept_after_the_deadline_is_refused_and_writes_nothing(renewal):
    site = SiteFactory()
    SlotFactory(procedure=renewal, site=site)
    request = WaitingRequestFactory(procedure=renewal, sites=[site])
    now = timezone.now()
    services.offers_make(procedure_id=renewal.pk, now=now)
    offer = request.offers.get()
    before = snapshot()
    with pytest.raises(OfferClosed) as closed:
        services.offer_accept(
            offer_id=offer.pk, now=offer.expires_at + timedelta(minutes=1)
        )
    assert closed.value.status == WaitingOffer.Status.EXPIRED
    assert snapshot() == before


def test_accepting_never_gives_a_numero_a_second_active_appointment(renewal, slot):
    site = SiteFactory()
    SlotFactory(procedure=renewal, site=site)
    request = WaitingRequestFactory(procedure=renewal, sites=[site])
    services.offers_make(procedure_id=renewal.pk, now=timezone.now())
    offer = request.offers.get()
    # Booked meanwhile by an agent at the desk, outside the flow.
    held = BookingFactory(slot=slot, numero_etranger=request.numero_etranger)
    before = snapshot()
    with pytest.raises(AlreadyBooked) as refused:
        services.offer_accept(offer_id=offer.pk, now=timezone.now())
    assert refused.value.reference == held.reference
    assert snapshot() == before


def test_a_request_is_never_offered_the_same_place_twice(
    renewal, django_capture_on_commit_callbacks
):
    site = SiteFactory()
    now = timezone.now()
    slot = SlotFactory(procedure=renewal, site=site, capacity=2)
    request = WaitingRequestFactory(procedure=renewal, sites=[site])
    services.offers_make(procedure_id=renewal.pk, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_decline(offer_id=request.offers.get().pk, now=now)
    # The slot still has two free places, and they fit: not for this request.
    assert services.offers_make(procedure_id=renewal.pk, now=now) == 0
    assert selectors.free_places(slot, now=now) == 2
    other = SlotFactory(
        procedure=renewal, site=site, starts_at=now + timedelta(days=12)
    )
    assert services.offers_make(procedure_id=renewal.pk, now=now) == 1
    assert request.offers.get(status=WaitingOffer.Status.OPEN).slot == other
    assert request.offers.filter(slot=slot).count() == 1


def test_the_sweep_costs_one_read_per_slot_that_fits_no_one(
    renewal, django_assert_max_num_queries
):
    """Places nobody waiting can take (their half-day excluded) are looked at
    without a lock or a transaction: one query each, every minute's sweep."""
    site = SiteFactory()
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    for day in range(5):
        for hour in (9, 10, 11):
            SlotFactory(
                procedure=renewal,
                site=site,
                starts_at=timezone.make_aware(
                    datetime.combine(monday + timedelta(days=day), time(hour))
                ),
            )
    mornings = rules.half_days_mask(c for c in rules.HALF_DAY_CODES if c.endswith("am"))
    WaitingRequestFactory(
        procedure=renewal, sites=[site], unavailable_half_days=mornings
    )
    # 15 slots: about 5 queries before them, then one each (a transaction and its
    # locks each cost 5 more).
    with django_assert_max_num_queries(5 + 15):
        assert services.offers_make(procedure_id=renewal.pk, now=timezone.now()) == 0
