"""Managing an appointment from its signed link: second factor, cancel, move."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from booking.manage_links import manage_path
from booking.models import Booking
from tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking():
    return BookingFactory(numero_etranger="2008006503")


def unlock(client, booking) -> str:
    path = manage_path(booking)
    response = client.post(path, {"last_digits": "6503"})
    assert response.status_code == 302
    return path


def test_link_shows_nothing_before_the_second_factor(client, booking):
    page = client.get(manage_path(booking)).content.decode()
    assert "4 derniers chiffres" in page
    assert booking.reference not in page and "Diallo" not in page


def test_wrong_digits_are_refused_and_limited(client, booking):
    path = manage_path(booking)
    for _ in range(5):
        page = client.post(path, {"last_digits": "0000"}).content.decode()
        assert "ne correspondent pas" in page
    page = client.post(path, {"last_digits": "6503"}).content.decode()
    assert "Trop d’essais" in page


@pytest.mark.parametrize("token", ["x", "eyJiIjoxfQ:abc:def", "' OR 1=1 --"])
def test_forged_links_are_404(client, booking, token):
    assert client.get(f"/rendez-vous/gerer/{token}/").status_code == 404


def test_the_link_does_not_work_in_another_session_without_the_digits(client, booking):
    path = unlock(client, booking)
    assert booking.reference in client.get(path).content.decode()
    assert booking.reference not in Client().get(path).content.decode()


def test_cancel_needs_a_post_behind_a_confirmation_page(client, booking):
    path = unlock(client, booking)
    page = client.get(path + "annuler/").content.decode()
    assert "Annuler le rendez-vous ?" in page and 'method="post"' in page
    booking.refresh_from_db()
    assert (
        booking.status == Booking.Status.CONFIRMED
    )  # a GET (link scanner) changes nothing
    client.post(path + "annuler/")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_cancel_without_second_factor_is_refused(client, booking):
    response = client.post(manage_path(booking) + "annuler/")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_no_cancel_after_the_cutoff(client):
    soon = SlotFactory(starts_at=timezone.now() + timedelta(hours=5))
    booking = BookingFactory(numero_etranger="2008006503", slot=soon)
    path = unlock(client, booking)
    page = client.post(path + "annuler/", follow=True).content.decode()
    assert "trop tard" in page
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_move_keeps_the_reference_and_needs_confirmation(client, booking):
    target = SlotFactory(
        procedure=booking.procedure,
        starts_at=booking.slot.starts_at + timedelta(days=1),
    )
    path = unlock(client, booking)
    page = client.get(path + "deplacer/").content.decode()
    assert f'value="{target.pk}"' in page
    assert f'value="{booking.slot_id}"' not in page
    page = client.post(path + "deplacer/", {"slot": target.pk}).content.decode()
    assert "Confirmer le nouveau créneau ?" in page
    booking.refresh_from_db()
    assert booking.slot != target  # not yet
    client.post(path + "deplacer/", {"slot": target.pk, "confirm": "1"})
    moved = Booking.objects.get(pk=booking.pk)
    assert moved.slot == target and moved.reference == booking.reference


def test_move_to_a_slot_of_another_procedure_is_refused(client, booking):
    other = SlotFactory()
    path = unlock(client, booking)
    client.post(path + "deplacer/", {"slot": other.pk, "confirm": "1"})
    booking.refresh_from_db()
    assert booking.slot != other


def test_confirmation_email_links_to_the_manage_page(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    from tests.booking.test_views import CONTACT, hold
    from tests.factories import ProcedureFactory, TitleRecordFactory

    procedure = ProcedureFactory()
    slot = SlotFactory(procedure=procedure)
    TitleRecordFactory(numero_etranger="2008006503", valid_until="2028-03-31")
    hold(client, procedure, slot)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/rendez-vous/coordonnees/", CONTACT)
    body = mailoutbox[0].body
    link = re.search(r"http://127\.0\.0\.1:8000(/rendez-vous/gerer/\S+/)", body).group(
        1
    )
    assert client.get(link).status_code == 200
