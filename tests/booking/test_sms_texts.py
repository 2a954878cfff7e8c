import secrets
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from booking import services
from booking.models import Booking, OutgoingMessage, Site, Slot
from booking.services import emails
from booking.services.notices import short_manage_url
from booking.sms import checks, gsm7, texts
from tests.clock import PARIS
from tests.factories import BookingFactory, SiteFactory, SlotFactory

LONGEST_SITE = "Sous-préfecture de Pithiviers — accueil"[:40].ljust(40, "x")
TEMPLATES = [texts.card_ready, texts.card_reminder]


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_text_is_gsm7_and_one_segment_for_the_longest_site_name(
    template, language
):
    body = template(site=LONGEST_SITE, language=language)
    assert gsm7.is_gsm7(body)
    assert gsm7.segments(body) == 1, (len(body), body)


def test_card_ready_says_where_and_when():
    body = texts.card_ready(site="Orléans", language="fr")
    assert "disponible" in body and "Orléans" in body
    assert "du lundi au vendredi de 9h à 12h" in body
    english = texts.card_ready(site="Orléans", language="en")
    assert "Monday to Friday" in english


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l’accueil", "l'accueil"),
        ("«\u00a0bonjour\u00a0»", '" bonjour "'),
        ("9\u00a0h", "9 h"),
        ("fenêtre île côte où ça", "fenetre ile cote où ca"),
        ("Préfecture à 12h", "Préfecture à 12h"),  # é and à are GSM-7
        ("emoji 🙂", "emoji ?"),
    ],
)
def test_normalisation_to_gsm7(text, expected):
    assert gsm7.to_gsm7(text) == expected


@given(st.text(max_size=200))
def test_normalised_text_is_always_gsm7(text):
    assert gsm7.is_gsm7(gsm7.to_gsm7(text))


def test_extension_characters_count_twice():
    assert gsm7.septets("€") == 2
    assert gsm7.segments("a" * 160) == 1
    assert gsm7.segments("a" * 159 + "€") == 2


# --- one segment by construction, the link whole ----------------------------------

PRODUCTION_URL = "https://rendez-vous.loiret.gouv.fr"
SITE_WORDS = "Sous-préfecture de Pithiviers et de Montargis"
APPOINTMENT_TEXTS = {
    OutgoingMessage.Kind.BOOKING_CONFIRMED: texts.booking_confirmed,
    OutgoingMessage.Kind.BOOKING_REMINDER: texts.booking_reminder,
    OutgoingMessage.Kind.BOOKING_MOVED: texts.booking_moved,
}
CARD_TEXTS = {
    OutgoingMessage.Kind.CARD_READY: texts.card_ready,
    OutgoingMessage.Kind.CARD_REMINDER: texts.card_reminder,
}


def a_booking(*, site: str, language: str, starts_at=None) -> Booking:
    slot = Slot(
        site=Site(name="Préfecture du Loiret — accueil", sms_name=site),
        starts_at=starts_at or datetime(2026, 12, 28, 23, 59, tzinfo=PARIS),
    )
    return Booking(slot=slot, reference="ABCDEFGH", language=language)


def longest_link(language: str = "fr") -> str:
    # The manage link at its longest: /rdv/ (/en/rdv/ in English) and a 32-character
    # URL-safe token.
    token = secrets.token_urlsafe(24)
    assert len(token) == texts.MANAGE_TOKEN_MAX_LENGTH
    prefix = "/en" if language == "en" else ""
    return f"{PRODUCTION_URL}{prefix}/rdv/{token}/"


def test_every_sms_kind_has_a_text_under_test():
    sms_kinds = {
        kind
        for kind in OutgoingMessage.Kind
        if kind not in emails.TEMPLATES and kind not in emails.WAITING_TEMPLATES
    }
    assert sms_kinds == {
        *APPOINTMENT_TEXTS,
        *CARD_TEXTS,
        OutgoingMessage.Kind.BOOKING_CANCELLED,
        OutgoingMessage.Kind.BOOKING_LINK_RESENT,
        OutgoingMessage.Kind.BOOKING_MANAGE_CODE,
        *WAITING_TEXTS,
    }


def waiting_link(prefix: str, language: str) -> str:
    # In the person's language: /en/la/<token>/ in English.
    language_prefix = "/en" if language == "en" else ""
    return f"{PRODUCTION_URL}{language_prefix}/{prefix}/{secrets.token_urlsafe(16)}/"


