"""Managing an appointment from its link: the one-time code, cancel, move."""

import re
from datetime import UTC, timedelta

import pytest
from django.template.defaultfilters import date as date_filter
from django.test import Client
from django.utils import timezone, translation

from booking import services
from booking.manage_links import manage_path
from booking.models import Booking, BookingEvent, Hold, OutgoingMessage, WaitingMode
from booking.selectors import free_places
from booking.sms import locmem
from tests.booking.flow import CONTACT, hold
from tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking():
    return BookingFactory(numero_etranger="2008006503")


def trail(booking) -> tuple[list[tuple[str, str, dict]], list[str]]:
    """What a change leaves behind: the booking's audit events and its SMS (the
    one-time codes asked to get in aside)."""
    events = booking.events.values_list("kind", "actor", "detail")
    kinds = booking.messages.exclude(kind=OutgoingMessage.Kind.BOOKING_MANAGE_CODE)
    return list(events), list(kinds.values_list("kind", flat=True))


def code_sent(client, path, capture) -> str:
    """Asks for the one-time code and reads it from the SMS the provider got."""
    with capture(execute=True):
        page = client.post(path, {"send": "1"}).content.decode()
    assert "vient d’être envoyé par SMS au 06 •• •• •• 78" in page
    return re.search(r"code (\d{6}) ", locmem.outbox[-1].body).group(1)


@pytest.fixture
def unlock(django_capture_on_commit_callbacks):
    def unlock(client, booking) -> str:
        path = manage_path(booking)
        code = code_sent(client, path, django_capture_on_commit_callbacks)
        response = client.post(path, {"code": code})
        assert response.status_code == 302
        return path

    return unlock


def test_link_shows_nothing_before_the_second_factor(client, booking):
    page = client.get(manage_path(booking)).content.decode()
    assert "code à 6 chiffres" in page and "06 •• •• •• 78" in page
    assert booking.reference not in page and "Diallo" not in page
    assert not booking.messages.exists()  # a GET (link scanner) sends no code


