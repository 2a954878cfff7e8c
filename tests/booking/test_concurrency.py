"""Races on PostgreSQL with real concurrent transactions (one connection a thread).

Run alone: `.venv/bin/python -m pytest tests/booking/test_concurrency.py -v -s`
(prints the figures)."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from booking import services
from booking.errors import AlreadyBooked, BookingError, SlotFull
from booking.models import Booking, BookingEvent, Hold, Slot
from tests.factories import ProcedureFactory, SlotFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def applicant(numero: str) -> services.Applicant:
    return services.Applicant(
        numero_etranger=numero,
        last_name="Test",
        first_name="Rush",
        mobile="+33612345678",
    )


def race(calls) -> list:
    """Runs every call at once, each in its own thread and database connection;
    returns each call's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # the outcome is what the test inspects
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"\n{len(calls)} concurrent calls in {time.perf_counter() - started:.2f} s")
    return results


def outcome_counts(results) -> Counter:
    return Counter(type(r).__name__ for r in results)


def assert_nothing_half_written():
    # every booking has its creation event, no orphan event, no slot over capacity
    assert (
        BookingEvent.objects.filter(kind="created").count() == Booking.objects.count()
    )
    over = Slot.objects.annotate(
        n=Count("bookings", filter=Q(bookings__status="confirmed"))
    ).filter(n__gt=F("capacity"))
    assert not over.exists()


def test_sixty_simultaneous_confirmations_for_three_places_give_three_bookings():
    slot = SlotFactory(capacity=3)
    now = timezone.now()
    calls = [
        lambda i=i: services.booking_create(
            slot_id=slot.pk,
            procedure=slot.procedure,
            applicant=applicant(f"45{i:08d}"),
            hold_token=f"token-{i}",
            now=now,
        )
        for i in range(60)
    ]
    results = race(calls)
    counts = outcome_counts(results)
    print(f"outcomes: {dict(counts)}")
    assert counts == {"Booking": 3, "SlotFull": 57}
    assert Booking.objects.filter(slot=slot, status="confirmed").count() == 3
    assert_nothing_half_written()


def test_twenty_simultaneous_confirmations_by_one_person_give_one_booking():
    procedure = ProcedureFactory()
    start = timezone.now() + timedelta(days=2)
    slots = [
        SlotFactory(procedure=procedure, starts_at=start + timedelta(hours=i))
        for i in range(20)
    ]
    now = timezone.now()
    calls = [
        lambda s=s: services.booking_create(
            slot_id=s.pk,
            procedure=procedure,
            applicant=applicant("2008006503"),
            hold_token=f"token-{s.pk}",
            now=now,
        )
        for s in slots
    ]
    results = race(calls)
    counts = outcome_counts(results)
    print(f"outcomes: {dict(counts)}")
    assert counts == {"Booking": 1, "AlreadyBooked": 19}
    assert Booking.objects.filter(numero_etranger="2008006503").count() == 1
    assert all(isinstance(r, Booking | AlreadyBooked) for r in results)
    assert_nothing_half_written()


def test_a_hold_expiring_mid_race_frees_exactly_its_place():
    slot = SlotFactory(capacity=2)
    now = timezone.now()
    # One place held until `now + 10 min`; the race happens 11 minutes later, when
    # that hold has expired: both places are up for grabs, no more.
    gone = services.hold_place(
        slot_id=slot.pk,
        procedure=slot.procedure,
        numero_etranger="4699999999",
        client_ip="192.0.2.1",
        now=now,
    )
    later = now + timedelta(minutes=11)
    calls = [
        lambda i=i: services.booking_create(
            slot_id=slot.pk,
            procedure=slot.procedure,
            applicant=applicant(f"47{i:08d}"),
            hold_token=f"token-{i}",
            now=later,
        )
        for i in range(30)
    ]
    results = race(calls)
    assert outcome_counts(results) == {"Booking": 2, "SlotFull": 28}
    assert Hold.objects.filter(pk=gone.pk).exists()  # no job needed to free it
    assert_nothing_half_written()


def test_holds_and_confirmations_racing_never_overbook():
    slot = SlotFactory(capacity=5)
    now = timezone.now()
    calls = []
    for i in range(40):
        if i % 2:
            calls.append(
                lambda i=i: services.hold_place(
                    slot_id=slot.pk,
                    procedure=slot.procedure,
                    numero_etranger=f"49{i:08d}",
                    client_ip=f"192.0.2.{i}",
                    now=now,
                )
            )
        else:
            calls.append(
                lambda i=i: services.booking_create(
                    slot_id=slot.pk,
                    procedure=slot.procedure,
                    applicant=applicant(f"48{i:08d}"),
                    hold_token=f"b{i}",
                    now=now,
                )
            )
    results = race(calls)
    taken = sum(not isinstance(r, BookingError) for r in results)
    assert taken == 5
    assert all(not isinstance(r, Exception) or isinstance(r, SlotFull) for r in results)
    live_holds = Hold.objects.filter(slot=slot, expires_at__gt=now).count()
    confirmed = Booking.objects.filter(slot=slot, status="confirmed").count()
    assert live_holds + confirmed == 5
    assert_nothing_half_written()
