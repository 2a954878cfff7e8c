"""Races on PostgreSQL with real concurrent transactions (one connection a thread).

Run alone: `.venv/bin/python -m pytest tests/booking/test_concurrency.py -v -s`
(prints the figures)."""

import threading
import time
from collections import Counter
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.test import Client
from django.utils import timezone

from booking import services
from booking.errors import AlreadyBooked, BookingError, SlotFull
from booking.models import Booking, BookingEvent, Hold, Slot
from tests.booking.flow import (
    CONTACT,
    IDENTITY,
    applicant,
    hold,
    pass_identity,
    registered_title,
    unlock_manage,
)
from tests.factories import (
    BookingFactory,
    ProcedureFactory,
    SlotFactory,
    TitleRecordFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


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


# --- hoarding: at most one live place per numéro, per booking, and the cap per IP ---


def slots_of(procedure, count: int, capacity: int = 1) -> list[Slot]:
    start = timezone.now() + timedelta(days=2)
    return [
        SlotFactory(
            procedure=procedure,
            capacity=capacity,
            starts_at=start + timedelta(hours=i),
        )
        for i in range(count)
    ]


def live_holds():
    return Hold.objects.filter(expires_at__gt=timezone.now())


def test_one_entry_through_the_gate_again_and_again_in_one_session_holds_one_place():
    procedure = ProcedureFactory()
    registered_title()
    slots = slots_of(procedure, 30)
    client = Client()
    for slot in slots:
        response = hold(client, procedure, slot)
        assert response["Location"] == "/rendez-vous/coordonnees/"
    assert list(live_holds().values_list("slot", "numero_etranger")) == [
        (slots[-1].pk, "2008006503")
    ]


def test_one_entry_in_thirty_fresh_sessions_at_once_holds_one_place():
    procedure = ProcedureFactory()
    registered_title()
    slots = slots_of(procedure, 30)
    sessions = [Client() for _ in slots]
    for session in sessions:
        pass_identity(session, procedure)
    results = race(
        [
            lambda c=c, s=s: c.post("/rendez-vous/creneaux/", {"slot": s.pk})
            for c, s in zip(sessions, slots, strict=True)
        ]
    )
    assert all(r.status_code == 302 for r in results)
    assert live_holds().count() == 1
    assert live_holds().get().numero_etranger == "2008006503"
    # Only the session whose hold is left can use it; the others book a free
    # place or nothing, never more than one booking.
    results = race(
        [lambda c=c: c.post("/rendez-vous/coordonnees/", CONTACT) for c in sessions]
    )
    assert Booking.objects.count() == 1
    assert not Hold.objects.exists()
    assert_nothing_half_written()


def test_one_booking_and_thirty_sessions_on_the_move_page_hold_one_place(settings):
    procedure = ProcedureFactory()
    booking = BookingFactory(
        slot=SlotFactory(procedure=procedure), numero_etranger="2008006503"
    )
    targets = slots_of(procedure, 30)
    # Thirty tabs of the holder, each past the one-time code.
    settings.BOOKING_MANAGE_CODES_PER_DAY = 100
    settings.BOOKING_LINK_LOOKUP_LIMITS = {"ip": 1000, "failed_ip": 10}
    sessions = [Client() for _ in targets]
    for session in sessions:
        path = unlock_manage(session, booking)
    results = race(
        [
            lambda c=c, s=s: c.post(path + "deplacer/", {"slot": s.pk})
            for c, s in zip(sessions, targets, strict=True)
        ]
    )
    assert all(r.status_code == 200 for r in results)
    assert live_holds().count() == 1
    assert live_holds().get().booking == booking


def test_fifty_confirmations_for_one_place_leave_one_booking_and_no_hold():
    slot = SlotFactory(capacity=1)
    start = timezone.now()
    # Each applicant held the place in turn, each hold expiring before the next;
    # the last one's is still live when all fifty confirm.
    held = [
        services.hold_place(
            slot_id=slot.pk,
            procedure=slot.procedure,
            numero_etranger=f"50{i:08d}",
            client_ip=f"192.0.2.{i}",
            now=start + timedelta(minutes=11 * i),
        )
        for i in range(50)
    ]
    now = start + timedelta(minutes=11 * 49 + 1)
    results = race(
        [
            lambda h=h: services.booking_create(
                slot_id=slot.pk,
                procedure=slot.procedure,
                applicant=applicant(h.numero_etranger),
                hold_token=h.token,
                now=now,
            )
            for h in held
        ]
    )
    assert outcome_counts(results) == {"Booking": 1, "SlotFull": 49}
    assert Booking.objects.get().numero_etranger == held[-1].numero_etranger
    assert not Hold.objects.exists()  # the 49 losers kept nothing
    assert_nothing_half_written()


def test_holds_from_one_address_stop_at_the_cap(settings):
    settings.BOOKING_HOLDS_PER_IP = 5
    procedure = ProcedureFactory()
    slots = slots_of(procedure, 30)
    now = timezone.now()
    results = race(
        [
            lambda i=i, s=s: services.hold_place(
                slot_id=s.pk,
                procedure=procedure,
                numero_etranger=f"51{i:08d}",
                client_ip="203.0.113.7",
                now=now,
            )
            for i, s in enumerate(slots)
        ]
    )
    assert outcome_counts(results) == {"Hold": 5, "TooManyHolds": 25}
    assert live_holds().count() == 5
    free = Slot.objects.filter(procedure=procedure, holds=None).first()
    elsewhere = services.hold_place(
        slot_id=free.pk,
        procedure=procedure,
        numero_etranger="5200000000",
        client_ip="203.0.113.8",
        now=now,
    )
    assert elsewhere.pk


def test_a_hold_cannot_be_confirmed_after_typing_another_identity():
    procedure = ProcedureFactory()
    registered_title()
    customer = IDENTITY | {"numero_etranger": "2101234567"}
    TitleRecordFactory(
        numero_etranger="2101234567", valid_until=date(2028, 3, 31), postal_code="45000"
    )
    (slot,) = slots_of(procedure, 1)
    reseller = Client()
    hold(reseller, procedure, slot)
    # The reseller's own entry keeps the place; they type a customer's entry and
    # confirm at the same moment, hoping to book the held place for the customer.
    race(
        [
            lambda: reseller.post("/rendez-vous/identite/", customer),
            lambda: reseller.post("/rendez-vous/coordonnees/", CONTACT),
        ]
    )
    assert not Booking.objects.filter(numero_etranger="2101234567").exists()
    assert not Hold.objects.filter(numero_etranger="2101234567").exists()
    # And once the identity is the customer's, nothing is left to confirm.
    response = reseller.post("/rendez-vous/coordonnees/", CONTACT)
    assert response["Location"] in ("/rendez-vous/", "/rendez-vous/confirme/")
    assert not Booking.objects.filter(numero_etranger="2101234567").exists()


def test_a_choice_of_a_full_slot_is_refused_without_queueing_on_its_lock():
    """In a rush most choices come after the last place went: they are refused at
    once, not after the transactions that hold the slot's row."""
    slot = SlotFactory(capacity=1)
    BookingFactory(slot=slot)
    locked, finish = threading.Event(), threading.Event()

    def hold_the_slots_row():
        try:
            with transaction.atomic():
                Slot.objects.select_for_update().get(pk=slot.pk)
                locked.set()
                finish.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=hold_the_slots_row)
    other.start()
    assert locked.wait(5)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting would fail here
        started = time.perf_counter()
        with pytest.raises(SlotFull):
            services.hold_place(
                slot_id=slot.pk,
                procedure=slot.procedure,
                numero_etranger="2008006503",
                client_ip="192.0.2.1",
                now=timezone.now(),
            )
        assert time.perf_counter() - started < 1
    finally:
        finish.set()
        other.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