def test_wrong_codes_are_refused_and_limited(
    client, booking, django_capture_on_commit_callbacks
):
    path = manage_path(booking)
    code = code_sent(client, path, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        page = client.post(path, {"code": wrong}).content.decode()
        assert "n’est pas le bon" in page
    page = client.post(path, {"code": code}).content.decode()
    assert "Trop d’essais" in page


@pytest.mark.parametrize("token", ["x", "eyJiIjoxfQ:abc:def", "' OR 1=1 --"])
def test_forged_links_are_404(client, booking, token):
    assert client.get(f"/rendez-vous/gerer/{token}/").status_code == 404


def test_the_link_does_not_work_in_another_session_without_the_code(
    client, booking, unlock
):
    path = unlock(client, booking)
    assert booking.reference in client.get(path).content.decode()
    assert booking.reference not in Client().get(path).content.decode()


def test_cancel_needs_a_post_behind_a_confirmation_page(client, booking, unlock):
    path = unlock(client, booking)
    page = client.get(path + "annuler/").content.decode()
    assert "Annuler le rendez-vous ?" in page and 'method="post"' in page
    booking.refresh_from_db()
    assert (
        booking.status == Booking.Status.CONFIRMED
    )  # a GET (link scanner) changes nothing
    assert trail(booking) == ([], [])
    page = client.post(path + "annuler/", follow=True).content.decode()
    assert "Votre rendez-vous est annulé." in page
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert free_places(booking.slot, now=timezone.now()) == 1  # the place is free
    assert trail(booking) == (
        [(BookingEvent.Kind.CANCELLED, "usager", {})],
        [OutgoingMessage.Kind.BOOKING_CANCELLED],
    )


def test_cancel_without_second_factor_is_refused(client, booking):
    response = client.post(manage_path(booking) + "annuler/")
    assert response.status_code == 302
    assert response["Location"] == manage_path(booking)  # back to the second factor
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert trail(booking) == ([], [])


def test_no_cancel_after_the_cutoff(client, unlock):
    soon = SlotFactory(starts_at=timezone.now() + timedelta(hours=5))
    booking = BookingFactory(numero_etranger="2008006503", slot=soon)
    path = unlock(client, booking)
    page = client.post(path + "annuler/", follow=True).content.decode()
    assert "trop tard" in page
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert trail(booking) == ([], [])


def test_too_late_to_change_online_the_page_says_whom_to_tell(client, unlock):
    """Issue 16, item 2: no "Déplacer"/"Annuler" that only refuse two screens
    later; the front desk's phone, e-mail and address instead."""
    soon = SlotFactory(starts_at=timezone.now() + timedelta(hours=5))
    soon.site.phone, soon.site.email = "02 38 00 00 00", "accueil@example.fr"
    soon.site.save()
    booking = BookingFactory(numero_etranger="2008006503", slot=soon)
    page = client.get(unlock(client, booking)).content.decode()
    assert "Ce rendez-vous ne peut plus être changé en ligne" in page
    assert "Déplacer le rendez-vous" not in page
    assert "Annuler le rendez-vous" not in page
    assert 'href="tel:0238000000"' in page and "accueil@example.fr" in page
    assert soon.site.name in page


def test_a_cancelled_appointment_offers_a_new_one_and_no_documents(
    client, booking, unlock
):
    """Issue 16, item 3: the cancelled page listed the documents to bring and
    offered no way on."""
    booking.procedure.instructions_fr = "Apportez votre passeport."
    booking.procedure.save()
    path = unlock(client, booking)
    assert "Documents à apporter" in client.get(path).content.decode()
    page = client.post(path + "annuler/", follow=True).content.decode()
    assert "Prendre un nouveau rendez-vous" in page and 'href="/rendez-vous/"' in page
    assert "Documents à apporter" not in page
    assert "Déplacer le rendez-vous" not in page


def test_move_keeps_the_reference_and_needs_confirmation(client, booking, unlock):
    old = booking.slot
    target = SlotFactory(
        procedure=booking.procedure,
        starts_at=old.starts_at + timedelta(days=1, hours=2),
    )
    path = unlock(client, booking)
    page = client.get(path + "deplacer/").content.decode()
    # The appointment being moved is shown (issue 16, item 9).
    assert "Votre rendez-vous actuel" in page and booking.reference in page
    assert f'value="{target.pk}"' in page
    assert f'value="{booking.slot_id}"' not in page
    page = client.post(path + "deplacer/", {"slot": target.pk}).content.decode()
    assert "Confirmer le nouveau créneau ?" in page
    booking.refresh_from_db()
    assert booking.slot == old  # not yet: the new place is only held
    assert free_places(target, now=timezone.now()) == 0
    assert trail(booking) == ([], [])
    page = client.post(
        path + "deplacer/", {"slot": target.pk, "confirm": "1"}, follow=True
    ).content.decode()
    assert "Votre rendez-vous est déplacé." in page
    moved = Booking.objects.get()
    assert moved.slot == target and moved.reference == booking.reference
    assert moved.status == Booking.Status.CONFIRMED
    now = timezone.now()
    assert (free_places(old, now=now), free_places(target, now=now)) == (1, 0)
    assert not Hold.objects.exists()  # the hold became the booking
    client.post(path + "deplacer/", {"slot": target.pk, "confirm": "1"})  # twice
    assert trail(booking) == (
        [(BookingEvent.Kind.MOVED, "usager", {"from": old.pk, "to": target.pk})],
        [OutgoingMessage.Kind.BOOKING_MOVED],
    )
    new_time = timezone.localtime(target.starts_at)  # Europe/Paris
    sms = OutgoingMessage.objects.get(kind=OutgoingMessage.Kind.BOOKING_MOVED)
    assert f"RDV déplacé au {new_time:%d/%m} à {new_time:%H:%M}" in sms.body
    assert booking.reference in sms.body
    with translation.override("fr"):
        new_day = date_filter(new_time, "j F Y")
        old_day = date_filter(timezone.localtime(old.starts_at), "j F Y")
    page = client.get(path).content.decode()
    assert f"{new_day}, {new_time:%H:%M}" in page and old_day not in page


def test_move_to_a_slot_of_another_procedure_is_refused(client, booking, unlock):
    old = booking.slot
    other = SlotFactory()
    path = unlock(client, booking)
    response = client.post(path + "deplacer/", {"slot": other.pk, "confirm": "1"})
    assert "Ce créneau vient d’être pris" in response.content.decode()
    booking.refresh_from_db()
    assert booking.slot == old
    assert free_places(other, now=timezone.now()) == 1
    assert trail(booking) == ([], [])


@pytest.mark.parametrize("confirm", ["", "1"])
def test_a_move_to_its_own_slot_says_nothing_changes(client, booking, unlock, confirm):
    """Found by the applicant's walk: a forged choice of the current slot answered
    "Nouveau créneau", then "Votre rendez-vous est déplacé"."""
    path = unlock(client, booking)
    response = client.post(
        path + "deplacer/", {"slot": booking.slot_id, "confirm": confirm}, follow=True
    )
    page = response.content.decode()
    assert "C’est déjà le créneau de votre rendez-vous : rien ne change." in page
    assert "déplacé" not in page
    assert not booking.slot.holds.exists()
    assert trail(booking) == ([], [])


def test_confirmation_email_links_to_the_manage_page(
    client, renewal, slot, title, django_capture_on_commit_callbacks, mailoutbox
):
    hold(client, renewal, slot)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/rendez-vous/coordonnees/", CONTACT)
    body = mailoutbox[0].body
    link = re.search(r"http://127\.0\.0\.1:8000(/rendez-vous/gerer/\S+/)", body).group(
        1
    )
    assert client.get(link).status_code == 200


def test_slots_inside_the_cutoff_say_so_where_they_are_chosen(client, unlock):
    """Issue 16, item 2: a slot less than 24 hours away was offered without saying
    that it could not be changed online afterwards."""
    booking = BookingFactory(
        numero_etranger="2008006503",
        slot=SlotFactory(starts_at=timezone.now() + timedelta(days=5)),
    )
    booking.procedure.min_notice_hours = 0
    booking.procedure.save()
    soon = SlotFactory(
        procedure=booking.procedure, starts_at=timezone.now() + timedelta(hours=6)
    )
    later = SlotFactory(
        procedure=booking.procedure, starts_at=timezone.now() + timedelta(days=3)
    )
    move = unlock(client, booking) + "deplacer/"
    page = client.get(move).content.decode()
    later_day = timezone.localtime(later.starts_at).date().isoformat()
    later_page = client.get(move, {"du": later_day}).content.decode()
    fixed = "moins de 24 heures : ne pourra être ni déplacé ni annulé en ligne"
    soon_label = page.split(f'for="slot-{soon.pk}"', 1)[1].split("</label>", 1)[0]
    later_label = later_page.split(f'for="slot-{later.pk}"', 1)[1]
    later_label = later_label.split("</label>", 1)[0]
    assert fixed in soon_label and fixed not in later_label


def test_after_a_move_the_manage_page_gives_the_new_ics(client, booking, unlock):
    """Issue 16, item 9: no new .ics after a move. The manage page's file is the
    same event (UID) with a higher SEQUENCE, so the calendar updates it."""
    path = unlock(client, booking)
    assert client.get(f"{path}rendez-vous.ics").status_code == 200
    target = SlotFactory(
        procedure=booking.procedure,
        starts_at=booking.slot.starts_at + timedelta(days=1),
    )
    client.post(path + "deplacer/", {"slot": target.pk})
    client.post(path + "deplacer/", {"slot": target.pk, "confirm": "1"})
    page = client.get(path).content.decode()
    assert f'href="{path}rendez-vous.ics"' in page
    ics = client.get(f"{path}rendez-vous.ics").content.decode()
    stamp = target.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{stamp}" in ics  # the new time
    assert f"UID:{booking.reference}@" in ics and "SEQUENCE:1" in ics
    # Only behind the second factor.
    assert Client().get(f"{path}rendez-vous.ics").status_code == 302


def test_a_move_tells_by_e_mail_too_when_an_address_was_given(client, unlock):
    """Issue 16, item 9: after a move only the SMS went (none to a foreign mobile)."""
    from booking.services.emails import booking_email_render

    booking = BookingFactory(numero_etranger="2008006503", email="awa@example.org")
    target = SlotFactory(
        procedure=booking.procedure,
        starts_at=booking.slot.starts_at + timedelta(days=1),
    )
    path = unlock(client, booking)
    client.post(path + "deplacer/", {"slot": target.pk})
    client.post(path + "deplacer/", {"slot": target.pk, "confirm": "1"})
    email = booking.messages.get(kind=OutgoingMessage.Kind.BOOKING_MOVED_EMAIL)
    assert email.to == "awa@example.org"
    booking.refresh_from_db()
    subject, body = booking_email_render(booking=booking, kind=email.kind)
    assert booking.reference in subject and "déplacé" in subject
    day = date_filter(timezone.localtime(target.starts_at), "l j F Y")
    assert day in body and "/rendez-vous/gerer/" in body
    assert booking.messages.filter(kind=OutgoingMessage.Kind.BOOKING_MOVED).count() == 1


def test_a_list_only_demarche_offers_no_move_to_a_page_without_slots(
    client, booking, unlock
):
    """Found by the applicant's walk: "Déplacer le rendez-vous" led to a page that
    never has a slot (every place goes through the waiting list)."""
    services.procedure_waiting_mode_set(
        procedure_id=booking.procedure_id, mode=WaitingMode.LIST, now=timezone.now()
    )
    path = unlock(client, booking)
    page = client.get(path).content.decode()
    assert "Déplacer le rendez-vous" not in page and "déplacer" not in page
    assert "Me proposer une date plus proche" in page
    response = client.get(path + "deplacer/")
    assert response.status_code == 302 and response["Location"] == path
