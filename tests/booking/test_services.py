from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from booking import services
from booking.errors import (
    AlreadyBooked,
    NotCancellable,
    SlotFull,
    SlotNotBookable,
    TooLate,
)
from booking.models import Booking, BookingEvent, Hold
from booking.selectors import slot_list_open
from tests.factories import BookingFactory, ProcedureFactory, SlotFactory

pytestmark = pytest.mark.django_db


def applicant(numero="4500000001", **overrides) -> services.Applicant:
    values = {
        "numero_etranger": numero,
        "last_name": "Diallo",
        "first_name": "Awa",
        "mobile": "+33612345678",
        "email": "awa@example.org",
    }
    return services.Applicant(**{**values, **overrides})


def book(slot, numero="4500000001", token="t1", now=None, **overrides):
    return services.booking_create(
        slot_id=slot.pk,
        procedure=slot.procedure,
        applicant=applicant(numero, **overrides),
        hold_token=token,
        now=now or timezone.now(),
    )


def hold(slot, numero="4500000001", now=None):
    return services.hold_place(
        slot_id=slot.pk,
        procedure=slot.procedure,
        numero_etranger=numero,
        client_ip="192.0.2.1",
        now=now or timezone.now(),
    )


def test_booking_create_confirms_with_reference_event_and_email(
    django_capture_on_commit_callbacks,
):
    slot = SlotFactory(capacity=2)
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(slot)
    assert booking.status == Booking.Status.CONFIRMED
    assert len(booking.reference) == 8
    assert booking.events.get().kind == BookingEvent.Kind.CREATED
    assert [m.to for m in mail.outbox] == [["awa@example.org"]]
    assert booking.reference in mail.outbox[0].subject


def test_booking_create_refuses_second_active_booking_and_writes_nothing():
    first_slot, other_slot = SlotFactory(), SlotFactory()
    first = book(first_slot)
    with pytest.raises(AlreadyBooked) as refused:
        book(other_slot, token="t2")
    assert refused.value.reference == first.reference
    assert Booking.objects.count() == 1
    assert BookingEvent.objects.count() == 1


def test_booking_create_refuses_a_full_slot():
    slot = SlotFactory(capacity=1)
    book(slot)
    with pytest.raises(SlotFull):
        book(slot, numero="4500000002", token="t2")
    assert Booking.objects.count() == 1


def test_live_hold_of_someone_else_counts_but_an_expired_one_does_not():
    slot = SlotFactory(capacity=1)
    now = timezone.now()
    hold(slot, numero="4500000009", now=now)
    with pytest.raises(SlotFull):
        book(slot, numero="4500000002", token="b", now=now)
    later = now + timedelta(minutes=11)  # the hold lasts 10 minutes
    assert book(slot, numero="4500000002", token="b", now=later).slot == slot


def test_own_hold_is_used_by_the_booking_and_then_removed():
    slot = SlotFactory(capacity=1)
    now = timezone.now()
    mine = hold(slot, now=now)
    book(slot, token=mine.token, now=now)
    assert not Hold.objects.exists()


def test_hold_releases_the_previous_hold_of_the_same_applicant():
    first, second = SlotFactory(capacity=1), SlotFactory(capacity=1)
    now = timezone.now()
    hold(first, now=now)
    hold(second, now=now)
    assert list(Hold.objects.values_list("slot", flat=True)) == [second.pk]


@pytest.mark.parametrize(
    "slot_kwargs",
    [
        {"starts_at": timezone.now() - timedelta(hours=1)},  # past
        {"starts_at": timezone.now() + timedelta(minutes=30)},  # inside min notice
        {"starts_at": timezone.now() + timedelta(days=90)},  # beyond horizon
        {"published_at": timezone.now() + timedelta(hours=1)},  # not published yet
    ],
)
def test_slots_outside_the_window_are_not_bookable(slot_kwargs):
    slot = SlotFactory(**slot_kwargs)
    with pytest.raises(SlotNotBookable):
        book(slot)
    assert slot not in slot_list_open(procedure=slot.procedure, now=timezone.now())


def test_slot_of_another_procedure_is_not_bookable():
    slot = SlotFactory()
    with pytest.raises(SlotNotBookable):
        services.booking_create(
            slot_id=slot.pk,
            procedure=ProcedureFactory(),
            applicant=applicant(),
            hold_token="t",
            now=timezone.now(),
        )


def test_a_procedure_can_book_the_slots_of_another():
    slot = SlotFactory()
    status_change = ProcedureFactory(booking_procedure=slot.procedure)
    booking = services.booking_create(
        slot_id=slot.pk,
        procedure=status_change,
        applicant=applicant(),
        hold_token="t",
        now=timezone.now(),
    )
    assert booking.procedure == status_change and booking.slot == slot


def test_a_past_confirmed_booking_no_longer_blocks_a_new_one():
    past = BookingFactory(
        numero_etranger="4500000001",
        slot=SlotFactory(
            starts_at=timezone.now() - timedelta(days=2),
            ends_at=timezone.now() - timedelta(days=2) + timedelta(minutes=30),
        ),
    )
    booking = book(SlotFactory())
    past.refresh_from_db()
    assert past.status == Booking.Status.NO_SHOW
    assert list(past.events.values_list("kind", "actor")) == [
        (BookingEvent.Kind.CLOSED, "système")
    ]
    assert booking.status == Booking.Status.CONFIRMED


def test_cancel_frees_the_place_at_once():
    slot = SlotFactory(capacity=1)
    booking = book(slot)
    assert slot not in slot_list_open(procedure=slot.procedure, now=timezone.now())
    services.booking_cancel(booking_id=booking.pk, now=timezone.now())
    assert slot in slot_list_open(procedure=slot.procedure, now=timezone.now())
    assert book(slot, numero="4500000002", token="t2").slot == slot


def test_cancel_is_refused_after_the_cutoff_and_twice():
    slot = SlotFactory(starts_at=timezone.now() + timedelta(days=3))
    booking = book(slot)
    with pytest.raises(TooLate):
        services.booking_cancel(
            booking_id=booking.pk, now=slot.starts_at - timedelta(hours=23)
        )
    services.booking_cancel(booking_id=booking.pk, now=timezone.now())
    with pytest.raises(NotCancellable):
        services.booking_cancel(booking_id=booking.pk, now=timezone.now())


def test_move_keeps_reference_and_holder_and_frees_the_old_place():
    old = SlotFactory(capacity=1)
    new = SlotFactory(
        procedure=old.procedure, starts_at=old.starts_at + timedelta(days=1)
    )
    booking = book(old)
    moved = services.booking_move(
        booking_id=booking.pk, slot_id=new.pk, hold_token="x", now=timezone.now()
    )
    assert (moved.reference, moved.numero_etranger) == (
        booking.reference,
        booking.numero_etranger,
    )
    assert moved.slot == new
    assert old in slot_list_open(procedure=old.procedure, now=timezone.now())
    assert moved.events.last().kind == BookingEvent.Kind.MOVED


def test_move_to_a_full_slot_changes_nothing():
    old = SlotFactory()
    full = SlotFactory(procedure=old.procedure, capacity=1)
    book(full, numero="4500000009", token="other")
    booking = book(old)
    with pytest.raises(SlotFull):
        services.booking_move(
            booking_id=booking.pk, slot_id=full.pk, hold_token="x", now=timezone.now()
        )
    booking.refresh_from_db()
    assert booking.slot == old