WAITING_TEXTS = {
    OutgoingMessage.Kind.WAITING_JOINED: lambda language: texts.waiting_joined(
        language=language, url=waiting_link("la", language)
    ),
    OutgoingMessage.Kind.WAITING_OFFER: lambda language: texts.waiting_offer(
        site=SITE_WORDS,
        starts_at=datetime(2026, 12, 28, 23, 59, tzinfo=PARIS),
        deadline=datetime(2026, 12, 27, 23, 59, tzinfo=PARIS),
        language=language,
        url=waiting_link("o", language),
    ),
    OutgoingMessage.Kind.WAITING_LEFT: lambda language: texts.waiting_left(
        language=language, missed=2, url=f"{PRODUCTION_URL}/en/rendez-vous/"
    ),
    OutgoingMessage.Kind.WAITING_REMOVED: lambda language: texts.waiting_removed(
        language=language
    ),
    OutgoingMessage.Kind.WAITING_CODE: lambda language: texts.waiting_code(
        code="123456", minutes=10, language=language
    ),
}


@pytest.mark.parametrize("kind", list(WAITING_TEXTS))
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_waiting_list_texts_fit_one_segment_with_their_link_whole(kind, language):
    body = WAITING_TEXTS[kind](language)
    assert gsm7.is_gsm7(body)
    assert gsm7.segments(body) == 1, (len(body), body)
    if kind == OutgoingMessage.Kind.WAITING_OFFER:
        prefix = "/en" if language == "en" else ""
        assert "28/12" in body and "23:59" in body
        assert f"{PRODUCTION_URL}{prefix}/o/" in body
        assert body.endswith("/")  # the link is last, and whole


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_resent_link_and_the_manage_code_fit_one_segment(settings, language):
    settings.PUBLIC_BASE_URL = PRODUCTION_URL
    booking = a_booking(site=SITE_WORDS, language=language)
    url = longest_link(language)
    resent = texts.booking_link_resent(booking=booking, url=url)
    code = texts.booking_manage_code(booking=booking, code="123456", minutes=10)
    for body in (resent, code):
        assert gsm7.is_gsm7(body)
        assert gsm7.segments(body) == 1, (len(body), body)
        assert body.startswith(("Préfecture du Loiret", "Prefecture du Loiret"))
    assert resent.endswith(" " + url)
    assert "123456" in code


def test_the_production_address_leaves_room_for_a_real_site_name(settings):
    settings.PUBLIC_BASE_URL = PRODUCTION_URL
    assert texts.longest_manage_url() == f"{PRODUCTION_URL}/rdv/{'x' * 32}/"
    assert texts.longest_manage_url("fr") == f"{PRODUCTION_URL}/rdv/{'x' * 32}/"
    assert texts.longest_manage_url("en") == f"{PRODUCTION_URL}/en/rdv/{'x' * 32}/"
    # in every language, the English link three characters longer
    assert texts.site_name_room() >= 24


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("kind", list(APPOINTMENT_TEXTS))
def test_appointment_sms_keep_the_longest_allowed_site_name_and_the_link_whole(
    settings, kind, language
):
    settings.PUBLIC_BASE_URL = PRODUCTION_URL
    site = SITE_WORDS[: texts.site_name_room()]
    url = longest_link(language)
    body = APPOINTMENT_TEXTS[kind](
        booking=a_booking(site=site, language=language), url=url
    )
    assert gsm7.is_gsm7(body)
    assert gsm7.septets(body) <= 160 and gsm7.segments(body) == 1, (len(body), body)
    assert body.startswith(("Préfecture du Loiret", "Prefecture du Loiret"))
    assert body.endswith(" " + url)
    assert gsm7.to_gsm7(site) in body
    assert "28/12" in body and "23:59" in body


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("kind", list(APPOINTMENT_TEXTS))
def test_a_site_name_too_long_is_shortened_never_the_link(settings, kind, language):
    # A site saved before the admin's check, or without an SMS name: 40 characters.
    settings.PUBLIC_BASE_URL = PRODUCTION_URL
    site = SITE_WORDS[:40]
    url = longest_link(language)
    body = APPOINTMENT_TEXTS[kind](
        booking=a_booking(site=site, language=language), url=url
    )
    assert gsm7.is_gsm7(body) and gsm7.segments(body) == 1, (len(body), body)
    assert body.endswith(" " + url)
    shortened = gsm7.to_gsm7(SITE_WORDS[: texts.site_name_room()]).rstrip()
    assert shortened in body


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("kind", list(APPOINTMENT_TEXTS))
def test_the_reference_stays_while_there_is_room(settings, kind, language):
    body = APPOINTMENT_TEXTS[kind](
        booking=a_booking(site="Orléans", language=language),
        url="http://127.0.0.1:8000/rdv/ABCDEFGH/",
    )
    assert "ABCDEFGH." in body and "Orléans" in body


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("kind", list(CARD_TEXTS))
def test_card_sms_fit_with_the_longest_site_name(settings, kind, language):
    settings.PUBLIC_BASE_URL = PRODUCTION_URL
    for site in (SITE_WORDS[: texts.site_name_room()], SITE_WORDS[:40]):
        body = CARD_TEXTS[kind](site=site, language=language)
        assert gsm7.is_gsm7(body) and gsm7.segments(body) == 1, (len(body), body)
        assert gsm7.to_gsm7(site) in body


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_cancellation_sms_fits(language):
    body = texts.booking_cancelled(booking=a_booking(site="x" * 40, language=language))
    assert gsm7.is_gsm7(body) and gsm7.segments(body) == 1
    assert "ABCDEFGH" in body