def test_one_person_booking_directly_while_accepting_an_offer_gets_one_booking(
    monkeypatch, settings
):
    """The direct confirm holds the numéro's and the mobile's locks when the same
    person accepts an offer in another tab: the acceptance used to insert its
    booking first and then wait for the mobile's lock, while the confirm's insert
    waited for it on the one-active-booking index: "deadlock detected", a 500."""
    from booking.models import WaitingOffer
    from booking.services import bookings
    from tests.factories import SiteFactory, WaitingRequestFactory

    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL  # any hour sends
    procedure = ProcedureFactory()
    site = SiteFactory()
    offered = SlotFactory(procedure=procedure, site=site, capacity=1)
    other = SlotFactory(
        procedure=procedure,
        site=site,
        capacity=1,
        starts_at=offered.starts_at + timedelta(hours=2),
    )
    request = WaitingRequestFactory(procedure=procedure, sites=[site])
    now = timezone.now()
    assert services.offers_make(procedure_id=procedure.pk, now=now) == 1
    offer = WaitingOffer.objects.get(slot=offered)
    checked, go = threading.Event(), threading.Event()
    locked_reads = bookings._locked_reads

    def checks_then_wait(*args, **kwargs):  # locks taken, checks read, no insert yet
        result = locked_reads(*args, **kwargs)
        checked.set()
        go.wait(10)
        return result

    monkeypatch.setattr(bookings, "_locked_reads", checks_then_wait)
    outcomes: dict = {}

    def run(name, call):
        try:
            outcomes[name] = call()
        except Exception as error:  # the outcome is what the test inspects
            outcomes[name] = error
        finally:
            connection.close()

    direct = threading.Thread(
        target=run,
        args=(
            "direct",
            lambda: services.booking_create(
                slot_id=other.pk,
                procedure=procedure,
                applicant=applicant(request.numero_etranger, mobile=request.mobile),
                hold_token="",
                now=now,
            ),
        ),
    )
    direct.start()
    assert checked.wait(10)
    accept = threading.Thread(
        target=run,
        args=("offer", lambda: services.offer_accept(offer_id=offer.pk, now=now)),
    )
    accept.start()
    time.sleep(1)  # the acceptance reaches the locks the confirm holds
    go.set()
    direct.join(30)
    accept.join(30)
    assert isinstance(outcomes["direct"], Booking), outcomes
    assert isinstance(outcomes["offer"], AlreadyBooked), outcomes
    assert Booking.objects.filter(numero_etranger=request.numero_etranger).count() == 1
