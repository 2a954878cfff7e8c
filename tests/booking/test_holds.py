"""Holds: one live place per numéro étranger and per booking being moved, never
confirmed under another identity, released when a flow is abandoned or a race lost,
and capped per client address. (The races themselves: test_concurrency.py.)"""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from booking import services
from booking.errors import SlotFull, TooManyHolds
from booking.models import Booking, Hold
from tests.booking.flow import (
    CONTACT,
    IDENTITY,
    applicant,
    hold,
    pass_gate,
    pass_identity,
    unlock_manage,
)
from tests.factories import BookingFactory, SlotFactory, TitleRecordFactory

pytestmark = pytest.mark.django_db

OTHER_IDENTITY = IDENTITY | {"numero_etranger": "2101234567"}


def other_title():
    return TitleRecordFactory(
        numero_etranger="2101234567", valid_until=date(2028, 3, 31), postal_code="45000"
    )


def hold_for(slot, numero, *, ip="192.0.2.1", now=None):
    return services.hold_place(
        slot_id=slot.pk,
        procedure=slot.procedure,
        numero_etranger=numero,
        client_ip=ip,
        now=now or timezone.now(),
    )


def html(response) -> str:
    return response.content.decode()


# --- one hold per owner ---------------------------------------------------------------


def test_a_new_hold_of_a_numero_replaces_its_previous_one(renewal):
    first, second = SlotFactory(procedure=renewal), SlotFactory(procedure=renewal)
    hold_for(first, "2008006503")
    kept = hold_for(second, "2008006503", ip="198.51.100.9")
    assert list(Hold.objects.all()) == [kept]


