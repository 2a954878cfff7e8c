"""What an applicant's browser does after the fact: a second tab that chose another
slot, Back or a second tap once booked, the confirmation reopened after a
cancellation, a move or a cancel page of an appointment no longer active."""

import pytest
from django.test import Client
from django.utils import timezone

from booking import services
from booking.models import Booking, OutgoingMessage
from booking.web import flow
from tests.booking.flow import CONTACT, IDENTITY, hold, pass_gate, unlock_manage
from tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db


def test_the_slot_confirmed_is_the_one_the_page_showed(client, renewal, title, slot):
    hold(client, renewal, slot)
    first_tab = client.get("/rendez-vous/coordonnees/").content.decode()
    assert f'name="slot" value="{slot.pk}"' in first_tab
    # The second tab goes back to the list and takes another slot.
    other = SlotFactory(procedure=renewal, starts_at=slot.starts_at.replace(hour=15))
    assert client.post("/rendez-vous/creneaux/", {"slot": other.pk}).status_code == 302

    stale = client.post("/rendez-vous/coordonnees/", CONTACT | {"slot": slot.pk})
    page = stale.content.decode()
    assert stale.status_code == 200 and not Booking.objects.exists()
    assert "a changé dans un autre onglet" in page
    assert f'name="slot" value="{other.pk}"' in page and CONTACT["last_name"] in page

    confirmed = client.post("/rendez-vous/coordonnees/", CONTACT | {"slot": other.pk})
    assert confirmed["Location"] == "/rendez-vous/confirme/"
    assert Booking.objects.get().slot == other


def test_back_or_a_second_tap_once_booked_shows_the_confirmation(
    client, renewal, title, slot
):
    hold(client, renewal, slot)
    assert client.post("/rendez-vous/coordonnees/", CONTACT).status_code == 302
    again = client.post("/rendez-vous/coordonnees/", CONTACT)
    assert again["Location"] == "/rendez-vous/confirme/"
    for step in ["/rendez-vous/coordonnees/", "/rendez-vous/creneaux/"]:
        assert client.get(step)["Location"] == "/rendez-vous/confirme/"
    assert Booking.objects.count() == 1
    page = client.get("/rendez-vous/confirme/", follow=True).content.decode()
    assert "Votre rendez-vous est confirmé" in page and "a expiré" not in page


def test_a_new_flow_never_leads_back_to_the_previous_booking(
    client, renewal, title, slot
):
    # Booked, then a relative's flow (or the next person at a shared computer)
    # from the same browser: when that flow breaks, it starts again; it never
    # lands on the first booking's confirmation.
    hold(client, renewal, slot)
    client.post("/rendez-vous/coordonnees/", CONTACT)
    reference = Booking.objects.get().reference
    pass_gate(client, renewal)
    session = client.session
    del session[flow.SESSION_KEY]  # the new flow lost (expired, another tab's reset)
    session.save()
    answer = client.post("/rendez-vous/coordonnees/", CONTACT)
    assert answer["Location"] == "/rendez-vous/"
    assert reference not in client.get("/rendez-vous/", follow=True).content.decode()
    assert client.get("/rendez-vous/confirme/").status_code == 404


def test_the_confirmation_reopened_after_a_cancellation_says_so(
    client, renewal, title, slot
):
    hold(client, renewal, slot)
    client.post("/rendez-vous/coordonnees/", CONTACT)
    booking = Booking.objects.get()
    services.booking_cancel(booking_id=booking.pk, now=timezone.now())

    page = client.get("/rendez-vous/confirme/").content.decode()
    assert "Ce rendez-vous a été annulé" in page and "est confirmé" not in page
    assert booking.reference in page
    assert client.get("/rendez-vous/confirme/rendez-vous.ics").status_code == 404
    english = client.get("/en/rendez-vous/confirme/").content.decode()
    assert "This appointment has been cancelled" in english


def test_moving_or_cancelling_an_appointment_no_longer_active_leads_to_its_page(
    client, renewal, title, slot
):
    hold(client, renewal, slot)
    client.post("/rendez-vous/coordonnees/", CONTACT)
    booking = Booking.objects.get()
    path = unlock_manage(client, booking)
    services.booking_cancel(booking_id=booking.pk, now=timezone.now())
    for action in ["deplacer/", "annuler/"]:
        assert client.get(path + action)["Location"] == path
        assert client.post(path + action, {"slot": slot.pk})["Location"] == path
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_already_booked_without_a_way_to_resend_the_link_says_whom_to_call(
    renewal, title
):
    # A booking with a foreign mobile and no e-mail: no SMS, no e-mail can carry
    # the link again. The page says where to call or go, never the appointment.
    booking = BookingFactory(
        numero_etranger=title.numero_etranger, procedure=renewal, mobile="+447911123456"
    )
    site = booking.slot.site
    site.phone, site.email = "02 38 81 40 00", "accueil@loiret.gouv.fr"
    site.save()
    browser = Client()
    pass_gate(browser, renewal)
    page = browser.post("/rendez-vous/identite/", IDENTITY).content.decode()
    assert "contactez l’accueil de la préfecture" in page.replace("&#x27;", "’")
    assert 'href="tel:0238814000"' in page and "accueil@loiret.gouv.fr" in page
    assert "reçu par SMS ou par courriel" not in page
    assert booking.reference not in page


@pytest.mark.parametrize("cap, sent", [(6, True), (0, False)])
def test_the_confirmation_says_the_link_went_by_sms_only_when_it_did(
    client, renewal, title, slot, settings, cap, sent
):
    # Someone booking for several relatives from one phone reaches the number's
    # daily cap: that SMS is refused, and the page must not send them looking for it.
    settings.SMS_PER_MOBILE_PER_DAY = cap
    hold(client, renewal, slot)
    client.post("/rendez-vous/coordonnees/", CONTACT | {"email": ""})
    page = client.get("/rendez-vous/confirme/").content.decode().replace("&#x27;", "’")
    assert ("utilisez le lien envoyé par SMS" in page) is sent
    assert ("Aucun SMS n’a pu être envoyé" in page) is not sent
    assert "Gérer mon rendez-vous" in page


@pytest.mark.parametrize(
    "statuses, sent",
    [(("refused", "sent"), True), (("sent", "refused"), False)],
)
def test_the_sms_the_confirmation_speaks_of_is_the_last_one(
    client, renewal, statuses, sent
):
    # Moved from the waiting list: the "moved" SMS is the one that carried the
    # link, whatever became of the first confirmation (refused on an earlier day).
    booking = BookingFactory(procedure=renewal, email="")
    kinds = [OutgoingMessage.Kind.BOOKING_CONFIRMED, OutgoingMessage.Kind.BOOKING_MOVED]
    for n, (kind, status) in enumerate(zip(kinds, statuses, strict=True)):
        OutgoingMessage.objects.create(
            idempotency_key=f"test:{n}",
            kind=kind,
            booking=booking,
            to=booking.mobile,
            body="…",
            send_after=timezone.now(),
            status=status,
        )
    session = client.session
    session["booked"] = booking.reference
    session.save()
    page = client.get("/rendez-vous/confirme/").content.decode().replace("&#x27;", "’")
    assert ("utilisez le lien envoyé par SMS" in page) is sent
    assert ("Aucun SMS n’a pu être envoyé" in page) is not sent
