"""The manage link is a possession factor (issue 13): knowing someone's register entry
(numéro, date de validité, code postal) is not enough to touch their appointment."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from booking.manage_links import manage_path
from booking.models import Booking, OutgoingMessage
from booking.services.notices import booking_link_resend, short_manage_url
from booking.sms import locmem
from booking.sms.gsm7 import is_gsm7
from tests.booking.flow import IDENTITY, pass_gate
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db

RESENT = OutgoingMessage.Kind.BOOKING_LINK_RESENT


@pytest.fixture
def victim(renewal, title):
    return BookingFactory(numero_etranger="2008006503", procedure=renewal)


def same_page(html: str, path: str) -> str:
    """The page without what changes per request or echoes the path (language links,
    nonces, CSRF tokens)."""
    html = html.replace(path, "PATH")
    return re.sub(r'(nonce|value|content)="[^"]*"', "", html)


def identity_page(renewal, capture) -> str:
    stranger = Client()
    pass_gate(stranger, renewal)
    with capture(execute=True):
        response = stranger.post("/rendez-vous/identite/", IDENTITY)
    return response.content.decode()


def test_the_token_is_random_and_not_the_reference(victim):
    other = BookingFactory()
    assert len(victim.manage_token) == 22 and victim.reference not in manage_path(
        victim
    )
    assert victim.manage_token != other.manage_token


def test_identity_step_shows_no_reference_and_resends_the_link_within_a_limit(
    renewal, victim, django_capture_on_commit_callbacks, settings
):
    settings.BOOKING_LINK_RESENDS_PER_DAY = 2
    for _ in range(2):
        page = identity_page(renewal, django_capture_on_commit_callbacks)
        assert victim.reference not in page and victim.manage_token not in page
        assert "nous venons de renvoyer le lien de gestion au 06 •• •• •• 78" in page
    page = identity_page(renewal, django_capture_on_commit_callbacks)
    assert "déjà été renvoyé récemment" in page and victim.reference not in page
    assert victim.messages.filter(kind=RESENT).count() == 2
    sent = [sms for sms in locmem.outbox if sms.kind == RESENT]
    assert len(sent) == 2 and sent[0].to == victim.mobile
    assert short_manage_url(victim) in sent[0].body


def test_manage_without_the_link_gets_nothing(client, renewal, victim):
    """Everything the entry gives (the numéro, its last digits, the reference that an
    old SMS may show) opens nothing."""
    for guess in (victim.reference, victim.numero_etranger, "6503", victim.pk):
        for path in (f"/rdv/{guess}/", f"/rendez-vous/gerer/{guess}/"):
            response = client.get(path, follow=True)
            assert response.status_code in (404, 429)
            page = response.content.decode()
            assert victim.last_name not in page and "06 •• •• •• 78" not in page
    response = client.post(f"/rendez-vous/gerer/{victim.reference}/annuler/")
    assert response.status_code in (302, 404)
    victim.refresh_from_db()
    assert victim.status == Booking.Status.CONFIRMED
    assert not victim.messages.exists()


def test_an_old_reference_link_says_how_to_get_a_new_one(client, victim):
    response = client.get(f"/rdv/{victim.reference}/")
    unknown = client.get("/rdv/ZZZZ9999/")
    assert response.status_code == unknown.status_code == 404
    page = response.content.decode()
    assert "plus valable" in page and "nouveau lien" in page
    assert same_page(page, victim.reference) == same_page(
        unknown.content.decode(), "ZZZZ9999"
    )


@pytest.mark.parametrize(
    ("junk", "status"),
    # A control character is refused at the edge (400); other junk is no link (404).
    [("%00", 400), ("a%00b", 400), ("%C0%AF", 404), ("x" * 300, 404)],
)
def test_stray_bytes_in_links_are_answered_not_crashed(client, junk, status):
    assert client.get(f"/rdv/{junk}/").status_code == status
    assert client.get(f"/rendez-vous/gerer/{junk}/").status_code == status


def test_the_short_link_leads_to_the_manage_page(client, victim):
    response = client.get(f"/rdv/{victim.manage_token}/")
    assert response.status_code == 302 and response["Location"] == manage_path(victim)


def test_link_look_ups_are_throttled_per_ip(client, victim, settings):
    settings.BOOKING_LINK_LOOKUP_LIMITS = {"ip": 100, "failed_ip": 3}
    for n in range(3):
        assert client.get(f"/rdv/REF0000{n}/").status_code == 404
    response = client.get(f"/rdv/{victim.manage_token}/")  # even the right one
    assert (
        response.status_code == 429 and "Trop de demandes" in response.content.decode()
    )
    other_ip = Client(REMOTE_ADDR="192.0.2.9")
    assert other_ip.get(f"/rdv/{victim.manage_token}/").status_code == 302


def test_a_busy_shared_address_is_told_too_many_requests_not_a_bad_link(
    client, victim, settings
):
    """Found by the applicant's walk: successful look-ups from one address (a
    carrier's NAT, a digital-help point) ended on "Lien non valable" and "Trop
    d'essais infructueux", though no attempt had failed."""
    settings.BOOKING_LINK_LOOKUP_LIMITS = {"ip": 3, "failed_ip": 10}
    for _ in range(3):
        assert client.get(f"/rdv/{victim.manage_token}/").status_code == 302
    page = client.get(f"/rdv/{victim.manage_token}/").content.decode()
    assert "<title>Trop de demandes" in page
    assert "Trop de demandes depuis votre connexion" in page
    assert "Lien non valable" not in page and "infructueux" not in page


def test_the_sms_link_fits_one_segment_with_a_production_base_url(victim, settings):
    settings.PUBLIC_BASE_URL = "https://rendez-vous.loiret.gouv.fr"
    url = short_manage_url(victim)
    assert url == f"https://rendez-vous.loiret.gouv.fr/rdv/{victim.manage_token}/"
    assert len(url) == 62
    booking_link_resend(booking_id=victim.pk, now=victim.created_at)
    body = victim.messages.get(kind=RESENT).body
    assert url in body and len(body) <= 160 and is_gsm7(body)


def test_agents_resend_the_link_from_the_agenda(admin_client, victim):
    day = timezone.localtime(victim.slot.starts_at).date()
    response = admin_client.post(
        f"/admin/booking/booking/agenda/?day={day:%Y-%m-%d}",
        {"booking": victim.pk, "do": "resend_link"},
        follow=True,
    )
    assert response.status_code == 200
    assert victim.messages.filter(kind=RESENT).count() == 1
    event = victim.events.get()
    assert (event.kind, event.actor) == ("link_resent", "admin")
    assert re.search(r"Lien de gestion renvoyé par SMS", response.content.decode())