def test_the_database_refuses_a_second_hold_for_a_numero_or_a_booking(slot):
    held = hold_for(slot, "2008006503")
    with pytest.raises(IntegrityError), transaction.atomic():
        Hold.objects.create(
            slot=slot,
            token="x",
            expires_at=held.expires_at,
            numero_etranger="2008006503",
        )
    booking = BookingFactory()
    Hold.objects.create(
        slot=slot, token="m1", expires_at=held.expires_at, booking=booking
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Hold.objects.create(
            slot=slot, token="m2", expires_at=held.expires_at, booking=booking
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Hold.objects.create(slot=slot, token="nobody", expires_at=held.expires_at)


def test_an_expired_hold_of_the_numero_is_replaced_too(renewal):
    first, second = SlotFactory(procedure=renewal), SlotFactory(procedure=renewal)
    now = timezone.now()
    hold_for(first, "2008006503", now=now - timedelta(minutes=30))
    hold_for(second, "2008006503", now=now)
    assert list(Hold.objects.values_list("slot", flat=True)) == [second.pk]


def test_a_hold_has_exactly_one_owner(slot):
    with pytest.raises(ValueError, match="one owner"):
        services.hold_place(
            slot_id=slot.pk, procedure=slot.procedure, client_ip="", now=timezone.now()
        )
    with pytest.raises(ValueError, match="one owner"):
        services.hold_place(
            slot_id=slot.pk,
            procedure=slot.procedure,
            numero_etranger="2008006503",
            booking_id=BookingFactory().pk,
            client_ip="",
            now=timezone.now(),
        )
    assert not Hold.objects.exists()


# --- never confirmed under another identity ---------------------------------------------


def test_a_hold_cannot_be_confirmed_under_another_numero(renewal):
    slot = SlotFactory(procedure=renewal, capacity=1)
    held = hold_for(slot, "2008006503")
    with pytest.raises(SlotFull):
        services.booking_create(
            slot_id=slot.pk,
            procedure=renewal,
            applicant=applicant("2101234567"),
            hold_token=held.token,
            now=timezone.now(),
        )
    assert not Booking.objects.exists()
    assert list(Hold.objects.all()) == [held]  # still its owner's place


def test_typing_another_identity_releases_the_sessions_hold(client, renewal, title):
    other_title()
    slot = SlotFactory(procedure=renewal, capacity=1)
    hold(client, renewal, slot)
    assert Hold.objects.get().numero_etranger == "2008006503"
    client.post("/rendez-vous/identite/", OTHER_IDENTITY)
    assert not Hold.objects.exists()
    response = client.post("/rendez-vous/coordonnees/", CONTACT)
    assert response["Location"] == "/rendez-vous/"
    assert not Booking.objects.exists()


def test_typing_the_same_identity_again_keeps_the_hold(client, renewal, slot, title):
    hold(client, renewal, slot)
    client.post("/rendez-vous/identite/", IDENTITY)
    assert Hold.objects.count() == 1
    client.post("/rendez-vous/coordonnees/", CONTACT)
    assert Booking.objects.get().numero_etranger == "2008006503"
    assert not Hold.objects.exists()


# --- abandoned flows and lost races -----------------------------------------------------


# The cached lists' version moves when the writes commit.
@pytest.mark.django_db(transaction=True)
def test_going_back_to_the_start_releases_the_hold(renewal, title):
    slot = SlotFactory(procedure=renewal, capacity=1)
    holder, watcher = Client(), Client()
    hold(holder, renewal, slot)
    other_title()
    pass_identity(watcher, renewal, OTHER_IDENTITY)
    assert "Aucun créneau n’est disponible" in html(
        watcher.get("/rendez-vous/creneaux/")
    )
    holder.get("/rendez-vous/")
    assert not Hold.objects.exists()
    # The freed place shows at once, through the shared cache too.
    assert f'value="{slot.pk}"' in html(watcher.get("/rendez-vous/creneaux/"))
    response = holder.post("/rendez-vous/coordonnees/", CONTACT)
    assert response["Location"] == "/rendez-vous/"


def test_passing_the_gate_again_releases_the_hold(client, renewal, slot, title):
    hold(client, renewal, slot)
    pass_gate(client, renewal)
    assert not Hold.objects.exists()


def test_choosing_another_slot_replaces_the_hold(client, renewal, title):
    first = SlotFactory(procedure=renewal)
    second = SlotFactory(procedure=renewal, starts_at=first.starts_at + timedelta(1))
    hold(client, renewal, first)
    client.post("/rendez-vous/creneaux/", {"slot": second.pk})
    assert list(Hold.objects.values_list("slot", flat=True)) == [second.pk]


def test_a_refused_new_choice_still_gives_the_previous_place_back(
    client, renewal, title
):
    first = SlotFactory(procedure=renewal)
    full = BookingFactory(slot=SlotFactory(procedure=renewal)).slot
    hold(client, renewal, first)
    page = html(client.post("/rendez-vous/creneaux/", {"slot": full.pk}, follow=True))
    assert "Ce créneau vient d’être pris" in page
    assert not Hold.objects.exists()
    assert f'value="{first.pk}"' in page
    response = client.get("/rendez-vous/coordonnees/")
    assert response["Location"] == "/rendez-vous/"


def test_a_lost_race_at_confirmation_releases_the_hold(renewal):
    slot = SlotFactory(procedure=renewal, capacity=1)
    now = timezone.now()
    late = hold_for(slot, "2008006503", now=now)
    later = now + timedelta(minutes=11)  # expired, and the place taken meanwhile
    services.booking_create(
        slot_id=slot.pk,
        procedure=renewal,
        applicant=applicant("2101234567"),
        hold_token="",
        now=later,
    )
    with pytest.raises(SlotFull):
        services.booking_create(
            slot_id=slot.pk,
            procedure=renewal,
            applicant=applicant("2008006503"),
            hold_token=late.token,
            now=later,
        )
    assert not Hold.objects.exists()


def test_the_confirmation_page_after_a_lost_race_has_no_hold_left(
    client, renewal, title
):
    slot = SlotFactory(procedure=renewal, capacity=1)
    hold(client, renewal, slot)
    Hold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    BookingFactory(slot=slot)
    page = html(client.post("/rendez-vous/coordonnees/", CONTACT, follow=True))
    assert "Ce créneau vient d’être pris" in page
    assert not Hold.objects.exists()


def test_a_booking_releases_every_hold_of_its_numero(renewal):
    first = SlotFactory(procedure=renewal)
    second = SlotFactory(procedure=renewal, starts_at=first.starts_at + timedelta(1))
    held = hold_for(first, "2008006503")
    services.booking_create(
        slot_id=second.pk,
        procedure=renewal,
        applicant=applicant("2008006503"),
        hold_token=held.token,
        now=timezone.now(),
    )
    assert not Hold.objects.exists()


# --- the move page ------------------------------------------------------------------------


def unlocked(booking) -> tuple[Client, str]:
    client = Client()
    return client, unlock_manage(client, booking) + "deplacer/"


def test_the_move_page_holds_one_place_per_booking(renewal):
    booking = BookingFactory(
        slot=SlotFactory(procedure=renewal), numero_etranger="2008006503"
    )
    first = SlotFactory(
        procedure=renewal, starts_at=booking.slot.starts_at + timedelta(1)
    )
    second = SlotFactory(procedure=renewal, starts_at=first.starts_at + timedelta(1))
    tab_one, move_url = unlocked(booking)
    tab_two, _url = unlocked(booking)
    tab_one.post(move_url, {"slot": first.pk})
    tab_two.post(move_url, {"slot": second.pk})
    held = Hold.objects.get()
    assert (held.slot, held.booking, held.numero_etranger) == (second, booking, "")
    # The first tab's hold is gone: confirming it takes a free place or nothing.
    tab_one.post(move_url, {"slot": first.pk, "confirm": "1"})
    booking.refresh_from_db()
    assert booking.slot == first
    assert not Hold.objects.exists()


def test_a_lost_move_race_releases_the_bookings_hold(renewal):
    booking = BookingFactory(slot=SlotFactory(procedure=renewal))
    target = SlotFactory(
        procedure=renewal, starts_at=booking.slot.starts_at + timedelta(1)
    )
    now = timezone.now()
    held = services.hold_place(
        slot_id=target.pk,
        procedure=renewal,
        booking_id=booking.pk,
        client_ip="192.0.2.1",
        now=now,
    )
    later = now + timedelta(minutes=11)
    BookingFactory(slot=target)
    with pytest.raises(SlotFull):
        services.booking_move(
            booking_id=booking.pk, slot_id=target.pk, hold_token=held.token, now=later
        )
    assert not Hold.objects.exists()


# --- the cap per address --------------------------------------------------------------------


def test_holds_from_one_address_stop_at_the_cap_with_a_clear_message(renewal, settings):
    settings.BOOKING_HOLDS_PER_IP = 2
    slot = SlotFactory(procedure=renewal, capacity=10)
    people = [f"21{n:08d}" for n in range(3)]
    for numero in people:
        TitleRecordFactory(
            numero_etranger=numero, valid_until=date(2028, 3, 31), postal_code="45000"
        )
    clients = [Client(REMOTE_ADDR="203.0.113.5") for _ in people]
    for client, numero in zip(clients[:2], people[:2], strict=True):
        pass_identity(client, renewal, IDENTITY | {"numero_etranger": numero})
        response = client.post("/rendez-vous/creneaux/", {"slot": slot.pk})
        assert response["Location"] == "/rendez-vous/coordonnees/"
    pass_identity(clients[2], renewal, IDENTITY | {"numero_etranger": people[2]})
    response = clients[2].post("/rendez-vous/creneaux/", {"slot": slot.pk}, follow=True)
    assert "Trop de créneaux sont déjà réservés en ce moment" in html(response)
    assert Hold.objects.count() == 2
    # Another address is not concerned; the cap counts holds, not bookings.
    elsewhere = Client(REMOTE_ADDR="203.0.113.6")
    pass_identity(elsewhere, renewal, IDENTITY | {"numero_etranger": people[2]})
    elsewhere.post("/rendez-vous/creneaux/", {"slot": slot.pk})
    assert Hold.objects.count() == 3
    clients[0].post("/rendez-vous/coordonnees/", CONTACT)
    assert Booking.objects.count() == 1
    pass_identity(clients[2], renewal, IDENTITY | {"numero_etranger": people[2]})
    response = clients[2].post("/rendez-vous/creneaux/", {"slot": slot.pk})
    assert response["Location"] == "/rendez-vous/coordonnees/"


def test_the_address_is_kept_only_as_a_keyed_digest(slot):
    held = hold_for(slot, "2008006503", ip="203.0.113.5")
    assert "203.0.113.5" not in held.ip_digest and len(held.ip_digest) == 64
    assert hold_for(slot, "2008006504", ip="203.0.113.5").ip_digest == held.ip_digest


def test_expired_holds_do_not_count_towards_the_cap(renewal, settings):
    settings.BOOKING_HOLDS_PER_IP = 1
    slot = SlotFactory(procedure=renewal, capacity=5)
    now = timezone.now()
    hold_for(slot, "2100000001", now=now - timedelta(minutes=11))
    hold_for(slot, "2100000002", now=now)
    with pytest.raises(TooManyHolds):
        hold_for(slot, "2100000003", now=now)


def test_without_antibot_holds_are_not_capped(renewal, settings):
    settings.ANTIBOT = False
    settings.BOOKING_HOLDS_PER_IP = 1
    slot = SlotFactory(procedure=renewal, capacity=5)
    hold_for(slot, "2100000001")
    hold_for(slot, "2100000002")
    assert Hold.objects.count() == 2
