"""The links sent to an applicant (SMS, e-mail, calendar file) are in their language:
/en/... for English, the unprefixed French address otherwise; and each one, followed,
opens its page in that language."""

import re
from datetime import date

import icalendar
import pytest
from django.utils import timezone, translation

from booking import services
from booking.models import OutgoingMessage, WaitingOffer, WaitingRequest
from booking.services import emails
from booking.services.notices import (
    booking_confirmation_notices,
    booking_link_resend,
)
from booking.services.waiting_notices import waiting_left_notice
from booking.web.calendar import booking_ics
from tests.factories import BookingFactory, SiteFactory, SlotFactory

pytestmark = pytest.mark.django_db

BASE = "https://rendez-vous.loiret.gouv.fr"
Kind = OutgoingMessage.Kind


@pytest.fixture(autouse=True)
def production_address(settings):
    settings.PUBLIC_BASE_URL = BASE
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL  # no quiet hours


def link_in(body: str) -> str:
    """The path of the one link of ours in a message."""
    return re.search(re.escape(BASE) + r"(/[^\s]*)", body).group(1)


def opens_in(client, path: str, language: str) -> str:
    """Follows a sent link as a browser would; the page it ends on, checked to be a
    page (200) in ``language``."""
    response = client.get(path, follow=True)
    assert response.status_code == 200, (path, response.redirect_chain)
    page = response.content.decode()
    assert f'<html lang="{language}"' in page or f'lang="{language}"' in page[:400]
    return page


def a_booking(renewal, language: str):
    booking = BookingFactory(
        slot=SlotFactory(procedure=renewal, site=SiteFactory(name="Orléans")),
        language=language,
        email="awa@example.org",
    )
    booking_confirmation_notices(booking=booking, now=timezone.now())
    return booking


@pytest.mark.parametrize(("language", "prefix"), [("en", "/en/rdv/"), ("fr", "/rdv/")])
def test_the_confirmation_sms_link_is_in_the_applicant_s_language_and_opens(
    client, renewal, language, prefix
):
    booking = a_booking(renewal, language)
    sms = booking.messages.get(kind=Kind.BOOKING_CONFIRMED)
    path = link_in(sms.body)
    assert path == f"{prefix}{booking.manage_token}/"
    response = client.get(path)
    assert response.status_code == 302
    manage = "/en/rendez-vous/gerer/" if language == "en" else "/rendez-vous/gerer/"
    assert response["Location"] == f"{manage}{booking.manage_token}/"
    opens_in(client, path, language)


def test_every_appointment_sms_and_the_resent_link_carry_the_english_link(renewal):
    booking = a_booking(renewal, "en")
    now = timezone.now()
    for kind in (Kind.BOOKING_REMINDER, Kind.BOOKING_MOVED):
        services.booking_notice(booking=booking, kind=kind, key=f"k:{kind}", now=now)
    booking_link_resend(booking_id=booking.pk, now=now, by="agent")
    bodies = booking.messages.filter(channel=OutgoingMessage.Channel.SMS).exclude(
        kind=Kind.BOOKING_CANCELLED
    )
    assert bodies.count() == 4
    for message in bodies:
        assert link_in(message.body) == f"/en/rdv/{booking.manage_token}/", message.kind


@pytest.mark.parametrize(
    ("language", "prefix"), [("en", "/en/rendez-vous/"), ("fr", "/rendez-vous/")]
)
def test_the_confirmation_e_mail_link_is_in_the_applicant_s_language(
    client, renewal, language, prefix
):
    booking = a_booking(renewal, language)
    with translation.override("fr"):  # the worker's language is not the applicant's
        _subject, body = emails.confirmation_render(booking)
    path = link_in(body)
    assert path == f"{prefix}gerer/{booking.manage_token}/"
    opens_in(client, path, language)


@pytest.mark.parametrize(
    ("language", "prefix"), [("en", "/en/rendez-vous/"), ("fr", "/rendez-vous/")]
)
def test_the_calendar_file_links_to_the_manage_page_in_the_applicant_s_language(
    client, renewal, language, prefix
):
    booking = a_booking(renewal, language)
    event = icalendar.Calendar.from_ical(booking_ics(booking)).walk("VEVENT")[0]
    url = str(event["url"])
    assert url == f"{BASE}{prefix}gerer/{booking.manage_token}/"
    assert url in str(event["description"])
    if language == "en":
        assert str(event["summary"]).startswith("Appointment")
    opens_in(client, url.removeprefix(BASE), language)


def test_the_calendar_file_from_the_english_confirmation_page_is_english(
    client, renewal
):
    """Downloaded from the page the English applicant booked on."""
    booking = a_booking(renewal, "en")
    session = client.session
    session["booked"] = booking.reference
    session.save()
    response = client.get("/en/rendez-vous/confirme/rendez-vous.ics")
    assert response.status_code == 200
    assert f"/en/rendez-vous/gerer/{booking.manage_token}/" in (
        response.content.decode().replace("\r\n ", "")
    )


# --- the waiting list ---------------------------------------------------------------


def joined(renewal, site, language: str) -> WaitingRequest:
    return services.waiting_join(
        procedure=renewal,
        applicant=services.Applicant(
            numero_etranger="2008006503",
            last_name="Diallo",
            first_name="Awa",
            mobile="+33612345678",
            email="awa@example.org",
            language=language,
        ),
        title_valid_until=date(2028, 3, 31),
        site_ids=[site.pk],
        unavailable=0,
        now=timezone.now(),
    )


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_waiting_list_links_are_in_the_applicant_s_language_and_open(
    client, renewal, language
):
    prefix = "/en" if language == "en" else ""
    site = SiteFactory(name="Orléans")
    request = joined(renewal, site, language)
    status = link_in(request.messages.get(kind=Kind.WAITING_JOINED).body)
    assert status == f"{prefix}/la/{request.token}/"
    opens_in(client, status, language)
    _subject, body = emails.waiting_email_render(
        request=request, kind=Kind.WAITING_JOINED_EMAIL
    )
    assert link_in(body).startswith(f"{prefix}/rendez-vous/")
    opens_in(client, link_in(body), language)

    SlotFactory(procedure=renewal, site=site)
    assert services.offers_make(procedure_id=renewal.pk, now=timezone.now()) == 1
    offer = WaitingOffer.objects.get(request=request)
    path = link_in(request.messages.get(kind=Kind.WAITING_OFFER).body)
    assert path == f"{prefix}/o/{offer.token}/"
    page = opens_in(client, path, language)
    assert ("Accept" if language == "en" else "Accepter") in page
    _subject, body = emails.waiting_email_render(
        request=request, kind=Kind.WAITING_OFFER_EMAIL
    )
    assert f"{prefix}/rendez-vous/" in body and offer.token in body


def test_the_left_the_list_sms_links_to_the_english_booking_start(renewal):
    request = joined(renewal, SiteFactory(), "en")
    waiting_left_notice(request=request, now=timezone.now())
    body = request.messages.get(kind=Kind.WAITING_LEFT).body
    assert link_in(body) == "/en/rendez-vous/"


def test_the_french_short_links_keep_working_unprefixed(client, renewal):
    """The addresses already sent keep their page: /rdv/, /la/, /o/ in French."""
    booking = a_booking(renewal, "en")
    response = client.get(f"/rdv/{booking.manage_token}/")
    assert response["Location"] == f"/rendez-vous/gerer/{booking.manage_token}/"
    response = client.get(f"/fr/rdv/{booking.manage_token}/")
    assert response.status_code == 404  # French has no prefix
