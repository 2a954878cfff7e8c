"""The waiting list's public pages over HTTP: joining from the slot step, the status
page behind its one-time code, an offer's page (accept, decline, too late), asking
for an earlier place from the manage page, and bad or hostile input."""

import html
import re
from datetime import date, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from booking import services
from booking.models import (
    Booking,
    OutgoingMessage,
    WaitingMode,
    WaitingOffer,
    WaitingRequest,
)
from booking.waiting_links import offer_path, status_path
from tests.booking.flow import (
    CONTACT,
    IDENTITY,
    pass_identity,
    solved_proof,
    unlock_manage,
)
from tests.factories import (
    BookingFactory,
    SiteFactory,
    SlotFactory,
    WaitingRequestFactory,
)

pytestmark = pytest.mark.django_db

NUMERO = "2008006503"  # IDENTITY's numéro, as the register holds it
JOIN = "/rendez-vous/liste-attente/"


@pytest.fixture(autouse=True)
def no_quiet_hours(settings):
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL


@pytest.fixture
def site():
    return SiteFactory(name="Orléans")


def preferences(*sites, unavailable=()) -> dict:
    return {"sites": [s.pk for s in sites], "unavailable": list(unavailable)}


def at_join_page(client, procedure):
    """The applicant past the gate and the register check, on the join page."""
    pass_identity(client, procedure)
    return client.get(JOIN)


def joined(procedure, site, numero=NUMERO, **kwargs) -> WaitingRequest:
    """A request on the list, as the join page makes it (the service, no page)."""
    return services.waiting_join(
        procedure=procedure,
        applicant=services.Applicant(
            numero_etranger=numero,
            last_name="Diallo",
            first_name="Awa",
            mobile=kwargs.pop("mobile", "+33612345678"),
        ),
        title_valid_until=kwargs.pop("title_valid_until", date(2028, 3, 31)),
        site_ids=[site.pk],
        unavailable=0,
        now=timezone.now(),
        **kwargs,
    )


def code_from_sms(request: WaitingRequest) -> str:
    body = (
        request.messages.filter(kind=OutgoingMessage.Kind.WAITING_CODE)
        .latest("pk")
        .body
    )
    return re.search(r"code (\d{6}) ", body).group(1)


def unlock_status(client, request: WaitingRequest) -> str:
    """Opens the status page as its holder does: asks for the code, types it."""
    path = status_path(request)
    assert client.post(path, {"send": "1"}).status_code == 200
    assert client.post(path, {"code": code_from_sms(request)}).status_code == 302
    return path


def offered(procedure, site, request=None) -> WaitingOffer:
    """A free place offered to the list by the allocator; the offer made."""
    SlotFactory(procedure=procedure, site=site)
    assert services.offers_make(procedure_id=procedure.pk, now=timezone.now()) == 1
    return WaitingOffer.objects.get(**({"request": request} if request else {}))


def offer_link(offer: WaitingOffer) -> str:
    """The path of the link in the offer's SMS (its host is PUBLIC_BASE_URL)."""
    body = OutgoingMessage.objects.get(
        kind=OutgoingMessage.Kind.WAITING_OFFER, waiting_request=offer.request
    ).body
    return re.search(r"https?://[^/\s]+(/o/[^\s]+/)", body).group(1)


# --- joining -----------------------------------------------------------------------