def test_sms_times_are_the_prefecture_s_whatever_time_zone_is_active():
    booking = a_booking(
        site="Orléans",
        language="fr",
        starts_at=datetime(2026, 3, 2, 8, 30, tzinfo=UTC),  # 9:30 in Orléans
    )
    with timezone.override(ZoneInfo("America/Cayenne")):
        body = texts.booking_reminder(booking=booking, url="http://x/rdv/A/")
        cancelled = texts.booking_cancelled(booking=booking)
    assert "02/03 à 09:30" in body and "02/03 à 09:30" in cancelled


def test_a_base_url_too_long_for_any_sms_stops_the_start_up(settings):
    settings.PUBLIC_BASE_URL = "https://rendez-vous.loiret.gouv.fr/" + "x" * 60
    assert [error.id for error in checks.sms_texts_fit(None)] == ["booking.E010"]
    settings.PUBLIC_BASE_URL = PRODUCTION_URL
    assert checks.sms_texts_fit(None) == []


@pytest.mark.django_db
def test_the_outbox_keeps_the_text_whole(settings):
    settings.PUBLIC_BASE_URL = PRODUCTION_URL
    booking = BookingFactory(
        slot=SlotFactory(site=SiteFactory(sms_name=SITE_WORDS[:40])), language="en"
    )
    services.booking_notice(
        booking=booking,
        kind=OutgoingMessage.Kind.BOOKING_CONFIRMED,
        key="k",
        now=timezone.now(),
    )
    body = OutgoingMessage.objects.get().body
    assert gsm7.segments(body) == 1
    assert body.endswith(" " + short_manage_url(booking))
    manage_path = short_manage_url(booking).removeprefix(PRODUCTION_URL)
    assert manage_path.startswith("/en/rdv/")  # the English applicant's link
    longest = texts.longest_manage_url("en")
    assert len(manage_path) <= len(longest) - len(PRODUCTION_URL)


# --- the admin refuses a site name that cannot fit ---------------------------------


def site_form(**fields):
    return {
        "name": "Préfecture du Loiret",
        "sms_name": "",
        "address": "181 rue de Bourgogne, Orléans",
        "opening_hours_fr": "9h-12h",
        "opening_hours_en": "",
        "position": 0,
        "is_active": "on",
        **fields,
    }


@pytest.mark.django_db
def test_the_admin_refuses_a_site_short_name_that_cannot_fit(admin_client, settings):
    settings.PUBLIC_BASE_URL = PRODUCTION_URL
    room = texts.site_name_room()
    response = admin_client.post(
        "/admin/booking/site/add/", site_form(sms_name="x" * (room + 1))
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{room} caractères au plus (il en compte {room + 1})" in page
    response = admin_client.post("/admin/booking/site/add/", site_form(name=SITE_WORDS))
    assert "indiquez un nom court de" in response.content.decode()
    assert not Site.objects.exists()
    response = admin_client.post(
        "/admin/booking/site/add/", site_form(name=SITE_WORDS, sms_name="x" * room)
    )
    assert response.status_code == 302
    assert Site.objects.get().sms_name == "x" * room


@pytest.mark.django_db
def test_the_site_form_tells_the_room(admin_client, settings):
    settings.PUBLIC_BASE_URL = PRODUCTION_URL
    page = admin_client.get("/admin/booking/site/add/").content.decode()
    assert f"{texts.site_name_room()} caractères au plus" in page


def test_leaving_the_list_says_places_declined_or_unanswered():
    """Found by both walks: two places declined with "Refuser" were told as "2
    offres sans réponse"."""
    text = texts.waiting_left(language="fr", missed=2, url="https://x.fr/r/")
    assert "2 places refusées ou sans réponse" in text
    english = texts.waiting_left(language="en", missed=2, url="https://x.fr/r/")
    assert "2 places declined or unanswered" in english