def test_an_empty_slot_list_offers_to_join_and_joining_shows_the_position(
    client, renewal, title, site
):
    WaitingRequestFactory(
        procedure=renewal, sites=[site], title_valid_until=date(2026, 12, 1)
    )
    pass_identity(client, renewal)
    page = client.get("/rendez-vous/creneaux/").content.decode()
    assert "Aucun créneau n’est disponible" in page
    assert f'href="{JOIN}"' in page and "M'inscrire sur la liste d'attente" in page

    form = client.get(JOIN).content.decode()
    assert re.search(rf'value="{site.pk}"[^>]*checked', form)  # ticked by default
    assert "lundi matin" in form and "vendredi après-midi" in form
    for label in ("Nom", "Prénom", "Téléphone portable"):  # as at the details step
        assert re.search(rf"<label[^>]*>\s*{label}<", form)
    assert re.search(r"<label[^>]*>\s*Adresse électronique \(facultatif\)\s", form)
    assert "<legend" in form  # the checkbox groups are fieldsets

    response = client.post(
        JOIN, {**preferences(site, unavailable=["mon-am"]), **CONTACT}
    )
    assert response.status_code == 302
    assert response["Location"] == "/rendez-vous/liste-attente/inscrit/"
    request = WaitingRequest.objects.get(numero_etranger=NUMERO)
    assert request.status == WaitingRequest.Status.WAITING
    assert request.title_valid_until == date(2028, 3, 31)  # from the register
    assert request.unavailable_half_days == 1  # "mon-am"
    assert list(request.sites.all()) == [site]
    assert (request.mobile, request.email) == ("+33612345678", "awa@example.org")
    assert request.messages.filter(kind=OutgoingMessage.Kind.WAITING_JOINED).exists()

    page = client.get(response["Location"]).content.decode()
    assert "Vous êtes inscrit(e) sur la liste d'attente" in page
    # The other request's title expires earlier: it comes first.
    assert re.search(r"Votre position</dt>\s*<dd[^>]*>2<", page)
    assert re.search(r"en attente pour cette démarche</dt>\s*<dd>2<", page)
    assert "06 •• •• •• 78" in page and "a•••@example.org" in page
    assert status_path(request) in page
    assert "ordre d'urgence" in page
    assert client.get("/rendez-vous/creneaux/").status_code == 302  # the flow is over


def test_free_slots_in_direct_mode_show_no_join_button(client, renewal, title, slot):
    pass_identity(client, renewal)
    page = client.get("/rendez-vous/creneaux/").content.decode()
    assert 'name="slot"' in page
    assert "M'inscrire sur la liste d'attente" not in page
    # Nor does the join page take anyone while a place is shown (found by the
    # applicant's walk: an offer then kept the free place a day).
    for response in (
        client.get(JOIN),
        client.post(JOIN, {**preferences(slot.site), **CONTACT}),
    ):
        assert response.status_code == 302
        assert response["Location"] == "/rendez-vous/creneaux/"
    assert not WaitingRequest.objects.exists()


def test_liste_mode_shows_no_slot_and_offers_to_join(client, renewal, title, slot):
    services.procedure_waiting_mode_set(
        procedure_id=renewal.pk, mode=WaitingMode.LIST, now=timezone.now()
    )
    pass_identity(client, renewal)
    page = client.get("/rendez-vous/creneaux/").content.decode()
    assert 'name="slot"' not in page and "Aucun créneau n’est disponible" not in page
    assert "proposées par SMS" in page and "ordre d'urgence" in page
    assert f'href="{JOIN}"' in page
    # The place is not for self-service either.
    client.post("/rendez-vous/creneaux/", {"slot": slot.pk})
    assert not slot.holds.exists()


def test_preferences_that_leave_no_place_are_refused(client, renewal, title, site):
    at_join_page(client, renewal)
    page = client.post(JOIN, {**preferences(), **CONTACT}).content.decode()
    assert "Cochez au moins un lieu" in page
    every_half_day = ["mon-am", "mon-pm", "tue-am", "tue-pm", "wed-am", "wed-pm"]
    every_half_day += ["thu-am", "thu-pm", "fri-am", "fri-pm"]
    page = client.post(
        JOIN, {**preferences(site, unavailable=every_half_day), **CONTACT}
    ).content.decode()
    assert "exclure toutes les demi-journées" in page
    assert 'value="Diallo"' in page  # what was typed is kept
    assert not WaitingRequest.objects.exists()


def test_odd_values_are_form_errors(client, renewal, title, site):
    at_join_page(client, renewal)
    response = client.post(
        JOIN,
        {
            "sites": ["abc", "9" * 40, str(site.pk)],
            "unavailable": ["sun-am", "x" * 5000],
            **CONTACT,
            "mobile": "0" * 5000,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choisissez les lieux dans la liste" in page
    assert "Choisissez les demi-journées dans la liste" in page
    assert not WaitingRequest.objects.exists()


def test_a_numero_already_waiting_is_given_its_status_link(
    client, renewal, title, site
):
    request = joined(renewal, site)
    pass_identity(client, renewal)
    page = client.get("/rendez-vous/creneaux/").content.decode()
    assert "déjà inscrit(e) sur la liste d'attente" in page
    assert status_path(request) in page and f'href="{JOIN}"' not in page
    page = client.get(JOIN).content.decode()
    assert "Vous êtes déjà sur la liste d'attente" in page
    assert status_path(request) in page
    assert "Diallo" not in page  # the link still asks for the code
    response = client.post(JOIN, {**preferences(site), **CONTACT})
    assert "Vous êtes déjà sur la liste d'attente" in response.content.decode()
    assert WaitingRequest.objects.count() == 1


def test_a_request_off_the_list_gives_no_status_link_on_the_slot_page(
    client, renewal, title, site
):
    request = joined(renewal, site)
    WaitingRequest.objects.filter(pk=request.pk).update(
        status=WaitingRequest.Status.WITHDRAWN
    )
    pass_identity(client, renewal)
    page = client.get("/rendez-vous/creneaux/").content.decode()
    assert status_path(request) not in page
    assert f'href="{JOIN}"' in page  # may join again


def test_a_booking_made_meanwhile_is_told_as_already_booked(
    client, renewal, title, site
):
    at_join_page(client, renewal)
    BookingFactory(numero_etranger=NUMERO, slot__procedure=renewal)
    page = client.post(JOIN, {**preferences(site), **CONTACT}).content.decode()
    assert "Vous avez déjà un rendez-vous" in page
    assert not WaitingRequest.objects.exists()


def test_the_join_page_needs_the_register_check(client, renewal, title, site):
    response = client.get(JOIN)
    assert response.status_code == 302 and response["Location"] == "/rendez-vous/"
    client.post("/rendez-vous/", {"situation": "titre_sejour", "procedure": renewal.pk})
    client.post("/rendez-vous/identite/", {**IDENTITY, "postal_code": "75001"})
    response = client.post(JOIN, {**preferences(site), **CONTACT})
    assert response.status_code == 302 and response["Location"] == "/rendez-vous/"
    assert not WaitingRequest.objects.exists()


def test_a_bot_is_refused_as_at_the_details_step(
    client, renewal, title, site, settings
):
    settings.BOOKING_CONFIRM_LIMITS = {"session": 100, "ip": 100, "no_proof_ip": 2}
    page = at_join_page(client, renewal).content.decode()
    assert "<altcha-widget" in page and "challengejson=" in page
    data = {**preferences(site), **CONTACT}
    honeypot = client.post(JOIN, {**data, "website": "http://spam.example"})
    assert "n’a pas pu être traitée" in honeypot.content.decode()
    forged = client.post(JOIN, {**data, "proof": "eyJ4IjogMX0="})
    assert "vérification anti-robot a échoué" in forged.content.decode()
    client.post(JOIN, {**data, "mobile": "12"})  # the second try without a proof
    refused = client.post(JOIN, data)
    assert "Trop de demandes" in refused.content.decode()
    assert not WaitingRequest.objects.exists()
    # A person whose browser solved the puzzle still joins.
    person = Client()
    page = at_join_page(person, renewal).content.decode()
    response = person.post(JOIN, {**data, "proof": solved_proof(page)})
    assert response.status_code == 302
    assert WaitingRequest.objects.count() == 1


# --- the status page ---------------------------------------------------------------


def test_the_status_page_needs_the_code_then_shows_the_position(client, renewal, site):
    WaitingRequestFactory(
        procedure=renewal, sites=[site], title_valid_until=date(2026, 12, 1)
    )
    request = joined(renewal, site)
    path = status_path(request)
    page = client.get(path).content.decode()
    assert "code à 6 chiffres" in page and "06 •• •• •• 78" in page
    assert "Diallo" not in page and "Votre position" not in page
    assert not request.messages.filter(kind=OutgoingMessage.Kind.WAITING_CODE).exists()

    assert client.post(path, {"send": "1"}).status_code == 200
    code = code_from_sms(request)
    wrong = client.post(path, {"code": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert "pas le bon" in wrong.content.decode()
    assert client.post(path, {"code": code}).status_code == 302
    page = client.get(path).content.decode()
    assert re.search(r"Votre position</dt>\s*<dd[^>]*>2<", page)
    assert "En attente d'une place" in page and "Orléans" in page
    assert "Me retirer de la liste" in page

    # Another session, the link alone: the code again.
    assert "Votre position" not in Client().get(path).content.decode()


def test_withdrawing_needs_a_post_behind_a_confirmation_page(client, renewal, site):
    request = joined(renewal, site)
    path = unlock_status(client, request)
    confirm = client.get(f"{path}retirer/")
    assert "Oui, me retirer de la liste" in confirm.content.decode()
    request.refresh_from_db()
    assert request.status == WaitingRequest.Status.WAITING
    response = client.post(f"{path}retirer/")
    assert response.status_code == 302 and response["Location"] == path
    request.refresh_from_db()
    assert request.status == WaitingRequest.Status.WITHDRAWN
    page = html.unescape(client.get(path).content.decode())
    assert "Vous n'êtes plus sur la liste d'attente" in page
    assert "n'est plus sur la liste d'attente" in page and "/rendez-vous/" in page


def test_withdrawing_without_the_code_changes_nothing(client, renewal, site):
    request = joined(renewal, site)
    response = client.post(f"{status_path(request)}retirer/")
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == WaitingRequest.Status.WAITING


def test_a_request_off_the_list_shows_the_next_step_and_nothing_else(
    client, renewal, site
):
    request = joined(renewal, site)
    services.waiting_withdraw(request_id=request.pk, now=timezone.now())
    response = client.get(status_path(request))
    page = response.content.decode()
    assert response.status_code == 200
    assert "n'est plus sur la liste d'attente" in page
    assert "Prendre rendez-vous" in page and "Diallo" not in page
    assert 'name="send"' not in page


def test_the_status_page_shows_the_open_offer(client, renewal, site):
    request = joined(renewal, site)
    offer = offered(renewal, site)
    page = client.get(unlock_status(client, request)).content.decode()
    assert "Une place vous est proposée" in page
    assert offer_path(offer) in page


# --- an offer ----------------------------------------------------------------------


def test_accepting_the_offer_from_its_sms_link_books_it(client, renewal, site):
    request = joined(renewal, site)
    offer = offered(renewal, site)
    response = client.get(offer_link(offer))
    assert response.status_code == 302 and response["Location"] == offer_path(offer)
    page = client.get(response["Location"]).content.decode()
    assert "Une place vous est proposée" in page and "Orléans" in page
    assert "181 rue de Bourgogne" in page and renewal.name_fr in page
    local = timezone.localtime(offer.slot.starts_at)
    assert local.strftime("%H:%M") in page  # Paris time
    assert "Accepter" in page and "Refuser cette place" in page
    assert "Diallo" not in page and NUMERO not in page  # no second factor here
    offer.refresh_from_db()
    assert offer.status == WaitingOffer.Status.OPEN  # a GET changes nothing

    response = client.post(offer_path(offer), {"answer": "accept"})
    assert (
        response.status_code == 302 and response["Location"] == "/rendez-vous/confirme/"
    )
    booking = Booking.objects.get()
    assert booking.slot == offer.slot and booking.numero_etranger == NUMERO
    page = client.get(response["Location"]).content.decode()
    assert "Référence" in page and booking.reference in page
    assert "Votre rendez-vous est confirmé" in page
    request.refresh_from_db()
    assert request.status == WaitingRequest.Status.BOOKED
    # The link again: accepted, nothing more (and no reference without the code).
    page = Client().get(offer_path(offer)).content.decode()
    assert "Vous avez accepté cette place" in page and booking.reference not in page


def test_declining_asks_to_confirm_then_gives_the_place_to_the_next(
    client, renewal, site
):
    request = joined(renewal, site)
    offer = offered(renewal, site)
    path = offer_path(offer)
    page = client.post(path, {"answer": "decline"}).content.decode()
    assert "Oui, refuser cette place" in page
    offer.refresh_from_db()
    assert offer.status == WaitingOffer.Status.OPEN
    response = client.post(path, {"answer": "decline", "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == path
    offer.refresh_from_db()
    request.refresh_from_db()
    assert offer.status == WaitingOffer.Status.DECLINED
    assert request.status == WaitingRequest.Status.WAITING
    page = client.get(path).content.decode()
    assert "Vous avez refusé cette place" in page
    assert "Vous restez sur la liste d'attente" in page
    assert client.post(path, {"answer": "accept"}).status_code == 200
    assert not Booking.objects.exists()


def test_the_last_decline_says_the_person_leaves_the_list(
    client, renewal, site, settings
):
    settings.WAITING_MAX_MISSED = 1
    joined(renewal, site)
    offer = offered(renewal, site)
    page = client.post(offer_path(offer), {"answer": "decline"}).content.decode()
    assert "dernière place" in page
    client.post(offer_path(offer), {"answer": "decline", "confirm": "1"})
    page = client.get(offer_path(offer)).content.decode()
    assert "vous avez quitté la liste d'attente" in page
    assert "Prendre rendez-vous" in page


def test_an_offer_past_its_deadline_cannot_be_accepted(client, renewal, site):
    joined(renewal, site)
    offer = offered(renewal, site)
    past = timezone.now() - timedelta(seconds=1)
    WaitingOffer.objects.filter(pk=offer.pk).update(
        offered_at=past - timedelta(hours=24), expires_at=past
    )
    page = client.get(offer_path(offer)).content.decode()
    assert "Le délai pour répondre est dépassé" in page
    assert "Accepter" not in page
    page = client.post(offer_path(offer), {"answer": "accept"}).content.decode()
    assert "Le délai pour répondre est dépassé" in page
    assert not Booking.objects.exists()
    services.offers_expire(now=timezone.now())
    page = client.get(offer_path(offer)).content.decode()
    assert "délai pour répondre est dépassé" in page
    assert "Vous restez sur la liste d'attente" in page


@pytest.mark.parametrize(
    "path",
    [
        "/rendez-vous/offre/{forged}/",
        "/rendez-vous/liste/{forged}/",
        "/o/{forged}/",
        "/la/{forged}/",
        "/rendez-vous/offre/{long}/",
        "/rendez-vous/liste/%27%3B--/",
    ],
)
def test_forged_links_are_refused(client, renewal, site, path):
    joined(renewal, site)
    offered(renewal, site)
    response = client.get(path.format(forged="A" * 22, long="B" * 5000))
    assert response.status_code == 404
    assert "Lien non valable" in response.content.decode()
    assert client.post(
        path.format(forged="A" * 22, long="B" * 5000), {"answer": "accept"}
    ).status_code in (404, 405)
    assert not Booking.objects.exists()


def test_offer_lookups_are_limited(client, renewal, site, settings):
    settings.BOOKING_LINK_LOOKUP_LIMITS = {"ip": 100, "failed_ip": 2}
    joined(renewal, site)
    offer = offered(renewal, site)
    for _ in range(2):
        client.get("/rendez-vous/offre/" + "C" * 22 + "/")
    response = client.get(offer_path(offer))
    assert response.status_code == 429
    assert "Trop de demandes" in response.content.decode()


# --- an earlier place, from the manage page ----------------------------------------


def test_an_earlier_place_asked_from_the_manage_page_moves_the_booking(
    client, renewal, site, title
):
    later = SlotFactory(
        procedure=renewal, site=site, starts_at=timezone.now() + timedelta(days=20)
    )
    booking = BookingFactory(slot=later, numero_etranger=NUMERO)
    manage = unlock_manage(client, booking)
    page = client.get(manage).content.decode()
    assert "Me proposer une date plus proche" in page
    form = client.get(f"{manage}plus-tot/").content.decode()
    assert "lundi matin" in form and "Orléans" in form
    response = client.post(f"{manage}plus-tot/", preferences(site))
    assert response.status_code == 302 and response["Location"] == manage
    request = WaitingRequest.objects.get()
    assert request.wants_earlier and request.booking == booking
    assert request.title_valid_until == date(2028, 3, 31)
    assert (request.mobile, request.last_name) == (booking.mobile, booking.last_name)
    page = client.get(manage).content.decode()
    assert "Vous attendez une date plus proche" in page
    assert status_path(request) in page
    assert "position 1" in page
    # Asked once: the form is not offered again.
    assert client.get(f"{manage}plus-tot/").status_code == 302

    offer = offered(renewal, site, request=request)
    # The manage page links the offer itself (its SMS may wait for 08:00).
    page = client.get(manage).content.decode()
    assert "Une place plus proche vous est proposée." in page
    assert f'href="{offer_path(offer)}"' in page
    page = client.get(offer_path(offer)).content.decode()
    assert "Accepter et avancer mon rendez-vous" in page
    response = client.post(offer_path(offer), {"answer": "accept"})
    assert response["Location"] == "/rendez-vous/confirme/"
    page = client.get(response["Location"]).content.decode()
    assert "Votre rendez-vous est avancé" in page and booking.reference in page
    booking.refresh_from_db()
    assert booking.slot == offer.slot and Booking.objects.count() == 1


def test_the_earlier_page_needs_the_manage_code(client, renewal, site):
    booking = BookingFactory(slot__procedure=renewal, numero_etranger=NUMERO)
    from booking.manage_links import manage_path

    response = client.post(f"{manage_path(booking)}plus-tot/", preferences(site))
    assert response.status_code == 302
    assert not WaitingRequest.objects.exists()


@pytest.mark.parametrize(
    "value", ["\x00", "x" * 100_000, "' OR 1=1 --", "🙂🇫🇷", "-1", "1e309", "９９"]
)
def test_no_field_of_the_waiting_pages_answers_500(client, renewal, title, site, value):
    refused = "\x00" in value  # a control character: refused at the edge
    at_join_page(client, renewal)
    for field in ("sites", "unavailable", *CONTACT):
        data = {**preferences(site), **CONTACT, field: value}
        status = client.post(JOIN, data).status_code
        assert status == 400 if refused else status == 200
    assert not WaitingRequest.objects.exists()
    request = joined(renewal, site, numero="4700000009")
    offer = offered(renewal, site)
    for data in ({"send": value}, {"code": value}):
        status = client.post(status_path(request), data).status_code
        assert status == 400 if refused else status == 200
    for data in ({"answer": value}, {"answer": "decline", "confirm": value}):
        status = client.post(offer_path(offer), data).status_code
        assert status == 400 if refused else status == 200
    offer.refresh_from_db()
    assert offer.status == WaitingOffer.Status.OPEN


def test_a_refused_sms_is_not_said_sent_on_the_joined_page(
    client, renewal, title, site, settings
):
    """Found by the applicant's walk: a mobile past its daily cap, and the page said
    "Nous venons d'envoyer le lien … par SMS"."""
    settings.SMS_PER_MOBILE_PER_DAY = 0
    pass_identity(client, renewal)
    response = client.post(JOIN, {**preferences(site), **CONTACT})
    request = WaitingRequest.objects.get(numero_etranger=NUMERO)
    sms = request.messages.get(kind=OutgoingMessage.Kind.WAITING_JOINED)
    assert sms.status == OutgoingMessage.Status.REFUSED
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert "Aucun SMS n'a pu être envoyé au 06 •• •• •• 78" in page
    assert "par SMS au" not in page
    assert "par courriel à a•••@example.org" in page  # the e-mail did go
    assert status_path(request) in page


def test_a_code_refused_by_the_mobiles_daily_cap_is_told_truly(
    client, renewal, site, settings
):
    """Found by the applicant's walk: the first code of the day, refused because
    the number had had its SMS for the day, was told "Vous avez déjà demandé
    plusieurs codes aujourd'hui"."""
    request = joined(renewal, site)
    settings.SMS_PER_MOBILE_PER_DAY = 1  # the joining SMS used it
    page = html.unescape(
        client.post(status_path(request), {"send": "1"}, follow=True).content.decode()
    )
    assert "ce numéro a déjà reçu trop de SMS de notre part aujourd’hui" in page
    assert not request.messages.filter(
        kind=OutgoingMessage.Kind.WAITING_CODE, status=OutgoingMessage.Status.PENDING
    ).exists()


@pytest.mark.parametrize("path", ["/rendez-vous/liste/{}/", "/rendez-vous/offre/{}/"])
def test_an_unknown_waiting_list_link_gives_the_waiting_lists_way_back(client, path):
    """Found by the applicant's walk: it told how to get a new manage link."""
    page = client.get(path.format("A" * 22)).content.decode()
    assert "dernier lien de suivi reçu par SMS" in page
    assert "lien de gestion" not in page


def test_a_place_offered_on_joining_is_linked_on_the_joined_page(
    client, renewal, title, site, settings, django_capture_on_commit_callbacks
):
    """Found by the applicant's walk: joined at night, offered at once, and told to
    "open the link received by SMS" that would leave at 08:00."""
    settings.SMS_QUIET_FROM, settings.SMS_QUIET_UNTIL = time(0, 0), time(23, 59)
    later = SlotFactory(procedure=renewal, site=site)
    services.procedure_waiting_mode_set(
        procedure_id=renewal.pk, mode=WaitingMode.LIST, now=timezone.now()
    )
    pass_identity(client, renewal)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(JOIN, {**preferences(site), **CONTACT})
    request = WaitingRequest.objects.get()
    offer = request.offers.get()
    assert offer.slot == later
    assert request.messages.get(kind=OutgoingMessage.Kind.WAITING_OFFER).status == (
        OutgoingMessage.Status.PENDING
    )
    page = client.get(response["Location"]).content.decode()
    assert "Une place vous est déjà proposée." in page
    assert f'href="{offer_path(offer)}"' in page
